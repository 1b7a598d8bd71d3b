"""The run-metric schema is complete and consistent, and the runner extracts every metric from
a run's summary.json with it."""

from __future__ import annotations

import math

import pytest

from dronewall.metrics import schema
from dronewall.pipeline.study.runmetrics import DERIVED, run_metrics

UNITS = {"s", "m", "EUR", "count", "1"}


def test_every_metric_is_described_and_extracted() -> None:
    names = [m.name for m in schema.METRICS]
    assert len(names) == len(set(names))
    for m in schema.METRICS:
        assert m.kind in schema.KINDS and m.unit in UNITS and m.meaning and m.label, m
        # read from a path, or derived by the runner: never both, never neither
        assert (m.path is None) == (m.name in DERIVED), m.name
        if m.kind == "proportion":
            assert (m.lower, m.upper, m.unit) == (0.0, 1.0, "1")
            for c in (m.numerator, m.denominator):
                assert schema.BY_NAME[c].kind == "count", (m.name, c)
        else:
            assert m.numerator is None and m.denominator is None
    assert set(DERIVED) <= set(names)
    assert [m.name for m in schema.headline_metrics()][:3] == [
        "detected_ratio", "alert_latency_s", "warning_lead_time_s"]


def test_dynamic_spend_columns() -> None:
    m = schema.metric("spend_eur_gun_35mm")
    assert (m.unit, m.kind, m.path) == ("EUR", "money", ("engagement", "spend_by_type_eur",
                                                         "gun_35mm"))
    order = schema.column_order(["spend_eur_sam", "spend_eur_gun", "leakers", "bogus"])
    i = order.index("spend_eur")
    assert order[i + 1:i + 3] == ["spend_eur_gun", "spend_eur_sam"] and "bogus" not in order
    for bad in ("spend_eur.gun", "alert_latency_s_median", "gospa_mean", "ammo_used"):
        assert not schema.is_metric(bad)
        with pytest.raises(KeyError):
            schema.metric(bad)


SUMMARY = {
    "platforms": {"by_class": {
        "attack_drone": {"platforms": 4, "detected_by_any_sensor": 3,
                         "median_first_detection_after_launch_s": 100.0},
        "multirotor": {"platforms": 2, "detected_by_any_sensor": 1,
                       "median_first_detection_after_launch_s": 20.0},
        "bird": {"platforms": 10, "detected_by_any_sensor": 10,
                 "median_first_detection_after_launch_s": 1.0}}},
    "tracking": {"confirm_latency_mean_s": 1.5, "track_breaks": 2, "id_switches": 1,
                 "never_tracked": 0, "gospa_mean": 250.0,
                 "continuity": {"identity_switches": 1, "reacquisitions": 2,
                                "fragments_per_truth_mean": 1.25, "completeness": 0.9,
                                "confirm_latency_median_s": 4.0,
                                "false_track_steps_per_scan": 0.05},
                 "classification": {"scored_platforms": 4,
                                    "accuracy_30s_after_confirmation": 0.75,
                                    "by_true_class": {"bird": {"label_correct": 1},
                                                      "attack_drone": {"label_correct": 2}},
                                    "per_track": {"scored_tracks": 9}}},
    "strobes": {"by_class": {
        "multirotor": {"heard_steps": 100, "tracked_steps": 5, "displayed_steps": 98},
        "decoy": {"heard_steps": 300, "tracked_steps": 270, "displayed_steps": 280},
        "bird": {"heard_steps": 1000, "tracked_steps": 900, "displayed_steps": 900}}},
    "airspace": {"alert_latency_s": {"mean_s": -1.5}, "warning_lead_time_s": None,
                 "violations_truth": 5, "violations_tracks": 4, "violations_missed": 1,
                 "violations_unmatched_tracks": 0, "violation_duration_abs_err_s": 3.0,
                 "episodes": {"true": 5, "true_non_cooperative": 4, "true_identified": 1,
                              "reported": 5, "matched": 4,
                              "missed": 0, "unmatched": 1,
                              "duration_abs_err_s": {"n": 4, "median_s": 2.5, "mean_s": 6.0},
                              "alert_latency_s": {"n": 4, "median_s": -1.5, "mean_s": 9.0}}},
    "engagement": {"threats_flown": 8, "neutralised": {"total": 5}, "leakers": {"total": 2},
                   "value_lost_eur": 1e6, "spend_eur": 5000.0, "cost_exchange_ratio": 2.5,
                   "shots": 7, "ammunition_stocked": {"a": 10, "b": 4},
                   "ammunition_remaining": {"a": 6, "b": 1},
                   "spend_by_type_eur": {"gun_35mm": 5000.0},
                   "hostile_one_way": {"flown": 6, "neutralised_before_valued_zone": 4,
                                       "in_flight_at_end": 1},
                   "spend_per_neutralised_hostile_eur": 1250.0, "waste_eur": 500.0,
                   "waste_share": 0.1, "shots_per_kill": 1.4},
}


def test_run_metrics_reads_every_schema_field() -> None:
    m = run_metrics(SUMMARY, None, ["gun_35mm", "sam_short"])
    assert m["uncrewed_flown"] == 6 and m["uncrewed_detected"] == 4
    assert m["detected_ratio"] == pytest.approx(4 / 6)
    assert m["detection_latency_s"] == pytest.approx((3 * 100 + 20) / 4)
    assert m["classification_scored"] == 4 and m["classification_correct"] == 3
    assert m["classification_accuracy"] == 0.75
    assert m["alert_latency_s"] == -1.5 and math.isnan(m["warning_lead_time_s"])
    assert m["leak_rate"] == pytest.approx(2 / 8) and m["ammunition_used"] == 7
    assert m["spend_eur_gun_35mm"] == 5000 and m["spend_eur_sam_short"] == 0.0
    assert m["violations_false"] == 0 and m["violation_duration_abs_err_s"] == 3.0
    assert m["one_way_flown"] == 6 and m["one_way_neutralised_rate"] == pytest.approx(4 / 6)
    assert m["one_way_in_flight"] == 1
    assert (m["waste_share"], m["shots_per_kill"]) == (0.1, 1.4)
    # what the operator saw of the uncrewed platforms the wall heard (birds left out)
    assert (m["uncrewed_heard_steps"], m["uncrewed_tracked_steps"],
            m["uncrewed_displayed_steps"]) == (400, 275, 378)
    assert m["uncrewed_displayed_ratio"] == pytest.approx(378 / 400)
    assert m["uncrewed_tracked_ratio"] == pytest.approx(275 / 400)
    # a run without RF finders or acoustic nodes has no strobes: not 0, unknown
    no = run_metrics({k: v for k, v in SUMMARY.items() if k != "strobes"}, None, [])
    assert math.isnan(no["uncrewed_displayed_ratio"]) and math.isnan(no["uncrewed_heard_steps"])
    # the true episodes reports are scored against: non-cooperative + Remote ID-identified
    assert (m["violation_episodes_true"], m["violation_episodes_unmatched"]) == (5, 1)
    assert (m["identity_switches"], m["track_reacquisitions"], m["tracks_per_platform"],
            m["track_completeness"], m["track_confirm_latency_median_s"],
            m["false_tracks_per_scan"]) == (1, 2, 1.25, 0.9, 4.0, 0.05)
    assert m["violation_episode_duration_err_s"] == 2.5
    assert set(schema.BY_NAME) <= set(m)
    # every metric but the one the summary lacks has a value
    assert [k for k, v in m.items() if math.isnan(v)] == ["warning_lead_time_s"]
    empty = run_metrics({}, None, ["gun_35mm"])
    assert all(math.isnan(empty[k]) for k in schema.BY_NAME) and "spend_eur_gun_35mm" not in empty


def test_study_console_leads_with_violations_leakers_kills_spend() -> None:
    """The study's console summary (the demo's closing lines) leads with violations, leakers,
    neutralised, spend and cost-exchange, each with its unit."""
    import io
    from pathlib import Path

    from rich.console import Console

    from dronewall.pipeline.study.console import print_study
    from dronewall.pipeline.study.runner import StudyResult

    names = [m.name for m in schema.headline_metrics()]
    aggs = {n: {"n": 4, "mean": 2.0, "ci95_low": 1.0, "ci95_high": 3.0,
                "method": "bootstrap_percentile"} for n in names}
    for n in ("detected_ratio", "leak_rate", "one_way_neutralised_rate"):
        aggs[n] = {"n": 4, "mean": 0.5, "ci95_low": 0.4, "ci95_high": 0.6,
                   "method": "wilson_pooled"}
    res = StudyResult(Path("out"), Path("r.csv"), Path("s.json"), Path("x.json"),
                      Path("y.json"), names, aggs, [], summary={"runs_ok": 4})
    buf = io.StringIO()
    print_study(res, None, Console(file=buf, width=200, color_system=None))
    lines = [x.strip() for x in buf.getvalue().splitlines()[1:] if ":" in x]
    labels = [x.split(":")[0] for x in lines]
    lead = ["Violation episodes (truth)", "Violation episodes reported",
            schema.metric("leakers").label, schema.metric("neutralised").label,
            schema.metric("one_way_neutralised_rate").label,
            schema.metric("one_way_in_flight").label, schema.metric("spend_eur").label,
            schema.metric("cost_exchange_ratio").label]
    assert labels[:len(lead)] == lead, labels
    assert "€" in lines[6] and "%" in lines[4]  # spend in EUR, the rate in per cent


def test_shares_print_in_per_cent_and_ratios_with_times() -> None:
    assert schema.format_value(schema.metric("waste_share"), 0.21) == "21.0 %"
    assert schema.format_value(schema.metric("leak_rate"), 0.5) == "50.0 %"
    assert schema.format_value(schema.metric("cost_exchange_ratio"), 0.3) == "0.3×"
    assert schema.format_value(schema.metric("spend_eur"), 43_100.0) == "€43.1 k"
    # the unit shown beside a share is per cent, whether a proportion or a ratio bounded by 1
    assert [schema.display_unit(schema.metric(n)) for n in
            ("leak_rate", "waste_share", "track_completeness", "cost_exchange_ratio",
             "spend_eur")] == ["%", "%", "%", "1", "EUR"]


def test_montecarlo_doc_lists_every_metric_with_its_source() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "montecarlo.md").read_text()
    for m in schema.METRICS:
        row = next((x for x in doc.splitlines() if x.startswith(f"| `{m.name}`")), None)
        assert row is not None, m.name
        if m.path is not None:
            assert f"`{'.'.join(m.path)}`" in row, (m.name, row)
