"""Recursive Bayesian classification of air tracks into the 7 :class:`PlatformClass` classes.

Pure array kernels over N tracks; the caller (track engine) owns the ``(N, C)`` log-posterior.
One step (see ``docs/classification.md``)::

    lam      = exp(-dt / FORGET_TAU_S)                        (1 if dt is NaN)
    log_post = lam * log_post + (1 - lam) * log_prior          forgetting toward the prior
    log_post += sum_e w_e * clip(log p(evidence_e | class))    tempered, clipped likelihoods
    log_post -= logsumexp(log_post)                            normalise

Kinematic evidence (speed, altitude, climb, turn) enters with weight ``w = min(dt / tau, 1)``:
a tracker's 1 Hz kinematic estimates are strongly correlated over its filter time constant, so
``tau`` seconds of them count as roughly one independent sample. Discrete evidence (RCS,
acoustic, RF, EO/IR label, cooperative identity) enters with a fixed per-report weight < 1
for the same reason (successive reports of one sensor about one target are not independent).
Each per-report log-likelihood is clipped to at most ``llr_cap_nats`` below the best class, so
a single outlier (mis-association, clutter) cannot veto a class.

Shapes: N tracks, C = 7 classes (index = ``PlatformClass`` value), E = len(EVIDENCE_KINDS).
Units: SI (m, m/s, s) except turn rate in deg/s and RCS in dBsm.

Every figure in :class:`ClassifierConfig` is an engineering estimate [E] derived from
``dronewall.catalog.platforms`` unless flagged otherwise; treat them as tunable parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from dronewall.catalog.platforms import AcousticClass, MicroDoppler, PlatformClass, RFProtocol

F64 = NDArray[np.float64]

#: Number of classes (``PlatformClass`` values 0..6 index the class axis).
N_CLASSES = len(PlatformClass)
CLASS_NAMES: tuple[str, ...] = tuple(c.name for c in PlatformClass)

#: Evidence kinds, in the order of the last axis of ``contrib``.
EVIDENCE_KINDS: tuple[str, ...] = (
    "speed", "altitude", "climb", "turn_rate", "rcs", "acoustic", "rf_protocol", "eo_label",
    "adsb", "remote_id", "micro_doppler", "acoustic_level", "audibility", "rf_audibility",
)
N_EVIDENCE = len(EVIDENCE_KINDS)
_E = {k: i for i, k in enumerate(EVIDENCE_KINDS)}

#: Acoustic labels scored (columns of ``acoustic_lik``), in AcousticClass code order 0..3.
N_ACOUSTIC = len(AcousticClass) - 1  # NONE (-1) is "no evidence"
#: RF labels scored (columns of ``rf_lik``), in RFProtocol code order 0..3.
N_RF = len(RFProtocol) - 1
#: Micro-Doppler labels scored (columns of ``micro_doppler_lik``), MicroDoppler codes 0..3.
N_MD = len(MicroDoppler) - 1

#: Speeds below this are floored before the log-normal (hovering multirotors, 0 m/s estimates).
SPEED_FLOOR_MPS = 0.5
#: Heights below this are floored before the log-normal (no terrain model; noisy low tracks).
ALT_FLOOR_M = 5.0
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)

# Class order shorthand for the tables below:
#            MANNED  ATTACK  DECOY   RECON   MULTI   BIRD    UNKNOWN


@dataclass(frozen=True)
class ClassifierConfig:
    """Class-conditional likelihood models. Per-class tuples are in ``PlatformClass`` order.

    All values [E] unless stated; sources are the catalogue entries (``catalog/platforms.py``).
    """

    #: Prior P(class). Wartime raid mix [E]: attack drones and decoys dominate, UNKNOWN small
    #: (it is the "none of the above" sink with deliberately broad likelihoods).
    prior: tuple[float, ...] = (0.15, 0.20, 0.20, 0.10, 0.15, 0.15, 0.05)

    #: Horizontal speed, log-normal: median m/s. Manned: light aircraft 55 .. airliner 230 ..
    #: MiG-31 transit 250 -> 150 with wide spread. Shahed cruise 160 km/h [P]; Gerbera 140 km/h
    #: [E] (max 160 [P]); Orlan-10 110 km/h; DJI 12 m/s / FPV 25 m/s; bird 12 m/s.
    speed_median_mps: tuple[float, ...] = (150.0, 44.4, 38.9, 30.6, 12.0, 12.0, 30.0)
    #: Log-sd of the true speed of a class (the track's own speed uncertainty is added in
    #: quadrature per update). Shahed cruise 150-170 km/h [P] -> 0.07; Gerbera 120-160 km/h
    #: [E] -> 0.08; recon 90-150 km/h -> 0.2; multirotor hover .. FPV 55 m/s -> 0.7; manned
    #: 55-260 m/s -> 0.7; UNKNOWN very broad.
    speed_logsd: tuple[float, ...] = (0.7, 0.07, 0.08, 0.2, 0.7, 0.4, 1.5)

    #: Height above ground, log-normal (broad): median m. Catalogue cruise altitudes: manned
    #: 1,000 (light) .. 10,500 (airliner); Shahed 150 (50-2,000); Gerbera 300 (100-2,000);
    #: Orlan 1,000; DJI 100 / FPV 30; bird 80.
    alt_median_m: tuple[float, ...] = (3000.0, 150.0, 300.0, 1000.0, 70.0, 80.0, 300.0)
    #: Log-sd of height: ranges above span ~1-1.5 e-folds either side of the median.
    alt_logsd: tuple[float, ...] = (1.2, 0.9, 0.9, 0.8, 0.8, 0.9, 2.0)

    #: Climb rate, zero-mean Gaussian sd m/s (weak evidence): ~1/3 .. 1/2 of catalogue max climb.
    climb_sd_mps: tuple[float, ...] = (8.0, 2.0, 2.0, 2.0, 2.5, 1.5, 5.0)

    #: |Turn rate|, half-normal sd deg/s: manned standard-rate 3 deg/s; Shahed max 6, Gerbera 8,
    #: Orlan 10 (cruise mostly straight -> sd ~1/3 of max); multirotor / bird erratic.
    turn_sd_dps: tuple[float, ...] = (1.5, 2.0, 2.5, 3.0, 15.0, 15.0, 20.0)

    #: RCS Gaussian mean dBsm = 10 log10(catalogue mean RCS): manned 2..30 m2 -> 10;
    #: Shahed 0.3 m2 -> -5.2; Gerbera built to mimic Shahed [P] -> same (RCS cannot separate
    #: them); Orlan 0.1 -> -10; DJI 0.01 / FPV 0.005 -> -21; bird 0.01 -> -20.
    rcs_mean_dbsm: tuple[float, ...] = (10.0, -5.2, -5.2, -10.0, -21.0, -20.0, -10.0)
    #: RCS sd dB: Swerling-1 fluctuation alone gives ~5.6 dB sd of a single-look dB value;
    #: aspect and type spread add to it.
    rcs_sd_db: tuple[float, ...] = (6.0, 5.0, 5.0, 5.0, 5.0, 6.0, 10.0)

    #: P(acoustic label | class), rows: class, cols: PISTON_PROP, ELECTRIC_ROTOR, JET, BIRD.
    #: Catalogue: piston for Shahed/Gerbera/Orlan/light aircraft, jet for airliner/MiG, electric
    #: for multirotor; off-diagonal mass = acoustic classifier confusion [E].
    acoustic_lik: tuple[tuple[float, ...], ...] = (
        (0.30, 0.02, 0.66, 0.02),  # MANNED: light aircraft piston, airliner/MiG jet
        (0.90, 0.03, 0.04, 0.03),  # ATTACK
        (0.90, 0.03, 0.04, 0.03),  # DECOY
        (0.90, 0.03, 0.04, 0.03),  # RECON
        (0.05, 0.85, 0.05, 0.05),  # MULTIROTOR
        (0.10, 0.10, 0.05, 0.75),  # BIRD
        (0.25, 0.25, 0.25, 0.25),  # UNKNOWN
    )

    #: Acoustic source level (dB re 20 uPa @ 1 m), Gaussian per class: the received level of a
    #: node corrected by the propagation loss over the track's range to the node
    #: (``detections.acoustics``). Means from the catalogue [E]: manned 120 (light) .. 150
    #: (fighter); Shahed-class 50 hp two-stroke 105; Gerbera-class small engine 92; Orlan 95;
    #: multirotors 78-82; birds ~50. Sd: type-to-type spread + ~1 dB level estimate + range error.
    sl_mean_db: tuple[float, ...] = (135.0, 105.0, 92.0, 95.0, 80.0, 50.0, 95.0)
    sl_sd_db: tuple[float, ...] = (12.0, 3.5, 3.5, 4.0, 4.0, 8.0, 25.0)

    #: P(micro-Doppler label | class), cols PROPELLER, ROTOR, JET, WINGBEAT: the propulsion of
    #: the class's platforms (light aircraft are propeller, airliners and fighters jet), the
    #: rest is the radar classifier's confusion (the sensor model uses 0.1) [E].
    micro_doppler_lik: tuple[tuple[float, ...], ...] = (
        (0.30, 0.03, 0.64, 0.03),  # MANNED
        (0.90, 0.03, 0.04, 0.03),  # ATTACK
        (0.90, 0.03, 0.04, 0.03),  # DECOY
        (0.90, 0.03, 0.04, 0.03),  # RECON
        (0.04, 0.90, 0.03, 0.03),  # MULTIROTOR
        (0.04, 0.03, 0.03, 0.90),  # BIRD
        (0.25, 0.25, 0.25, 0.25),  # UNKNOWN
    )

    #: P(RF detector reports protocol k in a step | class, RF coverage), cols: DJI_OCUSYNC,
    #: ANALOG_VIDEO_5G8, MILITARY_DATALINK, CELLULAR_MODEM. Rows need not sum to 1 (the rest
    #: is "nothing detected", which is NOT scored, see docs). 0.01 = spurious / mis-association.
    rf_lik: tuple[tuple[float, ...], ...] = (
        (0.01, 0.01, 0.01, 0.01),  # MANNED (transponder is ADS-B, not scored here)
        (0.01, 0.01, 0.01, 0.10),  # ATTACK: autonomous; some fitted with LTE modems [E]
        (0.01, 0.01, 0.01, 0.05),  # DECOY
        (0.01, 0.01, 0.90, 0.02),  # RECON: C2/video datalink
        (0.60, 0.35, 0.01, 0.01),  # MULTIROTOR: DJI OcuSync or FPV analogue video
        (0.01, 0.01, 0.01, 0.01),  # BIRD
        (0.05, 0.05, 0.05, 0.05),  # UNKNOWN
    )

    #: EO/IR classifier confusion: P(label = class | true class) on the diagonal; the rest is
    #: spread uniformly over the other 6 labels. 0.8 [E] absent a measured confusion matrix;
    #: pass ``eo_confusion`` to override with a measured (C, C) row-stochastic matrix.
    eo_diag: float = 0.8
    eo_confusion: tuple[tuple[float, ...], ...] | None = None

    #: P(ADS-B identity correlated with the track | class): most manned aircraft broadcast
    #: (military may switch off -> 0.9); others only by spoofing / mis-association (1e-3).
    adsb_lik: tuple[float, ...] = (0.9, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-2)
    #: P(Remote ID serial correlated | class): compliant consumer multirotors (EU/US rules) [P];
    #: FPV and military drones do not broadcast -> 0.5 for the class.
    remote_id_lik: tuple[float, ...] = (1e-3, 1e-3, 1e-3, 1e-3, 0.5, 1e-3, 1e-2)

    #: Kinematic decorrelation time s: w = min(dt / tau, 1) per kinematic update. ~10 s is the
    #: order of a CV/CT tracker's smoothing time constant at 1 Hz [E].
    kinematic_tau_s: float = 10.0
    #: Kinematic evidence counts only this long after a track's latest sensor update, s: a
    #: track coasting longer flies on its own prediction, and counting that as new
    #: observations of the body sharpens its class with no sensor seeing it (a track located
    #: for 10 s at 40 m/s, then predicted: "decoy" 0.71 -> 0.92 in 90 s of prediction alone).
    #: 30 s is longer than the far radars' usual revisit on the flagship raid (gaps between
    #: plots median 22 s), so tracks in a normal gap keep the prediction's smoothing between
    #: plots, which is what classifies far radar-only tracks ([E]; counting the kinematics at
    #: updates only was measured worse, docs/benchmarks.md s.6).
    kinematic_coast_s: float = 30.0
    #: Turn rate is evidence only on a step a sensor updated the track (a coasted prediction
    #: flies straight by construction) and only when the track's heading is known to within
    #: this 1-sigma, deg: a far radar track of an erratic bird flock is smoothed to a straight
    #: line by the filter, and read as "flies straight" it made flocks reconnaissance UAVs [E].
    turn_max_heading_sd_deg: float = 10.0
    #: Per-report weights of discrete evidence (successive reports are correlated) [E].
    rcs_weight: float = 0.3
    acoustic_weight: float = 0.5
    rf_weight: float = 0.5
    eo_weight: float = 0.5
    micro_doppler_weight: float = 0.5
    acoustic_level_weight: float = 0.5
    #: Cooperative identity is one persistent fact repeated each report: small weight.
    coop_weight: float = 0.2
    #: Audibility (heard or not by an acoustic network that should hear the class,
    #: :mod:`dronewall.classify.hearing`), per step: P(a report fits the track | the class is
    #: heard with probability p) = f + (1 - f) min(p, audibility_max_p). ``f``: a report from
    #: something else fits the track's bearing (false alarms, a loud neighbour) [E];
    #: ``audibility_max_p``: the node model is never trusted beyond this (a node off-line, wind,
    #: a quiet engine at idle) [E]. Weight: steps of one platform share its source level and
    #: the nodes' conditions, so they are not independent [E]. A Shahed-class track silent
    #: inside a rural belt loses 0.2 * ln(0.95 / 0.0475) = 0.6 nats per step against a bird.
    audibility_weight: float = 0.2
    audibility_false_p: float = 0.05
    audibility_max_p: float = 0.95
    #: RF audibility (heard or not by the RF direction finders, :mod:`dronewall.classify.
    #: rf_hearing`), per step: P(an RF bearing fits the track | class c) =
    #: f + (1 - f) min(rf_emit_p[c] P_any, rf_audibility_max_p), P_any the detectors' Pd on an
    #: emitter there. ``rf_emit_p``: P(a platform of the class transmits a link the detectors
    #: know) -- the rows of ``rf_lik`` without their spurious 0.01s: multirotors 0.9 (DJI
    #: OcuSync or analogue video; fibre-optic FPVs and pre-programmed flights are silent [E]),
    #: reconnaissance UAVs 0.9 (C2/video datalink), Shahed-class 0.09 (some carry LTE
    #: modems [E]), decoys 0.04, manned aircraft, birds 0 (1e-3), unknown 0.2 [E].
    #: ``rf_false_p``: a report from something else fits the track's bearing (Wi-Fi and ISM
    #: emitters mistaken for a link, a neighbour's link) [E]; ``rf_audibility_max_p``: the
    #: detector model is never trusted beyond this (a link switched to a band the detector
    #: does not watch, terrain masking near the ground) [E].
    rf_emit_p: tuple[float, ...] = (1e-3, 0.09, 0.04, 0.9, 0.9, 1e-3, 0.2)
    rf_audibility_weight: float = 0.2
    rf_false_p: float = 0.05
    rf_audibility_max_p: float = 0.9
    #: Forgetting time constant s: lam = exp(-dt / tau) pulls the log-posterior toward the
    #: prior so that stale evidence fades and the posterior stays revisable. Steady state of a
    #: constant per-step increment d is d * tau / dt, so with kinematic weight dt / 10 s a
    #: constant kinematic log-likelihood ratio L saturates at L * 120 / 10 = 12 L [E].
    forget_tau_s: float = 120.0
    #: Per-report cap on how far (nats) any class's log-likelihood may fall below the best class.
    llr_cap_nats: float = 8.0

    _tables: dict[str, F64] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        per_class = ("prior", "speed_median_mps", "speed_logsd", "alt_median_m", "alt_logsd",
                     "climb_sd_mps", "turn_sd_dps", "rcs_mean_dbsm", "rcs_sd_db", "adsb_lik",
                     "remote_id_lik", "sl_mean_db", "sl_sd_db", "rf_emit_p")
        for name in per_class:
            v = np.asarray(getattr(self, name), dtype=np.float64)
            if v.shape != (N_CLASSES,):
                raise ValueError(f"ClassifierConfig.{name}: need {N_CLASSES} values, got {v.shape}")
            if name not in ("rcs_mean_dbsm", "sl_mean_db") and not np.all(v > 0):
                raise ValueError(f"ClassifierConfig.{name}: values must be > 0")
            self._tables[name] = v
        self._tables["log_prior"] = np.log(self._tables["prior"] / self._tables["prior"].sum())
        for name, ncol in (("acoustic_lik", N_ACOUSTIC), ("rf_lik", N_RF),
                           ("micro_doppler_lik", N_MD)):
            m = np.asarray(getattr(self, name), dtype=np.float64)
            if m.shape != (N_CLASSES, ncol) or not np.all((m > 0) & (m <= 1)):
                raise ValueError(f"ClassifierConfig.{name}: need ({N_CLASSES}, {ncol}) in (0, 1]")
            self._tables[name] = m
        for a, b in (("audibility_false_p", "audibility_max_p"),
                     ("rf_false_p", "rf_audibility_max_p")):
            if not (0.0 < getattr(self, a) < 1.0 and 0.0 < getattr(self, b) < 1.0):
                raise ValueError(f"ClassifierConfig.{a} and {b} must be in (0, 1)")
        if not np.all(self._tables["rf_emit_p"] <= 1.0):
            raise ValueError("ClassifierConfig.rf_emit_p: values must be in (0, 1]")
        if self.eo_confusion is None:
            if not 0.0 < self.eo_diag < 1.0:
                raise ValueError("ClassifierConfig.eo_diag must be in (0, 1)")
            off = (1.0 - self.eo_diag) / (N_CLASSES - 1)
            eo = np.full((N_CLASSES, N_CLASSES), off)
            np.fill_diagonal(eo, self.eo_diag)
        else:
            eo = np.asarray(self.eo_confusion, dtype=np.float64)
            if eo.shape != (N_CLASSES, N_CLASSES) or not np.all(eo > 0):
                raise ValueError("ClassifierConfig.eo_confusion: need (C, C) positive entries")
            eo = eo / eo.sum(axis=1, keepdims=True)
        self._tables["eo"] = eo
        for name in ("kinematic_tau_s", "forget_tau_s", "llr_cap_nats",
                     "turn_max_heading_sd_deg", "kinematic_coast_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"ClassifierConfig.{name} must be > 0")
        for name in ("rcs_weight", "acoustic_weight", "rf_weight", "eo_weight", "coop_weight",
                     "micro_doppler_weight", "acoustic_level_weight", "audibility_weight",
                     "rf_audibility_weight"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"ClassifierConfig.{name} must be in [0, 1]")

    def table(self, name: str) -> F64:
        """Validated array form of a field (``log_prior``, ``eo`` (C, C), ... ); read-only use."""
        return self._tables[name]


DEFAULT_CONFIG = ClassifierConfig()


@dataclass(frozen=True)
class Evidence:
    """One step of evidence for N tracks; each field (N,). Sentinels mean "none this step".

    speed_mps, alt_m (above ground), climb_mps, turn_dps (deg/s, sign ignored), rcs_dbsm,
    acoustic_sl_db (source level dB re 20 uPa @ 1 m): NaN. micro_doppler (MicroDoppler code): -1.
    dt_s: time since the previous update of that track, s; NaN -> kinematics ignored and no
    forgetting. acoustic_class (AcousticClass code), rf_protocol (RFProtocol code), eo_label
    (PlatformClass code): -1 (out-of-range codes are also ignored). has_adsb / has_remote_id:
    False = no cooperative identity correlated this step (not scored as negative evidence).
    """

    speed_mps: F64
    alt_m: F64
    climb_mps: F64
    turn_dps: F64
    dt_s: F64
    rcs_dbsm: F64
    acoustic_class: NDArray[np.integer]
    rf_protocol: NDArray[np.integer]
    eo_label: NDArray[np.integer]
    has_adsb: NDArray[np.bool_]
    has_remote_id: NDArray[np.bool_]
    micro_doppler: NDArray[np.integer] | None = None
    acoustic_sl_db: F64 | None = None
    #: 1-sigma uncertainty of the speed estimate, m/s (from the track covariance): widens the
    #: class speed distributions so a young track's noisy speed is not over-trusted.
    speed_sd_mps: F64 | None = None
    #: 1-sigma uncertainty of the height estimate, m (the track's vertical position variance):
    #: a far radar track's height is known to hundreds of metres from its elevation error, and
    #: counting it as exact let noise drive the class (a bird at 8 m/s to "attack drone").
    alt_sd_m: F64 | None = None
    #: 1-sigma uncertainty of the climb-rate estimate, m/s (vertical velocity variance).
    climb_sd_mps: F64 | None = None
    #: (N, C) probability that the acoustic network reports the track this step if it is of
    #: class c (:meth:`dronewall.classify.hearing.AcousticNetwork.p_heard`); NaN rows: no
    #: acoustic network. With ``heard`` (N,) bool: whether a report fitting the track came.
    p_heard: F64 | None = None
    heard: NDArray[np.bool_] | None = None
    #: (N,) probability that the RF direction finders report an emitter at the track's
    #: position this step (:meth:`dronewall.classify.rf_hearing.RFNetwork.p_any`; NaN: no
    #: evidence, e.g. a report fits it only together with other tracks). With ``rf_heard``
    #: (N,) bool: whether an RF bearing fitted the track.
    p_rf_any: F64 | None = None
    rf_heard: NDArray[np.bool_] | None = None
    #: (N,) the part of ``dt_s`` the kinematics count for, s: the time since the previous
    #: step that lies within ``ClassifierConfig.kinematic_coast_s`` of the track's latest
    #: sensor update (a track coasting longer is its own prediction, which says nothing new
    #: of the body); None: all of ``dt_s``. Forgetting still runs on ``dt_s``.
    kin_dt_s: F64 | None = None

    @classmethod
    def none(cls, n: int) -> Evidence:
        """No evidence of any kind for n tracks (fill the fields you have with ``replace``)."""
        nan = np.full(n, np.nan)
        neg = np.full(n, -1, dtype=np.int16)
        no = np.zeros(n, dtype=bool)
        return cls(nan, nan.copy(), nan.copy(), nan.copy(), nan.copy(), nan.copy(),
                   neg, neg.copy(), neg.copy(), no, no.copy(), neg.copy(), nan.copy(),
                   nan.copy())


def initial(n: int, config: ClassifierConfig = DEFAULT_CONFIG) -> F64:
    """Log prior for n new tracks, (n, C) normalised log-probabilities."""
    return np.broadcast_to(config.table("log_prior"), (n, N_CLASSES)).copy()


def _logsumexp(a: F64) -> F64:
    """logsumexp over the last axis, (N, C) -> (N, 1)."""
    m = np.max(a, axis=-1, keepdims=True)
    return m + np.log(np.sum(np.exp(a - m), axis=-1, keepdims=True))


def probabilities(log_post: F64) -> F64:
    """Normalised class probabilities (N, C) from a (possibly unnormalised) log-posterior."""
    return np.exp(log_post - _logsumexp(log_post))


def map_class(log_post: F64) -> NDArray[np.int64]:
    """Maximum a-posteriori class per track, (N,) ``PlatformClass`` codes."""
    return np.argmax(log_post, axis=-1)


def _lognormal(x: F64, median: F64, logsd: F64, floor: float,
               rel_sd: F64 | None = None) -> F64:
    """log pdf of log-normal, x (N,) -> (N, C); NaN rows stay NaN. ``rel_sd`` (N,) relative
    measurement uncertainty of x (sd / x), added in quadrature to the class log-sd."""
    lx = np.log(np.maximum(x, floor))[:, None]
    if rel_sd is not None:
        logsd = np.sqrt(logsd[None, :] ** 2 + np.nan_to_num(rel_sd, nan=0.0)[:, None] ** 2)
    z = (lx - np.log(median)) / logsd
    return -0.5 * z * z - np.log(logsd) - _HALF_LOG_2PI - lx


def _gauss(x: F64, mean: F64, sd: F64, meas_sd: F64 | None = None) -> F64:
    """log pdf of a Gaussian, x (N,) -> (N, C); ``meas_sd`` (N,) the measurement sd of x,
    added in quadrature to the class sd."""
    if meas_sd is not None:
        sd = np.sqrt(sd[None, :] ** 2 + np.nan_to_num(meas_sd, nan=0.0)[:, None] ** 2)
    z = (x[:, None] - mean) / sd
    return -0.5 * z * z - np.log(sd) - _HALF_LOG_2PI


def _categorical(code: NDArray[np.integer], table: F64) -> tuple[F64, NDArray[np.bool_]]:
    """Rows log table[:, code] (N, C) and the valid mask; invalid codes give zeros."""
    code = np.asarray(code).astype(np.int64)
    ok = (code >= 0) & (code < table.shape[1])
    ll = np.log(table[:, np.where(ok, code, 0)]).T
    return np.where(ok[:, None], ll, 0.0), ok


def update(log_post: F64, evidence: Evidence,
           config: ClassifierConfig = DEFAULT_CONFIG) -> tuple[F64, F64]:
    """One recursive Bayes step for N tracks.

    log_post: (N, C) log-posterior (normalised or not). Returns the new normalised (N, C)
    log-posterior and ``contrib`` (N, C, E): the weighted, clipped log-likelihood each evidence
    kind added this step (0 where absent). Sum ``contrib`` over steps for :func:`explain`.
    """
    lp = np.asarray(log_post, dtype=np.float64)
    n = lp.shape[0]
    t = config.table
    dt = np.asarray(evidence.dt_s, dtype=np.float64)
    dt_ok = np.isfinite(dt) & (dt >= 0)
    kdt = dt if evidence.kin_dt_s is None else np.asarray(evidence.kin_dt_s, dtype=np.float64)
    kdt_ok = dt_ok & np.isfinite(kdt) & (kdt >= 0)
    w_kin = np.where(kdt_ok, np.minimum(np.where(kdt_ok, kdt, 0.0) / config.kinematic_tau_s,
                                        1.0), 0.0)

    contrib = np.zeros((n, N_CLASSES, N_EVIDENCE))
    cont: list[tuple[str, F64, F64]] = [  # (kind, value, (N, C) log-lik)
        ("speed", evidence.speed_mps,
         _lognormal(evidence.speed_mps, t("speed_median_mps"), t("speed_logsd"), SPEED_FLOOR_MPS,
                    None if evidence.speed_sd_mps is None else
                    np.asarray(evidence.speed_sd_mps, dtype=np.float64)
                    / np.maximum(np.asarray(evidence.speed_mps, dtype=np.float64),
                                 SPEED_FLOOR_MPS))),
        ("altitude", evidence.alt_m,
         _lognormal(evidence.alt_m, t("alt_median_m"), t("alt_logsd"), ALT_FLOOR_M,
                    None if evidence.alt_sd_m is None else
                    np.asarray(evidence.alt_sd_m, dtype=np.float64)
                    / np.maximum(np.asarray(evidence.alt_m, dtype=np.float64), ALT_FLOOR_M))),
        ("climb", evidence.climb_mps,
         _gauss(evidence.climb_mps, 0.0, t("climb_sd_mps"), evidence.climb_sd_mps)),
        ("turn_rate", evidence.turn_dps,
         _gauss(np.abs(evidence.turn_dps), 0.0, t("turn_sd_dps")) + math.log(2.0)),
        ("rcs", evidence.rcs_dbsm, _gauss(evidence.rcs_dbsm, t("rcs_mean_dbsm"), t("rcs_sd_db"))),
    ]
    sl = evidence.acoustic_sl_db
    if sl is not None:
        cont.append(("acoustic_level", sl, _gauss(np.asarray(sl, dtype=np.float64),
                                                  t("sl_mean_db"), t("sl_sd_db"))))
    fixed_w = {"rcs": config.rcs_weight, "acoustic_level": config.acoustic_level_weight}
    for kind, x, ll in cont:
        ok = np.isfinite(np.asarray(x, dtype=np.float64))
        w = np.full(n, fixed_w[kind]) if kind in fixed_w else w_kin
        contrib[:, :, _E[kind]] = np.where(ok[:, None], ll, 0.0) * w[:, None]

    for kind, code, table, wt in (
        ("acoustic", evidence.acoustic_class, t("acoustic_lik"), config.acoustic_weight),
        ("rf_protocol", evidence.rf_protocol, t("rf_lik"), config.rf_weight),
        ("eo_label", evidence.eo_label, t("eo"), config.eo_weight),
        ("micro_doppler", evidence.micro_doppler, t("micro_doppler_lik"),
         config.micro_doppler_weight),
    ):
        if code is None:
            continue
        ll, _ = _categorical(code, table)
        contrib[:, :, _E[kind]] = wt * ll
    if evidence.p_heard is not None and evidence.heard is not None:
        ph = np.asarray(evidence.p_heard, dtype=np.float64).reshape(n, N_CLASSES)
        f = config.audibility_false_p
        q = f + (1.0 - f) * np.minimum(np.nan_to_num(ph, nan=0.0), config.audibility_max_p)
        hd = np.asarray(evidence.heard, dtype=bool)
        ll = np.where(hd[:, None], np.log(q), np.log1p(-q))
        ok = np.isfinite(ph).all(axis=1) & dt_ok
        contrib[:, :, _E["audibility"]] = np.where(ok[:, None],
                                                   config.audibility_weight * ll, 0.0)
    if evidence.p_rf_any is not None and evidence.rf_heard is not None:
        pa = np.asarray(evidence.p_rf_any, dtype=np.float64).reshape(n)
        f = config.rf_false_p
        pe = t("rf_emit_p")[None, :] * np.nan_to_num(pa, nan=0.0)[:, None]
        q = f + (1.0 - f) * np.minimum(pe, config.rf_audibility_max_p)
        hd = np.asarray(evidence.rf_heard, dtype=bool)
        ll = np.where(hd[:, None], np.log(q), np.log1p(-q))
        ok = np.isfinite(pa) & dt_ok
        contrib[:, :, _E["rf_audibility"]] = np.where(ok[:, None],
                                                      config.rf_audibility_weight * ll, 0.0)
    for kind, flag, lik in (("adsb", evidence.has_adsb, t("adsb_lik")),
                            ("remote_id", evidence.has_remote_id, t("remote_id_lik"))):
        f = np.asarray(flag, dtype=bool)
        contrib[:, :, _E[kind]] = np.where(f[:, None], config.coop_weight * np.log(lik), 0.0)

    # Outlier guard: no class may fall more than (weight * cap) below the best in one report.
    # Equivalent to clipping before weighting since the weight is class-independent.
    top = contrib.max(axis=1, keepdims=True)
    wmat = np.empty((n, 1, N_EVIDENCE))
    wmat[:, 0, :] = 1.0
    wmat[:, 0, :4] = w_kin[:, None]  # speed, altitude, climb, turn_rate
    wmat[:, 0, _E["rcs"]] = config.rcs_weight
    wmat[:, 0, _E["acoustic"]] = config.acoustic_weight
    wmat[:, 0, _E["rf_protocol"]] = config.rf_weight
    wmat[:, 0, _E["eo_label"]] = config.eo_weight
    wmat[:, 0, _E["adsb"]] = config.coop_weight
    wmat[:, 0, _E["remote_id"]] = config.coop_weight
    wmat[:, 0, _E["micro_doppler"]] = config.micro_doppler_weight
    wmat[:, 0, _E["acoustic_level"]] = config.acoustic_level_weight
    wmat[:, 0, _E["audibility"]] = config.audibility_weight
    wmat[:, 0, _E["rf_audibility"]] = config.rf_audibility_weight
    contrib = np.maximum(contrib, top - wmat * config.llr_cap_nats)

    lam = np.where(dt_ok, np.exp(-np.where(dt_ok, dt, 0.0) / config.forget_tau_s), 1.0)[:, None]
    prior_part = np.where(lam < 1.0, (1.0 - lam) * t("log_prior"), 0.0)
    new = lam * lp + prior_part + contrib.sum(axis=2)
    return new - _logsumexp(new), contrib


def explain(contrib_accum: F64, cls: NDArray[np.integer], top_k: int = 2) -> list[list[str]]:
    """Main evidence behind class ``cls[n]`` of each track.

    contrib_accum: (N, C, E) summed ``contrib`` of :func:`update`; cls: (N,) class codes
    (usually :func:`map_class`). Support of kind e = contrib[n, cls, e] - max over the other
    classes of contrib[n, j, e] (how much e favours cls over its strongest rival under e).
    Returns per track up to ``top_k`` kind names with positive support, strongest first.
    """
    acc = np.asarray(contrib_accum, dtype=np.float64)
    n = acc.shape[0]
    c = np.asarray(cls, dtype=np.int64)
    rows = np.arange(n)
    own = acc[rows, c, :]                                     # (N, E)
    others = acc.copy()
    others[rows, c, :] = -np.inf
    support = own - others.max(axis=1)                        # (N, E)
    order = np.argsort(-support, axis=1, kind="stable")[:, :top_k]
    top_support = np.take_along_axis(support, order, axis=1)
    return [[EVIDENCE_KINDS[e] for e, s in zip(o, sv, strict=True) if s > 0]
            for o, sv in zip(order.tolist(), top_support.tolist(), strict=True)]
