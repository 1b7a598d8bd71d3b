"""Typed server settings (pydantic-settings): command-line options of ``dronewall serve``, or
environment variables ``DRONEWALL_<NAME>`` (e.g. ``DRONEWALL_DB=postgresql://...``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DRONEWALL_", extra="forbid")

    host: str = Field("127.0.0.1", description="address to bind (loopback by default)")
    port: int = Field(8000, ge=0, le=65535, description="TCP port (0: any free port)")
    db: str = Field("out/serve/store.db",
                    description="store: an SQLite file path or postgresql://USER@HOST:PORT/DB")
    scenario: Path | None = Field(None, description="scenario YAML (default: the flagship raid)")
    replay: str | None = Field(
        None, description="recorded detections instead of simulated sensors: a 'simulate' "
                          "output folder, or a store (file or URL) with --session")
    live: Path | None = Field(
        None, description="live config YAML: wire feeds (ADS-B receivers, ...) bound to the "
                          "site's sensors instead of simulated sensors (docs/interop.md)")
    replay_session: str | None = Field(None, description="session id to replay from a store")
    seed: int | None = Field(None, ge=0, lt=2**63, description="seed (default: the scenario's)")
    speed: float = Field(1.0, gt=0, le=1000, description="scenario seconds per wall second")
    start_s: float = Field(0.0, ge=0, description="run the first seconds unpaced (fast)")
    record_period_s: float = Field(5.0, gt=0, le=3600,
                                   description="track history decimation period, s")
    retention_days: float | None = Field(
        None, gt=0, description="delete recorded steps older than this on start (decisions "
                                "and the audit log are kept)")
    resume: bool = Field(True, description="continue an unfinished session of the same source")
    engage: bool = Field(True, description="engagement recommendations (scenario effectors)")
    ws_deflate: bool = Field(True, description="WebSocket per-message compression (less "
                                               "bandwidth to remote operators, more server CPU)")

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("host must not be empty")
        return v.strip()
