"""Surveillance radar: radar-equation detection with Swerling fluctuation and the 4/3-earth
horizon, vectorised over all radars x all targets. Equations and sources: ``docs/sensors.md``.

Detection model (single look per scan, square-law detector, threshold ``T = -ln(pfa)`` on the
noise-normalised output, so noise alone exceeds it with probability ``pfa``):

- mean SNR ``snr = snr_ref * (rcs / rcs_ref) * (range_ref / R)**4`` where ``snr_ref`` solves
  ``pd_mean(snr_ref) = pd_ref`` for the configured Swerling model;
- the RCS fluctuation is drawn per scan and per radar-target pair (Swerling 0: none;
  1: exponential; 3: chi-square with 4 degrees of freedom, both with the catalogue mean);
- the scan's detector output is simulated: ``y = |sqrt(snr_inst) + n|**2``, n ~ CN(0, 1), and
  the target is detected when ``y > T``. Averaged over n and the fluctuation this gives exactly
  the Swerling Pd (:func:`pd_swerling`), which the tests check.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

from dronewall.catalog import MicroDoppler
from dronewall.detections import DetectionBatch, MeasKind
from dronewall.errors import ConfigurationError
from dronewall.geo import radar_horizon_m
from dronewall.scenario.model import RadarSpec
from dronewall.sensors.common import (
    TRUTH_FALSE_ALARM,
    Schedule,
    ground_distance_m,
    in_sector,
    local_geometry,
    sector_span_deg,
    wrap_pi,
)
from dronewall.sim.state import PlatformTable, TruthState

F64 = NDArray[np.float64]

#: Std (dB) of the radar's RCS / SNR estimate around the true instantaneous value [E]:
#: calibration, multipath and the estimator's own noise; "a couple of dB".
RCS_ESTIMATE_SIGMA_DB = 2.0
#: Highest altitude (m above the radar) at which false alarms are placed [E]: clutter, birds,
#: weather and "angels" that cause them are low; also keeps them inside the tracked volume.
FALSE_ALARM_MAX_HEIGHT_M = 3_000.0
#: False alarms' range rate is uniform in +-this (m/s) [E]: slow movers (birds, clutter
#: residue) rather than aircraft.
FALSE_ALARM_MAX_RANGE_RATE_MPS = 40.0
#: Search bracket for the reference SNR (dB); pd_ref in (0, 1) and pfa >= 1e-300 fit inside.
_SNR_REF_BRACKET_DB = (-30.0, 80.0)


def pd_swerling(snr_mean: F64 | float, pfa: F64 | float, swerling: int) -> F64:
    """Single-look probability of detection (square-law detector, threshold -ln pfa).

    ``snr_mean`` linear power ratio (mean over the fluctuation). Exact expressions:

    - Swerling 0 (steady target): Marcum Q1(sqrt(2 snr), sqrt(2 T)) = ncx2.sf(2T; 2, 2 snr)
      (Marcum 1960; scipy's non-central chi-square);
    - Swerling 1: ``pfa ** (1 / (1 + snr))`` (Swerling 1960);
    - Swerling 3 (N = 1): ``exp(-T/(1+snr/2)) (1+2/snr)^-1 (1 + T/(1+snr/2) + 2/snr)``
      (Mahafza, Radar Systems Analysis and Design Using MATLAB, Swerling III with n_p = 1).
    """
    s = np.asarray(snr_mean, dtype=np.float64)
    pfa_a = np.asarray(pfa, dtype=np.float64)
    thr = -np.log(pfa_a)
    if swerling == 0:
        return np.asarray(stats.ncx2.sf(2.0 * thr, 2.0, 2.0 * s), dtype=np.float64)
    if swerling == 1:
        return np.asarray(pfa_a ** (1.0 / (1.0 + s)), dtype=np.float64)
    if swerling == 3:
        h = 1.0 + s / 2.0
        return np.asarray(np.exp(-thr / h) / (1.0 + 2.0 / s) * (1.0 + thr / h + 2.0 / s),
                          dtype=np.float64)
    raise ValueError(f"unsupported Swerling model {swerling}; use 0, 1 or 3")


def snr_for_pd(pd: float, pfa: float, swerling: int) -> float:
    """Mean SNR (linear) at which :func:`pd_swerling` equals ``pd`` (root of a monotone
    function)."""
    def f(snr_db: float) -> float:
        return float(pd_swerling(10.0 ** (snr_db / 10.0), pfa, swerling)) - pd

    lo, hi = _SNR_REF_BRACKET_DB
    if f(lo) > 0.0 or f(hi) < 0.0:
        raise ConfigurationError(f"no SNR in [{lo}, {hi}] dB gives Pd={pd} at Pfa={pfa} "
                                 f"(Swerling {swerling})")
    return 10.0 ** (float(optimize.brentq(f, lo, hi, xtol=1e-10)) / 10.0)


def _fluctuation(rng: np.random.Generator, swerling: F64, n: int, sw_of: NDArray[np.int64]
                 ) -> F64:
    """Per-look RCS factor with mean 1: Swerling 0 -> 1, 1 -> Exp(1), 3 -> Gamma(2, 1/2)."""
    u = rng.random((n, 2))
    expo = -np.log1p(-u[:, 0])
    gamma2 = (expo - np.log1p(-u[:, 1])) / 2.0  # sum of two Exp(1), halved
    sw = swerling[sw_of]
    return np.where(sw == 1, expo, np.where(sw == 3, gamma2, 1.0))


class RadarModel:
    """All radars of a suite (S rows of the sensor table)."""

    def __init__(self, specs: Sequence[RadarSpec], rows: NDArray[np.int32], ecef: F64, rot: F64
                 ) -> None:
        self.specs = list(specs)
        self.rows = np.asarray(rows, dtype=np.int32)
        self.ecef, self.rot = ecef, rot
        def g(name: str) -> F64:
            return np.array([getattr(s, name) for s in self.specs], dtype=np.float64)

        self.lat_deg = np.array([s.position[0] for s in self.specs], dtype=np.float64)
        self.lon_deg = np.array([s.position[1] for s in self.specs], dtype=np.float64)
        self.height_m = g("height_m")
        self.range_ref_m, self.rcs_ref_m2 = g("range_ref_m"), g("rcs_ref_m2")
        self.pfa, self.swerling = g("pfa"), g("swerling")
        self.threshold = -np.log(self.pfa)
        self.snr_ref = np.array([snr_for_pd(s.pd_ref, s.pfa, s.swerling) for s in self.specs])
        self.max_range_m, self.min_range_m = g("max_range_m"), g("min_range_m")
        for s in self.specs:
            if s.min_range_m >= s.max_range_m:
                raise ConfigurationError(f"radar {s.id!r}: min_range_m {s.min_range_m} must be "
                                         f"below max_range_m {s.max_range_m}")
            if len(s.sector_deg) != 2:
                raise ConfigurationError(f"radar {s.id!r}: sector_deg must be [start, end]")
        self.sector_start = np.array([s.sector_deg[0] for s in self.specs], dtype=np.float64)
        self.sector_end = np.array([s.sector_deg[1] for s in self.specs], dtype=np.float64)
        self.max_el_rad = np.radians(g("max_elevation_deg"))
        self.sig_r = g("sigma_range_m")
        self.sig_az = np.radians(g("sigma_az_deg"))
        self.sig_el = np.radians(g("sigma_el_deg"))
        self.has_rr = np.array([s.sigma_range_rate_mps is not None for s in self.specs])
        self.sig_rr = np.array([s.sigma_range_rate_mps or np.nan for s in self.specs])
        self.fa_mean = g("false_alarms_per_scan")
        self.md = np.array([s.micro_doppler for s in self.specs], dtype=bool)
        self.md_snr_db = g("micro_doppler_snr_db")
        self.md_err_p = g("micro_doppler_error_p")
        self.schedule = Schedule([s.id for s in self.specs], g("scan_period_s"))

    def __len__(self) -> int:
        return len(self.specs)

    def reset(self) -> None:
        self.schedule.reset()

    def covers(self, ecef: F64, lat_deg: F64, lon_deg: F64, alt_m: F64, rcs_m2: float = 1.0,
               pd_min: float = 0.5, up: NDArray[np.bool_] | None = None) -> NDArray[np.bool_]:
        """(N,) whether any radar detects a target of mean RCS ``rcs_m2`` at these positions
        with single-scan Pd >= ``pd_min`` (horizon, range limits, elevation, sector and the
        radar equation; no random draws). Used to judge cooperative claims: inside coverage an
        aircraft (RCS >= 1 m2) should be seen. ``up`` (S,) per sensor-table row: the sensors
        listening (a radar that is down covers nothing; None: all)."""
        n = ecef.shape[0]
        if n == 0 or len(self) == 0:
            return np.zeros(n, dtype=bool)
        allr = np.arange(len(self))
        if up is not None:
            on = np.asarray(up, dtype=bool)[self.rows]
            if not on.any():
                return np.zeros(n, dtype=bool)
            allr = allr[on]
        a = allr
        _, rng_m, az, el = local_geometry(self.ecef[a], self.rot[a], ecef)
        ground = ground_distance_m(self.lat_deg[a, None], self.lon_deg[a, None],
                                   lat_deg[None, :], lon_deg[None, :])
        horizon = radar_horizon_m(self.height_m[a, None], alt_m[None, :])
        geom = ((ground <= horizon)
                & (rng_m >= self.min_range_m[a, None]) & (rng_m <= self.max_range_m[a, None])
                & (el <= self.max_el_rad[a, None])
                & in_sector(az, self.sector_start[a, None], self.sector_end[a, None]))
        snr = self.mean_snr(a[:, None], np.full((1, n), rcs_m2), np.maximum(rng_m, 1.0))
        pd = np.zeros_like(snr)
        for k, i in enumerate(a.tolist()):  # one vectorised row per radar (few radars)
            pd[k] = pd_swerling(snr[k], self.specs[i].pfa, self.specs[i].swerling)
        return np.any(geom & (pd >= pd_min), axis=0)

    def mean_snr(self, i: NDArray[np.int64], rcs_m2: F64, range_m: F64) -> F64:
        """Mean SNR (linear) of radar(s) ``i`` on targets of mean RCS ``rcs_m2`` at ``range_m``."""
        return (self.snr_ref[i] * (rcs_m2 / self.rcs_ref_m2[i])
                * (self.range_ref_m[i] / range_m) ** 4)

    def observe(self, state: TruthState, platforms: PlatformTable, rng: np.random.Generator
                ) -> DetectionBatch:
        due = np.flatnonzero(self.schedule.due(state.t))
        if due.size == 0:
            return DetectionBatch.empty()
        tgt = np.flatnonzero(state.active)
        parts = [self._targets(due, tgt, state, platforms, rng),
                 self._false_alarms(due, state.t, rng)]
        return DetectionBatch.concat(parts)

    def _targets(self, due: NDArray[np.int64], tgt: NDArray[np.int64], state: TruthState,
                 platforms: PlatformTable, rng: np.random.Generator) -> DetectionBatch:
        if tgt.size == 0:
            return DetectionBatch.empty()
        enu, rng_m, az, el = local_geometry(self.ecef[due], self.rot[due], state.ecef[tgt])
        ground = ground_distance_m(self.lat_deg[due, None], self.lon_deg[due, None],
                                   state.lat_deg[None, tgt], state.lon_deg[None, tgt])
        horizon = radar_horizon_m(self.height_m[due, None], state.alt_m[None, tgt])
        ok = ((ground <= horizon)
              & (rng_m >= self.min_range_m[due, None]) & (rng_m <= self.max_range_m[due, None])
              & (el <= self.max_el_rad[due, None])
              & in_sector(az, self.sector_start[due, None], self.sector_end[due, None]))
        si, pj = np.nonzero(ok)
        n = si.size
        if n == 0:
            return DetectionBatch.empty()
        ri = due[si]  # radar index
        ti = tgt[pj]  # platform row
        r = rng_m[si, pj]
        rcs_mean = platforms.rcs_m2[ti]
        fluct = _fluctuation(rng, self.swerling, n, ri)
        snr_inst = self.mean_snr(ri, rcs_mean, r) * fluct
        noise = rng.normal(0.0, np.sqrt(0.5), size=(n, 2))
        y = (np.sqrt(snr_inst) + noise[:, 0]) ** 2 + noise[:, 1] ** 2
        det = y > self.threshold[ri]
        k = np.flatnonzero(det)
        if k.size == 0:
            return DetectionBatch.empty()
        si, pj, ri, ti, r = si[k], pj[k], ri[k], ti[k], r[k]
        m = k.size
        # radial velocity: line-of-sight unit vector (ECEF) . target velocity (ECEF)
        los = state.ecef[ti] - self.ecef[ri]
        rr = np.einsum("mi,mi->m", los, state.vel_ecef[ti]) / r
        e = rng.standard_normal((m, 5))
        z = np.empty((m, 4))
        z[:, 0] = r + self.sig_r[ri] * e[:, 0]
        z[:, 1] = wrap_pi(az[si, pj] + self.sig_az[ri] * e[:, 1])
        z[:, 2] = el[si, pj] + self.sig_el[ri] * e[:, 2]
        z[:, 3] = np.where(self.has_rr[ri], rr + np.nan_to_num(self.sig_rr[ri]) * e[:, 3], np.nan)
        est_db = RCS_ESTIMATE_SIGMA_DB * e[:, 4]
        snr_db = 10.0 * np.log10(snr_inst[k])
        return DetectionBatch.create(
            t=np.full(m, state.t), sensor=self.rows[ri], meas_kind=MeasKind.RADAR, z=z,
            R=self._cov(ri), rcs_dbsm=10.0 * np.log10(rcs_mean[k] * fluct[k]) + est_db,
            snr_db=snr_db + est_db, class_label=self._micro_doppler(ri, ti, snr_db, platforms, rng),
            truth_id=ti)

    def _micro_doppler(self, ri: NDArray[np.int64], ti: NDArray[np.int64], snr_db: F64,
                       platforms: PlatformTable, rng: np.random.Generator) -> NDArray[np.int64]:
        """Micro-Doppler class per detection (``MicroDoppler`` code, -1 none): radars with
        ``micro_doppler`` report the platform's propulsion class when the single-look SNR reaches
        ``micro_doppler_snr_db``, another class with ``micro_doppler_error_p``. No random draws
        unless such a radar detected something (other scenarios keep their random streams)."""
        out = np.full(ri.size, -1, dtype=np.int64)
        ok = np.flatnonzero(self.md[ri] & (snr_db >= self.md_snr_db[ri]))
        if ok.size == 0:
            return out
        u = rng.random((ok.size, 2))
        true = platforms.acoustic_class[ti[ok]].astype(np.int64)  # same codes as MicroDoppler
        n_cls = len(MicroDoppler) - 1
        other = (true + 1 + (u[:, 1] * (n_cls - 1)).astype(np.int64)) % n_cls
        out[ok] = np.where(u[:, 0] < self.md_err_p[ri[ok]], other, true)
        return out

    def _cov(self, ri: NDArray[np.int64]) -> F64:
        cov = np.zeros((ri.size, 4, 4))
        cov[:, 0, 0] = self.sig_r[ri] ** 2
        cov[:, 1, 1] = self.sig_az[ri] ** 2
        cov[:, 2, 2] = self.sig_el[ri] ** 2
        cov[:, 3, 3] = np.where(self.has_rr[ri], np.nan_to_num(self.sig_rr[ri]) ** 2, 0.0)
        return cov

    def _false_alarms(self, due: NDArray[np.int64], t: float, rng: np.random.Generator
                      ) -> DetectionBatch:
        """Poisson(false_alarms_per_scan) per due radar, uniform in the covered volume.

        Range uniform in area between min and max range (r = sqrt(U(rmin^2, rmax^2))), azimuth
        uniform in the sector, elevation uniform in [0, min(max_el, asin(h_max / r))]. The
        detector output of a noise exceedance is ``T + Exp(1)`` (memoryless exponential), so
        the SNR estimate is ``y - 1`` and the RCS estimate follows from the radar equation.
        """
        counts = rng.poisson(self.fa_mean[due])
        ri = np.repeat(due, counts)
        n = ri.size
        if n == 0:
            return DetectionBatch.empty()
        u = rng.random((n, 5))
        r = np.sqrt(self.min_range_m[ri] ** 2
                    + u[:, 0] * (self.max_range_m[ri] ** 2 - self.min_range_m[ri] ** 2))
        span = sector_span_deg(self.sector_start[ri], self.sector_end[ri])
        az = wrap_pi(np.radians(self.sector_start[ri] + u[:, 1] * span))
        el_top = np.minimum(self.max_el_rad[ri],
                            np.arcsin(np.minimum(1.0, FALSE_ALARM_MAX_HEIGHT_M / r)))
        el = u[:, 2] * el_top
        rr = np.where(self.has_rr[ri], (2.0 * u[:, 3] - 1.0) * FALSE_ALARM_MAX_RANGE_RATE_MPS,
                      np.nan)
        y = self.threshold[ri] - np.log1p(-u[:, 4])
        snr = np.maximum(y - 1.0, 1e-3)
        rcs = self.rcs_ref_m2[ri] * (snr / self.snr_ref[ri]) * (r / self.range_ref_m[ri]) ** 4
        return DetectionBatch.create(
            t=np.full(n, t), sensor=self.rows[ri], meas_kind=MeasKind.RADAR,
            z=np.column_stack([r, az, el, rr]), R=self._cov(ri),
            rcs_dbsm=10.0 * np.log10(rcs), snr_db=10.0 * np.log10(snr),
            truth_id=np.full(n, TRUTH_FALSE_ALARM))
