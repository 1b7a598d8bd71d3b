"""Human-readable output: scenario descriptions and run summaries (rich)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from dronewall.scenario import Scenario


def describe_scenario(sc: Scenario, path: Path, console: Console | None = None) -> None:
    c = console or Console()
    t = sc.traffic
    c.print(f"[bold]{sc.name}[/bold] ({path}) is valid.")
    if sc.description:
        c.print(sc.description.strip())
    c.print(f"start {sc.time.start.isoformat()}, {sc.time.duration_s / 3600:.2f} h at "
            f"{sc.time.step_s:g} s steps, origin {sc.origin.lat_deg:.4f} N "
            f"{sc.origin.lon_deg:.4f} E, seed {sc.seed}")
    kinds: dict[str, int] = {}
    for s in sc.sensors:
        kinds[s.type] = kinds.get(s.type, 0) + 1
    c.print("sensors: " + (", ".join(f"{n} {k}" for k, n in kinds.items()) or "none")
            + " (acoustic grids expand into many nodes)")
    c.print(f"traffic: {sum(r.count for r in t.raids)} raid platforms in {len(t.raids)} raids, "
            f"{sum(a.count for a in t.aircraft)} routed aircraft, "
            f"{sum(f.count for f in t.flows)} cooperative flights, "
            f"{sum(m.count for m in t.multirotors)} multirotors, "
            f"{sum(b.count for b in t.birds)} birds/flocks")
    c.print(f"zones: {len(sc.zones)}, effectors: {len(sc.effectors)}, jamming areas: "
            f"{len(sc.jamming)}, spoofers: {len(sc.spoofing)}")


def _fmt(v: Any, unit: str = "", nd: int = 1) -> str:
    """A figure with its unit; "-" when the run has no value for it."""
    if v is None or (isinstance(v, float) and v != v):
        return "-"
    if isinstance(v, float):
        txt = f"{v:,.{nd}f}"
    else:
        txt = f"{v:,}"
    return f"{txt} {unit}".strip()


def _eur(v: Any) -> str:
    if v is None:
        return "-"
    v = float(v)
    if abs(v) >= 1e6:
        return f"EUR {v / 1e6:,.2f} M"
    if abs(v) >= 1e3:
        return f"EUR {v / 1e3:,.1f} k"
    return f"EUR {v:,.0f}"


def headline_lines(s: dict[str, Any]) -> list[str]:
    """What an operator or analyst wants first, each figure with its unit: violations (true vs
    reported), then leakers, neutralised, spend and cost-exchange, then the picture quality."""
    out: list[str] = []
    air = s.get("airspace")
    if air:
        ep = air.get("episodes") or {}
        lat = ep.get("alert_latency_s") or {}
        dur = ep.get("duration_abs_err_s") or {}
        out.append(
            f"Violations: {ep.get('true_non_cooperative', 0)} true non-cooperative episodes "
            + (f"and {ep['true_identified']} of drones named by Remote ID in airport or "
               "infrastructure zones " if ep.get("true_identified") else "")
            + f"(birds aside); reported {ep.get('reported', 0)} ({ep.get('matched', 0)} matched, "
            f"{ep.get('missed', 0)} missed"
            + (f" ({ep['missed_inside_reported']} of them inside a longer reported episode "
               "of the same platform)" if ep.get("missed_inside_reported") else "")
            + f", {ep.get('unmatched', 0)} unmatched"
            + (f", {ep['matched_cooperative_unheard']} on cooperative platforms no receiver "
               "heard" if ep.get("matched_cooperative_unheard") else "") + ")"
            + (f"; alert latency median {_fmt(lat.get('median_s'), 's')}, "
               f"p90 {_fmt(lat.get('p90_s'), 's')}" if lat else "")
            + (f"; duration error median {_fmt(dur.get('median_s'), 's')}" if dur else "")
            + f"; not listed: {ep.get('authorised', 0)} authorised cooperative, "
              f"{ep.get('low_quality', 0)} low-quality")
    en = s.get("engagement")
    if en:
        out.append(
            f"Engagements ({en['doctrine']}): {en['neutralised']['total']} threats neutralised "
            f"of {en['threats_flown']} flown, {en['leakers']['total']} leakers, "
            + (f"{en['threats_in_flight_at_end']} still flying when the run ended (outcome "
               "open), " if en.get("threats_in_flight_at_end") else "")
            + f"spend {_eur(en['spend_eur'])} on {en['shots']} shots, cost-exchange "
            + (f"{en['cost_exchange_ratio']:.2f} (EUR spent per EUR of attackers destroyed)"
               if en.get("cost_exchange_ratio") is not None else "- (nothing destroyed)")
            + f", value lost {_eur(en['value_lost_eur'])}")
        for name, row in (en.get("comparison") or {}).items():
            if name == en["doctrine"]:
                continue
            out.append(
                f"  same seed, {name}: {row['neutralised']} neutralised, {row['leakers']} "
                f"leakers, spend {_eur(row['spend_eur'])}, cost-exchange "
                + (f"{row['cost_exchange_ratio']:.2f}"
                   if row.get("cost_exchange_ratio") is not None else "-"))
    tr = s.get("tracking")
    if tr:
        cl = tr.get("classification") or {}
        co = tr.get("continuity") or {}
        acc = cl.get("accuracy_30s_after_confirmation")
        ent = cl.get("one_way_uas_at_sovereign_entry") or {}
        out.append(
            f"Tracking: {tr.get('unique_track_ids', 0)} confirmed track ids for "
            f"{tr.get('platforms_ever_detectable', 0)} detectable platforms, "
            f"{co.get('identity_switches', 0)} identity switches"
            + (f" ({co['identity_switches_close_pair']} between platforms within 2 km, "
               f"{co.get('identity_switches_after_gap', 0)} after > 30 s unmatched)"
               if co.get("identity_switches_close_pair") is not None else "")
            + f", {co.get('handovers', 0)} "
            f"handovers, {co.get('reacquisitions', 0)} re-acquisitions, completeness "
            + (f"{100 * co['completeness']:.1f} %" if co.get("completeness") is not None
               else "-")
            + f", confirmation latency median {_fmt(co.get('confirm_latency_median_s'), 's')}"
            f" (p90 {_fmt(co.get('confirm_latency_p90_s'), 's')}"
            + (f"; {_fmt(co['confirm_latency_after_third_fix_median_s'], 's')} / "
               f"{_fmt(co.get('confirm_latency_after_third_fix_p90_s'), 's')} after the "
               "sensors' third fix" if "confirm_latency_after_third_fix_median_s" in co else "")
            + (f", which came {_fmt(co['third_fix_after_fixable_median_s'], 's')} / "
               f"{_fmt(co.get('third_fix_after_fixable_p90_s'), 's')} after the platform "
               "became trackable" if co.get("third_fix_after_fixable_median_s") is not None
               else "")
            + "), mean GOSPA "
            f"{_fmt(tr.get('gospa_mean'), 'm')} (cut-off {_fmt(tr.get('gospa_cutoff_m'), 'm', 0)}),"
            f" false tracks {_fmt(co.get('false_track_steps_per_scan'), 'per scan', 2)}")
        byc = co.get("by_class") or {}
        if byc:
            out.append("By class (tracks per platform tracked; switches; never tracked): "
                       + "; ".join(_class_continuity(name, v) for name, v in byc.items()))
        if "identity_switches_old_track_mixed" in co:
            out.append(_switch_origins(co))
        if acc is not None:
            out.append(
                f"Classification: {100 * acc:.1f} % of {cl.get('scored_platforms')} platforms "
                "labelled right 30 s after confirmation"
                + (f"; hostile one-way UAS vs the rest at sovereign entry "
                   f"{100 * ent['accuracy']:.1f} % of {ent['platforms_scored']} platforms"
                   + _entry_evidence(ent.get("by_evidence") or {})
                   if ent.get("accuracy") is not None else ""))
    sb = s.get("strobes")
    if sb:
        out.append(_strobe_line(sb))
    return out


def _strobe_line(sb: dict[str, Any]) -> str:
    """Lines of bearing: how many were shown, how many unlocated, and per class where a line
    of bearing showed a platform no track did."""
    gain = [f"{name.replace('_', ' ')} {100 * v['share_tracked']:.0f} % -> "
            f"{100 * v['share_seen']:.0f} %" for name, v in (sb.get("by_class") or {}).items()
            if v.get("share_strobe_only", 0) >= 0.01]
    return (f"Lines of bearing: {sb.get('strobes_shown', 0)} shown "
            f"({sb.get('strobes_shown_false', 0)} from false alarms only), "
            f"{_fmt(sb.get('unlocated_strobe_steps_per_scan'), 'unlocated per scan', 2)}"
            + ("; heard and on the display (tracked -> tracked or on a line of bearing): "
               + "; ".join(gain) if gain else ""))


def _entry_evidence(by: dict[str, Any]) -> str:
    """The entry call split by how the entry is known (empty when not split)."""
    parts = [f"{100 * v['accuracy']:.1f} % of {v['platforms_scored']} {label}"
             for key, label in (("observed_crossing", "seen crossing"),
                                ("first_detected_inside", "first detected inside"))
             if (v := by.get(key)) and v.get("accuracy") is not None]
    return f" ({'; '.join(parts)})" if parts else ""


def _switch_origins(co: dict[str, Any]) -> str:
    """What fed the old track at each switch (detection origins, simulation only), and the
    switches and false tracks when the detection origins decide the correspondences."""
    g = co.get
    by = co.get("by_detection_origin") or {}
    return (f"Switches by what fed the old track: {g('identity_switches_old_track_mixed')} a mix "
            f"of two platforms' detections (a pair the sensors did not resolve), "
            f"{g('identity_switches_old_track_other')} another platform's, "
            f"{g('identity_switches_old_track_own')} its own platform's (the estimate strayed "
            f"beyond 1 km), {g('identity_switches_old_track_unknown')} too few true detections"
            + (f"; scored by detection origin: {by.get('identity_switches')} switches, false "
               f"tracks {_fmt(by.get('false_track_steps_per_scan'), 'per scan', 2)}"
               if by else ""))


def _class_continuity(name: str, v: dict[str, Any]) -> str:
    """One class's continuity figures for the summary line."""
    txt = f"{name.replace('_', ' ')} x{v.get('truths_scored', 0)}: "
    frag = v.get("fragments_per_truth_mean")
    txt += "-" if frag is None else f"{frag:.2f} tracks"
    txt += f", {v.get('identity_switches', 0)} switches"
    never = v.get("truths_never_matched", 0)
    return txt + (f", {never} never tracked" if never else "")


def print_summary(result: Any, console: Console | None = None) -> None:
    """Print the key numbers of a simulation run: the headline first (violations, leakers,
    neutralised, spend, cost-exchange), then who was seen and the detections."""
    c = console or Console()
    s = result.summary
    tm = s.get("timing")  # absent from summary.json files (kept deterministic)
    c.print(f"\n[bold]{s['scenario']}[/bold]: {s['duration_s'] / 60:.0f} min simulated "
            f"(seed {s['seed']})"
            + (f" in {tm['total_wall_s']:.1f} s ({tm['faster_than_real_time']:g}x real time)"
               if tm else ""))
    for line in headline_lines(s):
        c.print(line, highlight=False)
    tbl = Table(title="Who was seen (detected by at least one sensor)")
    for col in ("class", "platforms", "detected", "median first detection after launch",
                "seen % of flight time", "by sensor kind"):
        tbl.add_column(col)
    for name, e in s["platforms"]["by_class"].items():
        med = e["median_first_detection_after_launch_s"]
        tbl.add_row(name.replace("_", " "), str(e["platforms"]),
                    f"{e['detected_by_any_sensor']} ({100 * e['detected_ratio']:.0f}%)",
                    "-" if med is None else f"{med:.0f} s",
                    f"{100 * e['seen_fraction_of_flight_time']:.0f}%",
                    ", ".join(f"{k} {100 * v:.0f}%"
                              for k, v in e["detected_ratio_by_sensor_kind"].items()))
    c.print(tbl)
    d = s["detections"]
    tbl = Table(title=f"Detections: {d['total']:,} from {s['sensors']['total']:,} sensors")
    for col in ("sensor kind", "sensors", "detections", "true", "false alarms", "spoofed"):
        tbl.add_column(col)
    for k, v in d["by_sensor_kind"].items():
        tbl.add_row(k, str(s["sensors"]["by_kind"].get(k, "")), f"{v['detections']:,}",
                    f"{v['true']:,}", f"{v['false_alarms']:,}", f"{v['spoofed']:,}")
    c.print(tbl)
    c.print("Outputs:")
    for k, v in result.files.items():
        c.print(f"  {k:<11} {v}", soft_wrap=True, highlight=False)
