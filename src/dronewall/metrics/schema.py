"""The per-run metric schema of Monte-Carlo studies: the one list of metric names.

Every per-run metric a study records is declared here once: its name (a ``runs.csv`` column and a
key of ``summary.json`` ``aggregates``), what it means, its unit, its kind (which decides the
confidence interval, see :mod:`dronewall.metrics.intervals`), its domain, and where it comes from
in a run's ``summary.json`` (``docs/outputs.md``). The runner extracts the metrics with it
(``run_metrics``), orders ``runs.csv`` with it, aggregates with it; the console summary and the
study report label, format and choose their headline numbers with it. Nothing else lists metric
names.

Per-effector-type spend is a family of dynamic columns, ``spend_eur_<type>`` (one per effector type
of the scenario), described by :data:`SPEND_BY_TYPE`; they follow ``spend_eur`` in column order.

Units: ``s``, ``m``, ``EUR``, ``count`` (events or items per run) and ``1`` (dimensionless:
proportions in [0, 1] and ratios).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Kind = Literal["proportion", "count", "duration", "distance", "money", "ratio"]
KINDS: tuple[Kind, ...] = ("proportion", "count", "duration", "distance", "money", "ratio")


@dataclass(frozen=True)
class Metric:
    """One per-run metric.

    ``path``: the keys of the value in a run's ``summary.json`` when it is read directly (None:
    derived by the runner from several fields, described in ``source``). ``numerator`` /
    ``denominator``: for a proportion, the count metrics it is the ratio of (so intervals can
    use the pooled counts). ``lower`` / ``upper``: the domain of a per-run value (None:
    unbounded), which no interval may leave. ``headline``: shown as a headline number (console
    study summary, report tiles), in schema order.
    """

    name: str
    label: str
    meaning: str
    unit: str
    kind: Kind
    source: str
    path: tuple[str, ...] | None = None
    numerator: str | None = None
    denominator: str | None = None
    lower: float | None = 0.0
    upper: float | None = None
    headline: bool = False

    def in_domain(self, v: float, tol: float = 1e-9) -> bool:
        """True when ``v`` is finite and inside [lower, upper]."""
        if not math.isfinite(v):
            return False
        return ((self.lower is None or v >= self.lower - tol)
                and (self.upper is None or v <= self.upper + tol))


def _p(name: str, label: str, meaning: str, source: str, num: str, den: str, *,
       headline: bool = False) -> Metric:
    return Metric(name, label, meaning, "1", "proportion", source, None, num, den, 0.0, 1.0,
                  headline)


def _c(name: str, label: str, meaning: str, source: str, path: tuple[str, ...] | None = None,
       *, headline: bool = False) -> Metric:
    return Metric(name, label, meaning, "count", "count", source, path, headline=headline)


def _path(source: str) -> tuple[str, ...]:
    return tuple(source.split("."))


#: Uncrewed platform classes the detection metrics are about (not birds, not crewed aircraft).
DETECTION_CLASSES = ("attack_drone", "decoy", "recon_uav", "multirotor")

#: All fixed per-run metrics in runs.csv column order.
METRICS: tuple[Metric, ...] = (
    _p("detected_ratio", "Uncrewed platforms detected",
       "share of flown uncrewed platforms (attack drones, decoys, recon UAVs, multirotors) "
       "detected at least once by any sensor",
       "platforms.by_class.<class>.detected_by_any_sensor / .platforms",
       "uncrewed_detected", "uncrewed_flown", headline=True),
    _c("uncrewed_flown", "Uncrewed platforms flown",
       "uncrewed platforms (attack drones, decoys, recon UAVs, multirotors) flown",
       "sum of platforms.by_class.<class>.platforms"),
    _c("uncrewed_detected", "Uncrewed platforms detected (count)",
       "uncrewed platforms detected at least once by any sensor",
       "sum of platforms.by_class.<class>.detected_by_any_sensor"),
    Metric("detection_latency_s", "First detection after launch",
           "first detection after launch: the per-class medians weighted by the detected counts "
           "(same classes); includes the flight from the launch point into sensor coverage",
           "s", "duration",
           "platforms.by_class.<class>.median_first_detection_after_launch_s"),
    Metric("track_confirm_latency_s", "Track confirmation latency, mean from first detection",
           "first true detection -> first confirmed track on that platform, mean (one far "
           "detection is not yet enough to track; see the median from the first fixable "
           "moment)", "s",
           "duration", "tracking.confirm_latency_mean_s",
           _path("tracking.confirm_latency_mean_s")),
    Metric("alert_latency_s", "Alert latency",
           "true zone entry -> the operator is told of the episode's entry (the first track "
           "fragment's entry declaration), median over the run's matched violation episodes "
           "(negative when the track is declared inside before the platform really is)", "s",
           "duration", "airspace.episodes.alert_latency_s.median_s",
           _path("airspace.episodes.alert_latency_s.median_s"), lower=None, headline=True),
    Metric("warning_lead_time_s", "Warning lead time",
           "first warning of the track -> true zone entry, mean over matched violations with a "
           "warning", "s", "duration", "airspace.warning_lead_time_s.mean_s",
           _path("airspace.warning_lead_time_s.mean_s"), headline=True),
    _c("track_breaks", "Track breaks", "track continuity: breaks in the tracks of platforms",
       "tracking.track_breaks", _path("tracking.track_breaks")),
    _c("id_switches", "Track id changes (legacy)",
       "legacy count: a platform's GOSPA-paired track id changes between paired steps, with "
       "no gap limit (re-acquisitions and restarts included); see identity_switches",
       "tracking.id_switches", _path("tracking.id_switches")),
    _c("identity_switches", "Identity switches",
       "CLEAR-MOT identity switches (assignment with memory, 1 km): a platform's matched "
       "track changes to another while the old one is still reported (docs/tracking.md)",
       "tracking.continuity.identity_switches",
       _path("tracking.continuity.identity_switches")),
    _c("track_reacquisitions", "Track re-acquisitions",
       "a platform matched by another track after more than 30 s unmatched while the old "
       "track had ended", "tracking.continuity.reacquisitions",
       _path("tracking.continuity.reacquisitions")),
    Metric("tracks_per_platform", "Tracks per platform",
           "distinct confirmed tracks ever matched with a platform, mean over the platforms "
           "tracked (1: one unbroken id each)", "count", "count",
           "tracking.continuity.fragments_per_truth_mean",
           _path("tracking.continuity.fragments_per_truth_mean")),
    Metric("track_completeness", "Track completeness",
           "share of the scored platform-steps (a sensor truly detected the platform in the "
           "last 10 s) with a matched confirmed track", "1", "ratio",
           "tracking.continuity.completeness", _path("tracking.continuity.completeness"),
           upper=1.0),
    Metric("track_confirm_latency_median_s", "Track confirmation latency, median",
           "platform first fixable (two position fixes within 30 s, or bearings from 3 "
           "sensors at once) -> first matched confirmed track, median", "s", "duration",
           "tracking.continuity.confirm_latency_median_s",
           _path("tracking.continuity.confirm_latency_median_s")),
    Metric("false_tracks_per_scan", "False tracks per scan",
           "confirmed tracks farther than 1 km from every platform, mean per scan", "count",
           "count", "tracking.continuity.false_track_steps_per_scan",
           _path("tracking.continuity.false_track_steps_per_scan")),
    _c("never_tracked", "Platforms never tracked", "detectable platforms never tracked",
       "tracking.never_tracked", _path("tracking.never_tracked")),
    Metric("gospa_mean_m", "GOSPA, mean", "mean GOSPA per scan (500 m cut-off, p = 1, alpha = 2)",
           "m", "distance", "tracking.gospa_mean", _path("tracking.gospa_mean")),
    _p("uncrewed_displayed_ratio", "Uncrewed on the display while heard",
       "share of the steps at which a sensor truly detected an uncrewed platform (attack drones, "
       "decoys, recon UAVs, multirotors; within 10 s) with a matched confirmed track or an "
       "unlocated line of bearing its detections fed: what the operator saw of what the wall "
       "heard (runs with RF finders or acoustic nodes)",
       "sum of strobes.by_class.<class>.displayed_steps / .heard_steps",
       "uncrewed_displayed_steps", "uncrewed_heard_steps"),
    _p("uncrewed_tracked_ratio", "Uncrewed tracked while heard",
       "the same steps with a matched confirmed track (a line of bearing does not count)",
       "sum of strobes.by_class.<class>.tracked_steps / .heard_steps",
       "uncrewed_tracked_steps", "uncrewed_heard_steps"),
    _c("uncrewed_heard_steps", "Uncrewed platform-steps heard",
       "steps at which a sensor truly detected an uncrewed platform within 10 s, summed over "
       "the platforms", "sum of strobes.by_class.<class>.heard_steps"),
    _c("uncrewed_displayed_steps", "Uncrewed platform-steps on the display",
       "of those, the steps with a matched confirmed track or an unlocated line of bearing",
       "sum of strobes.by_class.<class>.displayed_steps"),
    _c("uncrewed_tracked_steps", "Uncrewed platform-steps tracked",
       "of those, the steps with a matched confirmed track",
       "sum of strobes.by_class.<class>.tracked_steps"),
    _p("classification_accuracy", "Classification accuracy",
       "share of the platforms scored 30 s after their first confirmed track whose reported "
       "label was right (hierarchical labels: a one-way UAS group label is right for an attack "
       "drone or a decoy)",
       "tracking.classification.accuracy_30s_after_confirmation (= correct / scored)",
       "classification_correct", "classification_scored", headline=True),
    _c("classification_scored", "Platforms scored for classification",
       "platforms whose label was scored 30 s after their first confirmed track",
       "tracking.classification.scored_platforms",
       _path("tracking.classification.scored_platforms")),
    _c("classification_correct", "Platforms labelled correctly",
       "scored platforms whose reported label was right",
       "sum of tracking.classification.by_true_class.<class>.label_correct"),
    _c("violations_truth", "Zone violations (truth)", "zone violations by true platforms",
       "airspace.violations_truth", _path("airspace.violations_truth")),
    _c("violations_tracked", "Zone violations (track fragments)",
       "zone violations by confirmed tracks, one per track fragment (legacy; see the episodes)",
       "airspace.violations_tracks", _path("airspace.violations_tracks")),
    _c("violations_missed", "Violations missed (per fragment)",
       "true violations no track violation matched, matched one-to-one (legacy)",
       "airspace.violations_missed", _path("airspace.violations_missed")),
    _c("violations_false", "Unmatched violations (per fragment)",
       "track violations matching no true one, one-to-one: extra fragments of a platform "
       "count here (legacy; see violation_episodes_unmatched)",
       "airspace.violations_unmatched_tracks", _path("airspace.violations_unmatched_tracks")),
    _c("violation_episodes_true", "Violation episodes (truth)",
       "true airspace-violation episodes the reported ones are scored against: those of "
       "non-cooperative platforms, and visits of drones named only by Remote ID to airport "
       "and infrastructure zones (birds excluded)",
       "airspace.episodes.true", _path("airspace.episodes.true"), headline=True),
    _c("violation_episodes_reported", "Violation episodes reported",
       "episodes the report lists (fragments of one platform joined; not authorised "
       "cooperative traffic, not low-quality tracks)", "airspace.episodes.reported",
       _path("airspace.episodes.reported"), headline=True),
    _c("violation_episodes_missed", "Violation episodes missed",
       "true episodes no reported episode matched", "airspace.episodes.missed",
       _path("airspace.episodes.missed")),
    _c("violation_episodes_unmatched", "Violation episodes unmatched",
       "reported episodes matching no true episode (false or duplicate)",
       "airspace.episodes.unmatched", _path("airspace.episodes.unmatched")),
    Metric("violation_duration_abs_err_s", "Violation duration error (per fragment)",
           "|tracked - true| violation duration, mean over tracked violations matched to a true "
           "one (same zone, overlapping in time, nearest entry); legacy, per track fragment",
           "s", "duration",
           "airspace.violation_duration_abs_err_s if present, else events.jsonl vs "
           "truth_events.jsonl"),
    Metric("violation_episode_duration_err_s", "Violation episode duration error",
           "|reported - true| episode duration, median over the matched non-cooperative "
           "episodes (fragments of one platform joined)", "s", "duration",
           "airspace.episodes.duration_abs_err_s.median_s",
           _path("airspace.episodes.duration_abs_err_s.median_s")),
    _c("threats_flown", "Threats flown", "threat platforms flown", "engagement.threats_flown",
       _path("engagement.threats_flown")),
    _c("neutralised", "Threats neutralised", "threats neutralised",
       "engagement.neutralised.total", _path("engagement.neutralised.total"), headline=True),
    _c("leakers", "Leakers", "threats that reached their target", "engagement.leakers.total",
       _path("engagement.leakers.total"), headline=True),
    _p("leak_rate", "Leak rate", "share of the threats flown that reached their target",
       "engagement.leakers.total / engagement.threats_flown", "leakers", "threats_flown",
       headline=True),
    _c("one_way_flown", "One-way drones flown", "hostile one-way drones (attack drones and "
       "decoys) flown", "engagement.hostile_one_way.flown",
       _path("engagement.hostile_one_way.flown")),
    _c("one_way_neutralised", "One-way drones stopped (count)",
       "hostile one-way drones destroyed before they reached a valued zone",
       "engagement.hostile_one_way.neutralised_before_valued_zone",
       _path("engagement.hostile_one_way.neutralised_before_valued_zone")),
    _p("one_way_neutralised_rate", "One-way drones stopped",
       "share of the hostile one-way drones flown that were destroyed before they reached a "
       "valued zone", "engagement.hostile_one_way: neutralised_before_valued_zone / flown",
       "one_way_neutralised", "one_way_flown", headline=True),
    _c("one_way_in_flight", "One-way drones still flying at the end",
       "hostile one-way drones still flying, undestroyed and short of every valued zone, when "
       "the run ended: their outcome is open (a run cut before the raid is over)",
       "engagement.hostile_one_way.in_flight_at_end",
       _path("engagement.hostile_one_way.in_flight_at_end"), headline=True),
    Metric("value_lost_eur", "Value lost", "asset value lost to leakers", "EUR", "money",
           "engagement.value_lost_eur", _path("engagement.value_lost_eur"), headline=True),
    Metric("spend_eur", "Defender spend", "effector spend, all types", "EUR", "money",
           "engagement.spend_eur", _path("engagement.spend_eur"), headline=True),
    Metric("cost_exchange_ratio", "Cost-exchange ratio",
           "defender spend / cost of the attackers destroyed (empty with no kill)", "1", "ratio",
           "engagement.cost_exchange_ratio", _path("engagement.cost_exchange_ratio"),
           headline=True),
    Metric("spend_per_neutralised_eur", "Spend per hostile destroyed",
           "defender spend / hostile platforms destroyed (empty with no kill)", "EUR", "money",
           "engagement.spend_per_neutralised_hostile_eur",
           _path("engagement.spend_per_neutralised_hostile_eur"), headline=True),
    Metric("waste_eur", "Wasted spend",
           "spend on shots at phantom, non-hostile or already destroyed platforms", "EUR",
           "money", "engagement.waste_eur", _path("engagement.waste_eur")),
    Metric("waste_share", "Wasted share of spend", "wasted spend / spend (empty with no spend)",
           "1", "ratio", "engagement.waste_share", _path("engagement.waste_share"), upper=1.0,
           headline=True),
    _c("shots", "Shots fired", "shots fired", "engagement.shots", _path("engagement.shots")),
    Metric("shots_per_kill", "Shots per kill", "shots fired / hostile platforms destroyed "
           "(empty with no kill)", "1", "ratio", "engagement.shots_per_kill",
           _path("engagement.shots_per_kill")),
    _c("ammunition_used", "Rounds used", "rounds used: sum over sites of stocked - remaining",
       "engagement.ammunition_stocked - engagement.ammunition_remaining"),
)


@dataclass(frozen=True)
class MetricPattern:
    """A family of dynamic metrics ``<prefix><key>`` (one per key found in the runs), placed in
    column order after the metric ``after``."""

    prefix: str
    label: str
    meaning: str
    unit: str
    kind: Kind
    source: str
    after: str

    def matches(self, name: str) -> bool:
        return name.startswith(self.prefix) and len(name) > len(self.prefix)

    def metric(self, name: str) -> Metric:
        key = name[len(self.prefix):]
        return Metric(name, self.label.replace("<type>", key.replace("_", " ")),
                      self.meaning.replace("<type>", key), self.unit, self.kind,
                      self.source.replace("<type>", key),
                      tuple(self.source.replace("<type>", key).split(".")))


#: Per-effector-type spend: ``spend_eur_<type>`` (0 for a type of the scenario that did not fire).
SPEND_BY_TYPE = MetricPattern("spend_eur_", "Spend: <type>", "effector spend of type <type>",
                              "EUR", "money", "engagement.spend_by_type_eur.<type>", "spend_eur")
PATTERNS: tuple[MetricPattern, ...] = (SPEND_BY_TYPE,)

BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}


def metric(name: str) -> Metric:
    """The schema entry of a metric name, fixed or dynamic; KeyError if the schema has none."""
    if name in BY_NAME:
        return BY_NAME[name]
    for p in PATTERNS:
        if p.matches(name):
            return p.metric(name)
    raise KeyError(f"{name!r} is not a per-run metric of the schema (dronewall.metrics.schema)")


def is_metric(name: str) -> bool:
    try:
        metric(name)
    except KeyError:
        return False
    return True


def column_order(names: Iterable[str]) -> list[str]:
    """All fixed metrics, then the dynamic ones found in ``names`` after their anchor (sorted);
    names the schema does not know are dropped (they are not metrics)."""
    names = set(names)
    out = [m.name for m in METRICS]
    for p in PATTERNS:
        dyn = sorted(n for n in names if p.matches(n) and n not in BY_NAME)
        at = out.index(p.after) + 1
        out[at:at] = dyn
    return out


def headline_metrics() -> list[Metric]:
    """The headline metrics, in schema order."""
    return [m for m in METRICS if m.headline]


def definitions(names: Iterable[str]) -> dict[str, dict[str, object]]:
    """``summary.json`` ``metric_definitions``: meaning, unit, kind, source (and the counts of a
    proportion, the domain) of each metric name."""
    out: dict[str, dict[str, object]] = {}
    for n in names:
        m = metric(n)
        d: dict[str, object] = {"label": m.label, "meaning": m.meaning, "unit": m.unit,
                                "kind": m.kind, "source": m.source,
                                "domain": [m.lower, m.upper]}
        if m.kind == "proportion":
            d.update(numerator=m.numerator, denominator=m.denominator)
        out[n] = d
    return out


def _is_share(m: Metric) -> bool:
    """Proportions and ratios bounded by 1 are shares, shown in per cent."""
    return m.kind == "proportion" or (m.kind == "ratio" and m.upper == 1.0)


def display_unit(m: Metric) -> str:
    """The unit people see next to :func:`format_value`'s numbers (``%`` for shares)."""
    return "%" if _is_share(m) else m.unit


def format_value(m: Metric, v: float | None) -> str:
    """A value of metric ``m`` with its unit, for people (console, report): ``93.2 %``,
    ``11.6 s``, ``262 m``, ``EUR 161.4 k``, ``29.6x``, ``1.25``; an en dash when undefined."""
    if v is None or not math.isfinite(v):
        return "–"
    if _is_share(m):  # shares in per cent
        return f"{100 * v:.1f} %"
    if m.unit == "EUR":
        a = abs(v)
        for scale, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
            if a >= scale:
                q = v / scale
                return f"€{q:.1f}{suffix}" if abs(q) < 100 else f"€{q:.0f}{suffix}"
        return f"€{v:.0f}"
    if m.kind == "ratio":
        return f"{v:.1f}×" if abs(v) < 100 else f"{v:.0f}×"
    if m.unit == "s":
        return f"{v:.1f} s" if abs(v) < 100 else f"{v:.0f} s"
    if m.unit == "m":
        return f"{v:.0f} m"
    return f"{v:.2f}" if abs(v) < 10 else (f"{v:.1f}" if abs(v) < 1000 else f"{v:,.0f}")
