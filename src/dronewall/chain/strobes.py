"""Lines of bearing (strobes): emitters a sensor hears but nothing locates.

An RF direction finder hearing a DJI link, or an acoustic node hearing an engine, reports a
bearing, not a position. The tracker makes a track of a target only where bearings cross
(several nodes, or an RF bearing and a node's classified bearing: ``tracking/emitters``).
A quadcopter hovering 10 km from the one RF finder that hears it gives hundreds of bearings an
hour and no track -- the honest output is not "nothing" but a *strobe*: a line from the sensor
along the bearing, with what was heard (the link protocol, the engine class), since when, and
how steady. C-UAS RF detectors show their detections this way; an operator looks along the
line (a camera, a patrol), and two strobes from different sensors crossing show where.

:class:`StrobeBook` keeps, per sensor and signature (``rf:<protocol>`` or ``acoustic:<class>``),
the bearings that arrive, grouped by direction: a bearing joins the sensor's strobe of the same
signature whose mean bearing it fits (within ``gate_sd`` standard deviations of the strobe's
spread and the bearing's own error, at least ``min_gate_deg``), or starts a new one. Each
strobe's bearing is a circular mean with exponential forgetting (time constant ``tau_s``: a
moving emitter's bearing drifts); its spread is the circular standard deviation of the same
weighted bearings, never below the sensors' stated bearing error. A strobe is **shown** once
``min_count`` bearings fed it (one stray false alarm is not a strobe) and **ends**
``hold_s`` after its last bearing.

A shown strobe is **on a track** when a confirmed track lies on its line within the sensor's
reach and carries the same signature (:func:`attribute`): the bearing is then explained, and
the operator sees the track. An RF strobe is explained only by a track carrying its link
protocol or of a class that emits it -- a bird or a one-way drone that happens to lie on a
quadcopter's line of bearing does not emit its link; an acoustic strobe by any track on its
line within 20 km (the engine's and the classifier's explain range), or farther out by one
heard with (or of a class making) that sound.

Everything is array work over the strobes; the number of live strobes is bounded
(``max_live``, oldest ended first).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from dronewall.catalog.platforms import PLATFORMS, AcousticClass, PlatformClass, RFProtocol
from dronewall.detections.batch import DetectionBatch, MeasKind, SensorKind, SensorTable
from dronewall.tracking.config import TrackerConfig

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]

#: Signature kinds (``Strobes.kind``).
KIND_RF = 0
KIND_ACOUSTIC = 1
KIND_NAMES = ("rf", "acoustic")

#: Reach of a sensor kind when the caller gives none (m): an RF finder's and an acoustic node's
#: typical detection range for small drones (``../shared/research``, sensor anchors: RF
#: detectors a few to ~10 km for DJI links, acoustic nodes ~1-5 km for Shahed-class engines).
DEFAULT_REACH_M = {KIND_RF: 10_000.0, KIND_ACOUSTIC: 5_000.0}


#: :meth:`StrobeBook.attribute` works on blocks of strobes with at most this many (strobe,
#: track) pairs: a dozen float arrays of 2^20 elements are ~100 MB at most, whatever the
#: number of live strobes and tracks.
ATTRIBUTE_BLOCK_ELEMENTS = 1 << 20


def _compatible() -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(classes, acoustic classes) and (classes, RF protocols): which signatures platforms of
    each class make (the platform catalogue)."""
    nc = len(PlatformClass)
    ac = np.zeros((nc, len(AcousticClass) - 1), bool)
    rf = np.zeros((nc, len(RFProtocol) - 1), bool)
    for p in PLATFORMS.values():
        if p.acoustic_class >= 0:
            ac[int(p.platform_class), int(p.acoustic_class)] = True
        if p.rf_protocol >= 0:
            rf[int(p.platform_class), int(p.rf_protocol)] = True
    return ac, rf


#: CLASS_ACOUSTIC[c, a]: platforms of class c sound like acoustic class a; CLASS_RF[c, p]: they
#: emit link protocol p.
CLASS_ACOUSTIC, CLASS_RF = _compatible()


@dataclass(frozen=True)
class StrobeConfig:
    """``tau_s``: forgetting time constant of the mean bearing and spread, s; ``gate_sd``:
    a bearing joins a strobe within this many standard deviations; ``min_gate_deg``: ... but
    never a narrower gate than this, deg; ``min_count_rf`` / ``min_count_acoustic``: bearings
    before a strobe is shown; ``hold_s``: a strobe ends this long after its last bearing, s;
    ``max_live``: live strobes kept at most (memory bound; the oldest are ended first);
    ``acoustic_explain_range_m``: an acoustic strobe is explained by any track on its line
    within this range of the node (or its reach, if farther), m -- a loud source beyond the
    reach for drones (an airliner 13 km out) may have made it; the tracker's
    ``bearing_explain_range_m``, which the stage is given (``StrobeStage``)."""

    tau_s: float = 30.0
    gate_sd: float = 3.0
    min_gate_deg: float = 2.0
    min_count_rf: int = 2
    min_count_acoustic: int = 3
    hold_s: float = 30.0
    max_live: int = 10_000
    acoustic_explain_range_m: float = TrackerConfig.bearing_explain_range_m

    def __post_init__(self) -> None:
        for name in ("tau_s", "gate_sd", "min_gate_deg", "hold_s", "acoustic_explain_range_m"):
            v = float(getattr(self, name))
            if not (np.isfinite(v) and v > 0):
                raise ValueError(f"StrobeConfig.{name} must be finite and > 0, got {v}")
        for name in ("min_count_rf", "min_count_acoustic", "max_live"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"StrobeConfig.{name} must be >= 1")


def signature_name(kind: int, code: int) -> str:
    """``rf:dji_ocusync``, ``acoustic:piston_prop``, ``rf:unknown`` ..."""
    if kind == KIND_RF:
        name = RFProtocol(code).name.lower() if code in RFProtocol._value2member_map_ else ""
    else:
        name = (AcousticClass(code).name.lower()
                if code in AcousticClass._value2member_map_ else "")
    return f"{KIND_NAMES[kind]}:{name if name and name != 'none' else 'unknown'}"


#: How an operator or an investigator reads a signature (``signature_text``).
SIGNATURE_TEXT = {
    "rf:dji_ocusync": "DJI OcuSync link", "rf:analog_video_5g8": "5.8 GHz FPV video",
    "rf:military_datalink": "military UAV datalink", "rf:cellular_modem": "LTE modem",
    "rf:unknown": "RF emission", "acoustic:piston_prop": "piston engine",
    "acoustic:electric_rotor": "rotor noise", "acoustic:jet": "jet engine",
    "acoustic:bird": "bird", "acoustic:unknown": "sound"}


def signature_text(sig: str) -> str:
    """Words for a signature (``rf:dji_ocusync`` -> ``DJI OcuSync link``)."""
    return SIGNATURE_TEXT.get(sig, sig.replace("_", " ").replace(":", " "))


@dataclass(frozen=True, eq=False)
class Strobes:
    """The strobes alive at ``t`` (N rows, by id) and what this step did.

    ``id`` (N,); ``sensor`` (N,) sensor-table row; ``kind`` (N,) :data:`KIND_RF` /
    :data:`KIND_ACOUSTIC`; ``code`` (N,) RF protocol or acoustic class code (-1 unknown);
    ``bearing_deg`` (N,) true bearing from the sensor, [0, 360); ``sd_deg`` (N,) spread of its
    bearings; ``t_first_s`` / ``t_last_s`` (N,) first and latest bearing, s; ``n`` (N,)
    bearings; ``shown`` (N,) enough bearings to show; ``on_track`` (N,) the confirmed track
    explaining it (-1: none -- an unlocated emitter); ``reach_m`` (N,) how far along the line
    the emitter can be. ``det_strobe`` (M,): for each of the step's detections, the strobe it
    joined (-1: not a bearing of an RF finder or acoustic node). ``ended``: the strobes that
    ended this step (same columns, ``on_track`` their last attribution)."""

    t: float
    id: I64
    sensor: I64
    kind: NDArray[np.int8]
    code: I64
    bearing_deg: F64
    sd_deg: F64
    t_first_s: F64
    t_last_s: F64
    n: I64
    shown: B
    on_track: I64
    reach_m: F64
    det_strobe: I64
    ended: Strobes | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return int(self.id.size)

    def signature(self, i: int) -> str:
        return signature_name(int(self.kind[i]), int(self.code[i]))


def _circular(C: F64, S: F64, W: F64, Rw: F64) -> tuple[F64, F64]:
    """Weighted circular mean (rad, [0, 2 pi)) and spread (rad) from the decayed sums of cos,
    sin, weights and stated variances: the circular sd sqrt(-2 ln R), R the mean resultant
    length, never below the bearings' own stated error sqrt(Rw / W)."""
    Wp = np.maximum(W, 1e-12)
    Rbar = np.clip(np.hypot(C, S) / Wp, 1e-12, 1.0)
    circ = np.sqrt(np.maximum(-2.0 * np.log(Rbar), 0.0))
    return np.arctan2(S, C) % (2.0 * np.pi), np.maximum(circ, np.sqrt(np.maximum(Rw / Wp, 0.0)))


def _wrap(a: F64) -> F64:
    return (a + np.pi) % (2.0 * np.pi) - np.pi


def _ranges(start: I64, count: I64) -> I64:
    """Concatenated aranges [start_i, start_i + count_i)."""
    if count.size == 0 or count.sum() == 0:
        return np.zeros(0, np.int64)
    rep = np.repeat(start - np.r_[0, np.cumsum(count)[:-1]], count)
    return rep + np.arange(int(count.sum()))


class StrobeBook:
    """Strobes of the bearing-only sensors (RF finders, acoustic nodes) of ``sensors``.

    ``reach_m`` (S,) per sensor-table row: how far a target it reports may be, m (NaN: the
    kind's :data:`DEFAULT_REACH_M`). Feed each step's detections with :meth:`step`, then
    :meth:`attribute` the shown strobes to the picture's tracks."""

    def __init__(self, sensors: SensorTable, reach_m: F64 | None = None,
                 config: StrobeConfig | None = None) -> None:
        self.cfg = config or StrobeConfig()
        kind = np.asarray(sensors.kind, np.int8)
        self._skind = np.full(kind.size, -1, np.int8)
        self._skind[kind == int(SensorKind.RF)] = KIND_RF
        self._skind[kind == int(SensorKind.ACOUSTIC)] = KIND_ACOUSTIC
        reach = (np.full(kind.size, np.nan) if reach_m is None
                 else np.asarray(reach_m, np.float64).reshape(-1).copy())
        if reach.size != kind.size:
            raise ValueError(f"reach_m has {reach.size} rows for {kind.size} sensors")
        for k, r in DEFAULT_REACH_M.items():
            reach = np.where(np.isnan(reach) & (self._skind == k), r, reach)
        self.reach_m = reach
        #: strobes x tracks elements per block of :meth:`attribute`'s work arrays
        self.block_elements = ATTRIBUTE_BLOCK_ELEMENTS
        self._next_id = 1
        self.n_started = 0
        self.n_shed = 0
        self._id = np.zeros(0, np.int64)
        self._sensor = np.zeros(0, np.int64)
        self._kind = np.zeros(0, np.int8)
        self._code = np.zeros(0, np.int64)
        self._C = np.zeros(0)
        self._S = np.zeros(0)
        self._W = np.zeros(0)
        self._Rw = np.zeros(0)        # decayed sum of the bearings' stated variances, rad^2
        self._t_first = np.zeros(0)
        self._t_last = np.zeros(0)
        self._t_seen = np.zeros(0)    # time the decayed sums refer to
        self._n = np.zeros(0, np.int64)
        self._on = np.zeros(0, np.int64)
        self._last_b = np.zeros(0)    # the latest bearing that joined, rad

    # ------------------------------------------------------------------ state access

    def _arrays(self) -> list[str]:
        return ["_id", "_sensor", "_kind", "_code", "_C", "_S", "_W", "_Rw", "_t_first",
                "_t_last", "_t_seen", "_n", "_on", "_last_b"]

    def _take(self, sel: I64 | B) -> dict[str, NDArray[np.generic]]:
        return {a: getattr(self, a)[sel] for a in self._arrays()}

    def _keep(self, sel: I64 | B) -> None:
        for a in self._arrays():
            setattr(self, a, getattr(self, a)[sel])

    def _mean_sd(self) -> tuple[F64, F64]:
        """(bearing rad in [0, 2 pi), spread sd rad) of the live strobes."""
        return _circular(self._C, self._S, self._W, self._Rw)

    def _min_count(self, kind: NDArray[np.int8]) -> I64:
        return np.where(kind == KIND_RF, self.cfg.min_count_rf, self.cfg.min_count_acoustic)

    # ------------------------------------------------------------------ one step

    def step(self, t: float, det: DetectionBatch) -> tuple[I64, dict[str, NDArray[np.generic]]]:
        """Feed the step's detections at ``t`` (s). Returns (det_strobe (M,): the strobe each
        detection joined, -1 none; the strobes that ended, as column arrays)."""
        m = len(det)
        det_strobe = np.full(m, -1, np.int64)
        use = np.zeros(m, bool)
        if m:
            # a row naming no sensor of the table, or with a non-finite time or bearing, is
            # no bearing of a strobe (the engine quarantines such rows; here they are skipped)
            known = (det.sensor >= 0) & (det.sensor < self._skind.size)
            sk = np.where(known, self._skind[np.where(known, det.sensor, 0)], -1)
            use = ((det.meas_kind == int(MeasKind.BEARING)) & (sk >= 0)
                   & np.isfinite(det.z[:, 0]) & np.isfinite(det.t))
        if use.any():
            di = np.flatnonzero(use)
            self._absorb(di, det, sk[di].astype(np.int8), det_strobe)
        # end strobes not heard for hold_s, and the oldest beyond max_live
        end = t - self._t_last > self.cfg.hold_s
        live = np.flatnonzero(~end)
        if live.size > self.cfg.max_live:
            order = live[np.argsort(self._t_last[live], kind="stable")]
            shed = order[: live.size - self.cfg.max_live]
            end[shed] = True
            self.n_shed += int(shed.size)
        ended = self._take(end)
        self._keep(~end)
        return det_strobe, ended

    def _absorb(self, di: I64, det: DetectionBatch, kind: NDArray[np.int8],
                det_strobe: I64) -> None:
        t_det = det.t[di]
        sensor = det.sensor[di].astype(np.int64)
        code = np.where(kind == KIND_RF, det.rf_protocol[di], det.class_label[di]).astype(
            np.int64)
        b = det.z[di, 0] % (2.0 * np.pi)
        rvar = np.where(np.isfinite(det.R[di, 0, 0]), det.R[di, 0, 0], 0.0)
        # candidate strobes: same sensor, kind and code
        ck = self._key(self._sensor, self._kind, self._code)
        dk = self._key(sensor, kind, code)
        order = np.argsort(ck, kind="stable")
        lo = np.searchsorted(ck[order], dk, "left")
        hi = np.searchsorted(ck[order], dk, "right")
        cnt = hi - lo
        pd_ = np.repeat(np.arange(di.size), cnt)
        ps = order[_ranges(lo, cnt)]
        join = np.full(di.size, -1, np.int64)
        if ps.size:
            mean, sd = self._mean_sd()
            dev = np.abs(_wrap(b[pd_] - mean[ps]))
            gate = np.maximum(self.cfg.gate_sd * np.sqrt(sd[ps] ** 2 + rvar[pd_]),
                              np.radians(self.cfg.min_gate_deg))
            ok = dev <= gate
            if ok.any():
                pd_, ps, dev = pd_[ok], ps[ok], dev[ok] / gate[ok]
                o = np.lexsort((ps, dev, pd_))            # per detection, best first
                first = np.r_[True, pd_[o][1:] != pd_[o][:-1]]
                join[pd_[o][first]] = ps[o][first]
        # new strobes for the rest (a detection per new strobe)
        new = np.flatnonzero(join < 0)
        if new.size:
            k0 = self._id.size
            ids = np.arange(self._next_id, self._next_id + new.size, dtype=np.int64)
            self._next_id += new.size
            self.n_started += new.size
            add = {"_id": ids, "_sensor": sensor[new], "_kind": kind[new], "_code": code[new],
                   "_C": np.zeros(new.size), "_S": np.zeros(new.size),
                   "_W": np.zeros(new.size), "_Rw": np.zeros(new.size),
                   "_t_first": t_det[new], "_t_last": t_det[new], "_t_seen": t_det[new],
                   "_n": np.zeros(new.size, np.int64), "_on": np.full(new.size, -1, np.int64),
                   "_last_b": b[new]}
            for a, v in add.items():
                setattr(self, a, np.concatenate([getattr(self, a), v]))
            join[new] = k0 + np.arange(new.size)
        # decay each fed strobe to the bearing's time, then add the bearings
        rows = np.unique(join)
        t_new = np.full(self._id.size, -np.inf)
        np.maximum.at(t_new, join, t_det)
        dec = np.exp(-np.maximum(t_new[rows] - self._t_seen[rows], 0.0) / self.cfg.tau_s)
        for a in ("_C", "_S", "_W", "_Rw"):
            getattr(self, a)[rows] *= dec
        np.add.at(self._C, join, np.cos(b))
        np.add.at(self._S, join, np.sin(b))
        np.add.at(self._W, join, 1.0)
        np.add.at(self._Rw, join, rvar)
        np.add.at(self._n, join, 1)
        self._t_seen[rows] = t_new[rows]
        self._last_b[join] = b
        self._t_last[rows] = np.maximum(self._t_last[rows], t_new[rows])
        det_strobe[di] = self._id[join]

    @staticmethod
    def _key(sensor: I64, kind: NDArray[np.int8], code: I64) -> I64:
        # codes are int16 (DetectionBatch): offset into [0, 2^16) so no key can collide
        return ((sensor.astype(np.int64) * 4 + kind.astype(np.int64)) * 65_536
                + (code.astype(np.int64) + 32_768))

    # ------------------------------------------------------------------ attribution

    def attribute(self, sensor_pos: F64, sensor_rot: F64, track_pos: F64, track_sd_m: F64,
                  track_ids: I64, track_rf: F64, track_acoustic: F64,
                  track_cls: I64 | None = None) -> None:
        """Put each shown strobe on the confirmed track that explains it, or none.

        ``sensor_pos`` (S, 3) sensors in the picture's frame, m; ``sensor_rot`` (S, 3, 3) rows
        east, north, up of each sensor in that frame; ``track_pos`` (N, 3) m, ``track_sd_m``
        (N,) horizontal position sd, ``track_ids`` (N,), ``track_rf`` / ``track_acoustic``
        (N,) the link protocol / acoustic class each track carries (NaN none), ``track_cls``
        (N,) its most probable platform class (-1 or None: unknown). A track explains a strobe
        when it lies within ``gate_sd`` of the strobe's line (its spread and the track's own
        error seen from the sensor) and fits the strobe's signature: it carries it (a track
        fed with the link protocol or heard with the engine class is heard where it is), or
        it carries none but its class makes that signature (``CLASS_RF``, ``CLASS_ACOUSTIC``:
        an airliner's track on a jet's line); an RF strobe naming no protocol by any track
        on its line within the finder's reach; an acoustic strobe also when it lies within
        ``acoustic_explain_range_m`` of the node (or its reach), whatever its class (a node's
        classifier confuses engines: a Shahed's bearing labelled rotor noise is still the
        Shahed's). The nearest to the line wins."""
        n = self._id.size
        self._on = np.full(n, -1, np.int64)
        if n == 0 or track_ids.size == 0:
            return
        mean, sd = self._mean_sd()
        shown = self._n >= self._min_count(self._kind)
        si = np.flatnonzero(shown)
        if si.size == 0:
            return
        cls = (np.full(track_ids.size, -1, np.int64) if track_cls is None
               else np.asarray(track_cls, np.int64))
        # in blocks of strobes, so that the (strobes x tracks) work arrays stay bounded
        # (10,000 live strobes against thousands of tracks would otherwise take gigabytes)
        block = max(1, self.block_elements // max(track_ids.size, 1))
        for b0 in range(0, si.size, block):
            sb = si[b0:b0 + block]
            self._on[sb] = self._explain(sb, mean[sb], sd[sb], sensor_pos, sensor_rot,
                                         track_pos, track_sd_m, track_ids, track_rf,
                                         track_acoustic, cls)

    def _explain(self, si: I64, mean: F64, sd: F64, sensor_pos: F64, sensor_rot: F64,
                 track_pos: F64, track_sd_m: F64, track_ids: I64, track_rf: F64,
                 track_acoustic: F64, cls: I64) -> I64:
        """The track id that explains each strobe ``si`` (its mean bearing ``mean``, spread
        ``sd``, rad), or -1 (:meth:`attribute`'s rule)."""
        s_row = self._sensor[si]
        d = track_pos[None, :, :] - sensor_pos[s_row][:, None, :]          # (K, N, 3)
        rot = sensor_rot[s_row]
        east = np.einsum("kj,knj->kn", rot[:, 0, :], d)
        north = np.einsum("kj,knj->kn", rot[:, 1, :], d)
        rng = np.hypot(east, north)
        brg = np.arctan2(east, north)
        # off the line: the smaller of the deviations from the mean bearing and from the latest
        # (the mean lags an emitter sweeping past the sensor)
        dev = np.minimum(np.abs(_wrap(brg - mean[:, None])),
                         np.abs(_wrap(brg - self._last_b[si][:, None])))
        tot = np.sqrt(sd[:, None] ** 2 + (track_sd_m[None, :] / np.maximum(rng, 1.0)) ** 2)
        gate = np.maximum(self.cfg.gate_sd * tot, np.radians(self.cfg.min_gate_deg))
        code = self._code[si][:, None]
        rf = self._kind[si][:, None] == KIND_RF
        known = (cls >= 0) & (cls < CLASS_RF.shape[0])
        cc = np.where(known, cls, 0)
        kc = np.clip(code, 0, None)
        by_rf = known[None, :] & CLASS_RF[cc[None, :], np.clip(kc, 0, CLASS_RF.shape[1] - 1)]
        by_ac = known[None, :] & CLASS_ACOUSTIC[cc[None, :],
                                                np.clip(kc, 0, CLASS_ACOUSTIC.shape[1] - 1)]
        no_rf, no_ac = np.isnan(track_rf)[None, :], np.isnan(track_acoustic)[None, :]
        has = code >= 0
        within = rng <= self.reach_m[s_row][:, None]
        # an RF bearing that names no protocol (a SAPIENT RF node reports a class, not the
        # link) is explained by any track on its line within the finder's reach
        rf_ok = (has & ((track_rf[None, :] == code) | (no_rf & by_rf))) | (~has & within)
        ac_ok = has & ((track_acoustic[None, :] == code) | (no_ac & by_ac)
                       | (rng <= np.maximum(self.reach_m[s_row][:, None],
                                          self.cfg.acoustic_explain_range_m)))
        ok = (dev <= gate) & np.where(rf, rf_ok, ac_ok)
        score = np.where(ok, dev / gate, np.inf)
        best = np.argmin(score, axis=1)
        has = np.isfinite(score[np.arange(si.size), best])
        return np.where(has, track_ids[best], -1).astype(np.int64)

    # ------------------------------------------------------------------ output

    def record(self, t: float, det_strobe: I64, ended: dict[str, NDArray[np.generic]] | None
               ) -> Strobes:
        """The live strobes at ``t`` and this step's detections' strobes (and the ended)."""
        mean, sd = self._mean_sd()
        cols = self._columns(self._id, self._sensor, self._kind, self._code, mean, sd,
                             self._t_first, self._t_last, self._n, self._on)
        end = None
        if ended is not None and ended["_id"].size:
            em, es = _circular(ended["_C"], ended["_S"], ended["_W"], ended["_Rw"])
            ecols = self._columns(ended["_id"], ended["_sensor"], ended["_kind"],
                                  ended["_code"], em, es, ended["_t_first"], ended["_t_last"],
                                  ended["_n"], ended["_on"])
            end = Strobes(t=t, **ecols, det_strobe=np.zeros(0, np.int64))
        return Strobes(t=t, **cols, det_strobe=det_strobe, ended=end)

    def _columns(self, ids: NDArray[np.generic], sensor: NDArray[np.generic],
                 kind: NDArray[np.generic], code: NDArray[np.generic], mean: F64, sd: F64,
                 t_first: NDArray[np.generic], t_last: NDArray[np.generic],
                 n: NDArray[np.generic], on: NDArray[np.generic]) -> dict[str, NDArray[np.generic]]:
        k = np.asarray(kind, np.int8)
        return {"id": np.asarray(ids, np.int64), "sensor": np.asarray(sensor, np.int64),
                "kind": k, "code": np.asarray(code, np.int64),
                "bearing_deg": np.degrees(mean) % 360.0, "sd_deg": np.degrees(sd),
                "t_first_s": np.asarray(t_first, np.float64),
                "t_last_s": np.asarray(t_last, np.float64), "n": np.asarray(n, np.int64),
                "shown": np.asarray(n, np.int64) >= self._min_count(k),
                "on_track": np.asarray(on, np.int64),
                "reach_m": self.reach_m[np.asarray(sensor, np.int64)]}
