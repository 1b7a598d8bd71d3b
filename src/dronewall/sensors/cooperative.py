"""Cooperative receivers (ADS-B ground stations, Remote ID receivers) and report spoofing.

A receiver hears an active broadcasting platform (``adsb`` or ``remote_id`` flag) within its
``range_m`` (slant) and above its radio horizon (4/3-earth, :func:`radar_horizon_m`) with
probability ``p_receive`` per report. The report is the platform's GNSS position in ECEF with
an error ~ N(0, sigma_m^2 I). The error is drawn once per platform and report time and shared
by every receiver of that broadcast (the message content is identical; each receiver's
``sigma_m`` scales it). A platform whose GNSS is jammed (``TruthState.jammed``) broadcasts no
valid position and is not reported [E] (ADS-B with NACp = 0 is not displayed).

Spoofing (:class:`~dronewall.scenario.model.SpoofSpec`), on the spec's ``channel``:

- ``ghost``: a fake identity flying ``route`` at ``speed_mps`` from ``window_s[0]`` (geodesic
  interpolation, pyproj.Geod), until the route ends or ``window_s[1]``; received like a real
  platform at its claimed position;
- ``offset``: during ``window_s`` the victim's reports are shifted by ``offset_m`` toward
  ``bearing_deg`` (horizontal, in the victim's local frame);
- ``jump``: during ``window_s`` the victim's reported position alternates every ``period_s``
  between the true and the shifted one (jumps of ``offset_m``; shifted in odd periods).

Spoofed reports (ghosts, shifted reports) carry ``truth_id = -2`` (analysis only).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pyproj import Geod

from dronewall.detections import DetectionBatch, MeasKind
from dronewall.errors import ConfigurationError
from dronewall.geo import ecef_to_enu_rotation, geodetic_to_ecef, radar_horizon_m
from dronewall.scenario.model import CooperativeSpec, SpoofSpec
from dronewall.sensors.common import (
    TRUTH_SPOOFED,
    Schedule,
    ground_distance_m,
)
from dronewall.sim.state import PlatformTable, TruthState

F64 = NDArray[np.float64]

_GEOD = Geod(ellps="WGS84")
#: Ghost altitude (m) when its route waypoints carry none [E]: airliner cruise for ADS-B,
#: typical drone height for Remote ID.
GHOST_DEFAULT_ALT_M = {"adsb": 10_000.0, "remote_id": 100.0}
CHANNELS = ("adsb", "remote_id")


def ghost_identity(spec: SpoofSpec) -> str:
    """The ghost's broadcast identity: the spec's ``icao24``, else a deterministic one derived
    from the spoof id (6 hex digits for ADS-B, ``SPOOF`` + 8 hex digits for Remote ID)."""
    if spec.icao24 is not None:
        return spec.icao24
    crc = zlib.crc32(f"ghost:{spec.id}".encode())
    return f"{crc & 0xFFFFFF:06x}" if spec.channel == "adsb" else f"SPOOF{crc:08X}"


@dataclass(frozen=True)
class GhostRoute:
    """A ghost's route prepared for geodesic interpolation (W waypoints)."""

    spec: SpoofSpec
    lat_deg: F64  # (W,)
    lon_deg: F64  # (W,)
    alt_m: F64  # (W,)
    az_deg: F64  # (W-1,) forward azimuth of each geodesic segment
    cum_m: F64  # (W,) distance along the route at each waypoint
    identity: str

    @classmethod
    def build(cls, spec: SpoofSpec) -> GhostRoute:
        assert spec.route is not None
        lat = np.array([p[0] for p in spec.route], dtype=np.float64)
        lon = np.array([p[1] for p in spec.route], dtype=np.float64)
        alt = np.array([p[2] if len(p) > 2 else GHOST_DEFAULT_ALT_M[spec.channel]
                        for p in spec.route], dtype=np.float64)
        az, _, dist = _GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
        cum = np.concatenate([[0.0], np.cumsum(dist)])
        return cls(spec, lat, lon, alt, np.asarray(az, dtype=np.float64), cum, ghost_identity(spec))

    def position(self, t: float) -> tuple[float, float, float] | None:
        """Claimed (lat_deg, lon_deg, alt_m) at time ``t``, or None when not flying."""
        w0, w1 = self.spec.window_s[0], self.spec.window_s[1]
        if t < w0 or t > w1:
            return None
        s = self.spec.speed_mps * (t - w0)
        if s > self.cum_m[-1]:
            return None
        i = int(min(np.searchsorted(self.cum_m, s, side="right") - 1, self.az_deg.size - 1))
        ds = s - self.cum_m[i]
        lon, lat, _ = _GEOD.fwd(self.lon_deg[i], self.lat_deg[i], self.az_deg[i], ds)
        seg = self.cum_m[i + 1] - self.cum_m[i]
        frac = ds / seg if seg > 0 else 0.0
        alt = self.alt_m[i] + frac * (self.alt_m[i + 1] - self.alt_m[i])
        return float(lat), float(lon), float(alt)


def _shift_active(spec: SpoofSpec, t: float) -> bool:
    """Whether an offset/jump spoof displaces its victim's reports at time ``t``."""
    w0, w1 = spec.window_s[0], spec.window_s[1]
    if t < w0 or t > w1:
        return False
    if spec.kind == "offset":
        return True
    return int(np.floor((t - w0) / spec.period_s)) % 2 == 1


class CooperativeModel:
    """All ADS-B and Remote ID receivers of a suite (S rows), plus spoofing."""

    def __init__(self, specs: Sequence[CooperativeSpec], rows: NDArray[np.int32], ecef: F64,
                 spoofing: Sequence[SpoofSpec] = ()) -> None:
        self.specs = list(specs)
        self.rows = np.asarray(rows, dtype=np.int32)
        self.ecef = ecef
        self.channel = np.array([s.type for s in self.specs], dtype=object)
        self.lat_deg = np.array([s.position[0] for s in self.specs], dtype=np.float64)
        self.lon_deg = np.array([s.position[1] for s in self.specs], dtype=np.float64)
        self.height_m = np.array([s.height_m for s in self.specs], dtype=np.float64)
        self.range_m = np.array([s.range_m for s in self.specs], dtype=np.float64)
        self.sigma_m = np.array([s.sigma_m for s in self.specs], dtype=np.float64)
        self.p_receive = np.array([s.p_receive for s in self.specs], dtype=np.float64)
        self.schedule = Schedule([s.id for s in self.specs],
                                 np.array([s.report_period_s for s in self.specs]))
        self.spoofing = list(spoofing)
        self.ghosts = [GhostRoute.build(s) for s in self.spoofing if s.kind == "ghost"]
        self._victims_for: PlatformTable | None = None
        self._victims: list[tuple[SpoofSpec, NDArray[np.int64]]] = []

    def __len__(self) -> int:
        return len(self.specs)

    def reset(self) -> None:
        self.schedule.reset()

    def _resolve_victims(
            self, platforms: PlatformTable) -> list[tuple[SpoofSpec, NDArray[np.int64]]]:
        """Platform rows of each offset/jump spoof: ``platform_id`` is a platform id
        (``<traffic id>-<k>``) or a traffic group id (all its platforms)."""
        if self._victims_for is platforms:
            return self._victims
        out = []
        ids = platforms.ids.astype(str)
        groups = platforms.group.astype(str)
        for s in self.spoofing:
            if s.kind == "ghost":
                continue
            rows = np.flatnonzero(ids == s.platform_id)
            if rows.size == 0:
                rows = np.flatnonzero(groups == s.platform_id)
            if rows.size == 0:
                raise ConfigurationError(f"spoofing {s.id!r}: platform_id {s.platform_id!r} "
                                         "matches no platform id or traffic group")
            out.append((s, rows.astype(np.int64)))
        self._victims_for, self._victims = platforms, out
        return out

    def observe(self, state: TruthState, platforms: PlatformTable, rng: np.random.Generator
                ) -> DetectionBatch:
        due = np.flatnonzero(self.schedule.due(state.t))
        if due.size == 0:
            return DetectionBatch.empty()
        victims = self._resolve_victims(platforms)
        n_p = len(platforms)
        gnss_err = rng.standard_normal((n_p, 3))
        op_err = rng.standard_normal((n_p, 3))
        parts = []
        for ch in CHANNELS:
            rx = due[self.channel[due] == ch]
            if rx.size == 0:
                continue
            parts.append(self._real(ch, rx, state, platforms, victims, gnss_err, op_err, rng))
            parts.append(self._ghosts(ch, rx, state.t, rng))
        return DetectionBatch.concat(parts)

    def _heard(self, rx: NDArray[np.int64], ecef: F64, lat: F64, lon: F64, alt: F64,
               rng: np.random.Generator) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(receiver, emitter) index pairs of receptions: in range, above the radio horizon,
        and received with p_receive."""
        d = ecef[None, :, :] - self.ecef[rx][:, None, :]
        slant = np.sqrt(np.einsum("spi,spi->sp", d, d))
        ground = ground_distance_m(self.lat_deg[rx, None], self.lon_deg[rx, None],
                                   lat[None, :], lon[None, :])
        ok = ((slant <= self.range_m[rx, None])
              & (ground <= radar_horizon_m(self.height_m[rx, None], alt[None, :]))
              & (rng.random(slant.shape) < self.p_receive[rx, None]))
        si, pj = np.nonzero(ok)
        return rx[si], pj

    def _real(self, ch: str, rx: NDArray[np.int64], state: TruthState, platforms: PlatformTable,
              victims: list[tuple[SpoofSpec, NDArray[np.int64]]], gnss_err: F64, op_err: F64,
              rng: np.random.Generator) -> DetectionBatch:
        flag = platforms.adsb if ch == "adsb" else platforms.remote_id
        tgt = np.flatnonzero(state.active & flag & ~state.jammed)
        if tgt.size == 0:
            return DetectionBatch.empty()
        r_i, pj = self._heard(rx, state.ecef[tgt], state.lat_deg[tgt], state.lon_deg[tgt],
                              state.alt_m[tgt], rng)
        m = r_i.size
        if m == 0:
            return DetectionBatch.empty()
        ti = tgt[pj]
        shift = np.zeros((len(platforms), 3))
        spoofed = np.zeros(len(platforms), dtype=bool)
        for spec, rows in victims:  # loop over spoof specs (a handful), not over targets
            if spec.channel != ch or not _shift_active(spec, state.t):
                continue
            b = np.radians(spec.bearing_deg)
            rot = ecef_to_enu_rotation(state.lat_deg[rows], state.lon_deg[rows])
            shift[rows] += spec.offset_m * (np.sin(b) * rot[:, 0, :] + np.cos(b) * rot[:, 1, :])
            spoofed[rows] = True
        sig = self.sigma_m[r_i]
        pos = state.ecef[ti] + shift[ti] + sig[:, None] * gnss_err[ti]
        cov = sig[:, None, None] ** 2 * np.eye(3)[None, :, :]
        truth = np.where(spoofed[ti], TRUTH_SPOOFED, ti)
        if ch == "adsb":
            return DetectionBatch.create(
                t=np.full(m, state.t), sensor=self.rows[r_i], meas_kind=MeasKind.POSITION, z=pos,
                R=cov, identity=platforms.icao24[ti], callsign=platforms.callsign[ti],
                truth_id=truth)
        return DetectionBatch.create(
            t=np.full(m, state.t), sensor=self.rows[r_i], meas_kind=MeasKind.POSITION, z=pos,
            R=cov, identity=platforms.rid_serial[ti],
            aux=state.operator_ecef[ti] + sig[:, None] * op_err[ti], truth_id=truth)

    def _ghosts(self, ch: str, rx: NDArray[np.int64], t: float, rng: np.random.Generator
                ) -> DetectionBatch:
        ghosts = [(g, p) for g in self.ghosts if g.spec.channel == ch
                  for p in [g.position(t)] if p is not None]
        if not ghosts:
            return DetectionBatch.empty()
        lat = np.array([p[0] for _, p in ghosts])
        lon = np.array([p[1] for _, p in ghosts])
        alt = np.array([p[2] for _, p in ghosts])
        ecef = geodetic_to_ecef(lat, lon, alt)
        err = rng.standard_normal((len(ghosts), 3))  # the spoofer mimics GNSS noise
        r_i, gj = self._heard(rx, ecef, lat, lon, alt, rng)
        m = r_i.size
        if m == 0:
            return DetectionBatch.empty()
        sig = self.sigma_m[r_i]
        ident = np.array([g.identity for g, _ in ghosts], dtype=object)[gj]
        call = np.array([g.spec.callsign or "" for g, _ in ghosts], dtype=object)[gj]
        aux = None
        if ch == "remote_id":  # claimed operator: the route's first waypoint, on the ground
            op = np.stack([geodetic_to_ecef(g.lat_deg[0], g.lon_deg[0], 0.0) for g, _ in ghosts])
            aux = op[gj]
        return DetectionBatch.create(
            t=np.full(m, t), sensor=self.rows[r_i], meas_kind=MeasKind.POSITION,
            z=ecef[gj] + sig[:, None] * err[gj], R=sig[:, None, None] ** 2 * np.eye(3)[None],
            identity=ident, callsign=call if ch == "adsb" else None, aux=aux,
            truth_id=np.full(m, TRUTH_SPOOFED))
