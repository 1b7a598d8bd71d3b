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


def print_summary(result: Any, console: Console | None = None) -> None:
    """Print the key numbers of a simulation run."""
    c = console or Console()
    s = result.summary
    tm = s.get("timing")  # absent from summary.json files (kept deterministic)
    c.print(f"\n[bold]{s['scenario']}[/bold]: {s['duration_s'] / 60:.0f} min simulated "
            f"(seed {s['seed']})"
            + (f" in {tm['total_wall_s']:.1f} s ({tm['faster_than_real_time']:g}x real time)"
               if tm else ""))
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
                    ", ".join(f"{k} {100 * v:.0f}%" for k, v in e["detected_ratio_by_sensor_kind"].items()))
    c.print(tbl)
    d = s["detections"]
    tbl = Table(title=f"Detections: {d['total']:,} from {s['sensors']['total']:,} sensors")
    for col in ("sensor kind", "sensors", "detections", "true", "false alarms", "spoofed"):
        tbl.add_column(col)
    for k, v in d["by_sensor_kind"].items():
        tbl.add_row(k, str(s["sensors"]["by_kind"].get(k, "")), f"{v['detections']:,}",
                    f"{v['true']:,}", f"{v['false_alarms']:,}", f"{v['spoofed']:,}")
    c.print(tbl)
    tr = s.get("tracking")
    if tr:
        c.print("[bold]Tracking[/bold]: " + ", ".join(
            f"{k.replace('_', ' ')} {v:.4g}" if isinstance(v, float) else f"{k.replace('_', ' ')} {v}"
            for k, v in tr.items() if not isinstance(v, (dict, list))))
    c.print("Outputs:")
    for k, v in result.files.items():
        c.print(f"  {k:<11} {v}", soft_wrap=True, highlight=False)
