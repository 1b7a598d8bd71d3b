"""Helpers of the server tests: a store on each backend, tokens, a running server.

PostgreSQL: ``DRONEWALL_TEST_PG`` is an admin URL of a server with PostGIS (``.ci/run`` starts a
throwaway cluster); each fixture creates its own database and drops it afterwards. Chromium:
``DRONEWALL_CHROMIUM`` or ``/usr/bin/chromium``. Without them these tests skip on a developer's
machine and fail in CI (``CI`` set), where ``.ci/run`` must provide them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

DATA = Path(__file__).parent / "data"
SCENARIO = DATA / "border-pair.yaml"
REPO = Path(__file__).resolve().parents[2]


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI (.ci/run starts it)")
    pytest.skip(f"{what} not available")


def pg_admin_url() -> str:
    url = os.environ.get("DRONEWALL_TEST_PG")
    if not url:
        _missing("PostgreSQL (DRONEWALL_TEST_PG)")
    return url  # type: ignore[return-value]


def chromium_path() -> str:
    p = os.environ.get("DRONEWALL_CHROMIUM", "/usr/bin/chromium")
    if not Path(p).exists():
        _missing(f"chromium ({p})")
    return p


def _pg_database() -> Iterator[str]:
    import psycopg

    admin = pg_admin_url()
    name = f"dw_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        from sqlalchemy import create_engine

        create_engine("postgresql+psycopg://x").dispose()
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def store_url(backend: str, tmp: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield str(tmp / "store.db")
    else:
        yield from _pg_database()


# ---------------------------------------------------------------------- a real server process


class ServerProcess:
    """``dronewall serve`` in a subprocess on a free loopback port."""

    def __init__(self, db: str, *args: str, log: Path) -> None:
        self.db, self.args, self.log_path = db, args, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.token = ""

    def start(self, timeout: float = 180.0) -> ServerProcess:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dronewall.cli.main", "serve", "--db", self.db,
             "--port", "0", *self.args], stdout=subprocess.PIPE, stderr=self.log, env=env)
        t_end = time.time() + timeout
        assert self.proc.stdout is not None
        lines = []
        while time.time() < t_end:
            line = self.proc.stdout.readline().decode()
            if not line:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited {self.proc.returncode}: "
                                       f"{self.log_path.read_text()[-2000:]}")
                continue
            lines.append(line)
            m = re.search(r"COP\s+(http://\S+)/", line)
            if m:
                self.url = m.group(1)
            m = re.search(r"first admin token \(shown once\): (\S+)", line)
            if m:
                self.token = m.group(1)
            if self.url and ("tokens:" in line or "open " in line):
                break
        self.wait(lambda c: c.get("/api/v1/health").status_code == 200, timeout=60)
        return self

    def client(self, token: str | None = None) -> httpx.Client:
        h = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=h, timeout=30.0)

    def wait(self, cond, timeout: float = 120.0, token: str | None = None):  # type: ignore[no-untyped-def]
        t_end = time.time() + timeout
        with self.client(token) as c:
            while time.time() < t_end:
                try:
                    v = cond(c)
                except httpx.HTTPError:
                    v = None
                if v:
                    return v
                time.sleep(0.3)
        raise TimeoutError(f"server condition not met in {timeout} s; log: "
                           f"{self.log_path.read_text()[-1500:]}")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()          # SIGKILL
        self.proc.wait(10)
        self.log.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if not self.log.closed:
            self.log.close()


def create_token(db: str, name: str, role: str) -> str:
    out = subprocess.run([sys.executable, "-m", "dronewall.cli.main", "token", "create",
                          "--db", db, "--name", name, "--role", role],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]
