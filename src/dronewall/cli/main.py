"""``dronewall`` command line. Imports stay lazy so ``dronewall --help`` answers fast.

Exit status: 0 success; 2 bad input (file, field or option; one-paragraph message, no
traceback); 1 internal error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="dronewall",
    help="Drone wall: fuse sensors into one air picture, prove violations, plan cheap "
         "interceptions. Run 'dronewall demo' for a guided end-to-end example.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(msg: str, code: int = 2) -> None:
    sys.stderr.write(f"dronewall: error: {msg}\n")
    raise typer.Exit(code)


@app.command()
def simulate(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output directory")] = Path("out/sim"),
    seed: Annotated[int | None, typer.Option(help="random seed (default: the scenario's)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table format: csv or parquet")] = "csv",
    track: Annotated[bool, typer.Option(
        "--track/--no-track", help="run the tracking engine")] = True,
    compare_doctrines: Annotated[bool | None, typer.Option(
        "--compare-doctrines/--no-compare-doctrines",
        help="also run the naive doctrines missile_first and nearest_capable on the same seed "
             "(parallel worker processes) and compare; default: on for scenarios with "
             "effectors")] = None,
    engage: Annotated[bool, typer.Option(
        "--engage/--no-engage",
        help="simulate engagements when the scenario has effectors (--no-engage: the air "
             "picture only, e.g. to measure classification without kills)")] = True,
    runs: Annotated[int | None, typer.Option(
        "--runs", help="Monte-Carlo study: N independent seeded runs, aggregated with "
                       "confidence intervals, plus DIR/report.html (docs/montecarlo.md)")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", help="study: local worker processes (default: CPU count)")] = None,
    dask: Annotated[str | None, typer.Option(
        "--dask", help="study: Dask scheduler address tcp://host:port, or 'local' to start a "
                       "local cluster (needs the dask extra)")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set",
        help="study sweep: path.to.param=v1,v2,... (repeatable; cartesian product)")] = None,
    duration: Annotated[float | None, typer.Option(
        "--duration", help="cut the scenario to this many seconds")] = None,
) -> None:
    """Simulate a scenario: truth, sensor detections, tracks and summary.json in OUT; with
    --runs, a Monte-Carlo study with aggregates and an offline HTML report."""
    from dronewall.pipeline.outdir import hold_old_summary

    # first thing: an earlier summary.json in OUT goes out of sight (back if this fails early),
    # so a run killed at any moment never leaves it beside new files (docs/limits.md)
    with hold_old_summary(out):
        _simulate(scenario, out, seed, fmt, track, compare_doctrines, engage, runs, workers,
                  dask, set_, duration)


def _simulate(scenario: Path, out: Path, seed: int | None, fmt: str, track: bool,
              compare_doctrines: bool | None, engage: bool, runs: int | None,
              workers: int | None, dask: str | None, set_: list[str] | None,
              duration: float | None) -> None:
    from dronewall.pipeline.summary import print_summary

    if fmt not in ("csv", "parquet"):
        _fail(f"--format: got {fmt!r}; allowed: csv, parquet")
    if seed is not None and not 0 <= seed < 2**63:
        _fail(f"--seed: got {seed}; expected an integer 0 <= seed < 2**63")
    if duration is not None and not duration > 0:
        _fail(f"--duration: got {duration}; expected a positive number of seconds")
    study_opts = workers is not None or dask is not None or set_
    if runs is None and study_opts:
        _fail("--workers, --dask and --set need --runs N (a Monte-Carlo study)")
    if runs is not None:
        from dronewall.inputs.limits import MAX_STUDY_RUNS, max_workers

        if not 1 <= runs <= MAX_STUDY_RUNS:
            _fail(f"--runs: got {runs}; expected 1 to {MAX_STUDY_RUNS:,} (docs/limits.md)")
        if workers is not None and not 1 <= workers <= max_workers():
            _fail(f"--workers: got {workers}; expected 1 to {max_workers()} on this machine "
                  "(docs/limits.md)")
        from dronewall.pipeline.montecarlo import print_study, run_study
        from dronewall.report.study import write_study_report

        res = run_study(scenario, out, runs, workers=workers, dask_address=dask,
                        sweep=list(set_ or []), base_seed=seed, duration_s=duration,
                        progress=True)
        report = write_study_report(out)
        print_study(res, report)
        return
    from dronewall.pipeline.simulate import announce, run_simulation

    announce(scenario, track=track, engage=engage, compare_doctrines=compare_doctrines,
             duration_s=duration)
    result = run_simulation(scenario, out, seed=seed, fmt=fmt, track=track,
                            duration_s=duration, engage=engage,
                            compare_doctrines=compare_doctrines, progress=True)
    print_summary(result)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="output directory")] = Path("out/demo"),
    seed: Annotated[int, typer.Option(help="random seed")] = 7,
) -> None:
    """Run the built-in flagship scenario end to end and explain what happened."""
    from dronewall.pipeline.demo import run_demo

    if not 0 <= seed < 2**63:
        _fail(f"--seed: got {seed}; expected an integer 0 <= seed < 2**63")
    run_demo(out, seed=seed)


@app.command()
def track(
    detections: Annotated[Path, typer.Argument(help="detections.csv (columns scan,time,x,y,...)")],
    scenario_json: Annotated[Path, typer.Option(
        "--scenario-json", help="scenario.json with sigma, pd, clutter_density_per_m2")],
    out: Annotated[Path, typer.Option("--out", "-o", help="tracks.csv to write")],
    assoc: Annotated[str, typer.Option(help="association: gnn or jpda")] = "gnn",
) -> None:
    """Track a neutral-format 2-D detection file (Stone Soup benchmark format)."""
    from dronewall.cli.track import track_command

    if assoc not in ("gnn", "jpda"):
        _fail(f"--assoc: got {assoc!r}; allowed: gnn, jpda")
    stats = track_command(detections, scenario_json, out, assoc=assoc)
    typer.echo(
        f"tracked {stats.get('scans_processed', '?')} scans, "
        f"{stats.get('detections', '?')} detections "
        f"in {stats.get('track_wall_s', float('nan')):.3f} s "
        f"({stats.get('ms_per_scan', float('nan')):.2f} ms/scan) -> {out}"
    )


@app.command()
def violations(
    zones: Annotated[list[Path], typer.Option("--zones", help="zones GeoJSON/KML (repeatable)")],
    tracks: Annotated[Path, typer.Option(
        "--tracks", help="CSV: time,track_id,lat,lon,alt_m[,sigma_m][,sigma_alt_m], or "
                         "simulate's tracks.csv")],
    out: Annotated[Path, typer.Option("--out", "-o", help="events JSON lines to write")],
    epoch: Annotated[str | None, typer.Option(
        help="ISO-8601 UTC epoch when time is in seconds")] = None,
) -> None:
    """Airspace analytics on a tracks file: warning / entry / exit / violation events."""
    from dronewall.cli.violations import violations_command

    s = violations_command(zones, tracks, out, epoch=epoch)
    typer.echo(f"{s['scans']} scans, {s['tracks']} tracks, events {s['events']}, "
               f"{len(s['zone_repairs'])} zone repairs -> {out}")


report_app = typer.Typer(help="Offline HTML + JSON reports.", no_args_is_help=True)
app.add_typer(report_app, name="report")


@report_app.command("incident")
def report_incident(
    events: Annotated[Path, typer.Option("--events", help="events.jsonl (violations etc.)")],
    tracks: Annotated[Path, typer.Option(
        "--tracks", help="tracks.csv of simulate, or time,track_id,lat,lon,alt_m")],
    out: Annotated[Path, typer.Option("--out", "-o", help="report .html (JSON written beside it)")],
    zones: Annotated[list[Path] | None, typer.Option(
        "--zones", help="zone GeoJSON for the map (repeatable)")] = None,
    track_id: Annotated[str | None, typer.Option("--track", help="only this track")] = None,
    zone_id: Annotated[str | None, typer.Option("--zone", help="only this zone")] = None,
    title: Annotated[str | None, typer.Option(help="report title")] = None,
    non_cooperative: Annotated[bool, typer.Option(
        "--non-cooperative", help="only tracks without ADS-B / Remote ID identity")] = False,
    crossings_only: Annotated[bool, typer.Option(
        "--crossings-only",
        help="only episodes whose entry was observed (not tracks first seen inside)")] = False,
    scope: Annotated[str, typer.Option(
        "--scope",
        help="violations (default: non-cooperative, untrusted and unverified episodes on "
             "adequate tracks, ranked by depth x duration) or all (also authorised cooperative "
             "traffic and low-quality tracks)")] = "violations",
    sensors: Annotated[Path | None, typer.Option(
        "--sensors", help="sensor_health.jsonl of simulate: the sensors that were down "
                          "(default: the one beside --events, if any)")] = None,
    strobes: Annotated[Path | None, typer.Option(
        "--strobes", help="strobes.jsonl of simulate: emitters heard but not located "
                          "(default: the one beside --events, if any)")] = None,
) -> None:
    """Incident report for one violation (--track/--zone) or a whole night."""
    from dronewall.report.incident import incident_report

    if scope not in ("violations", "all"):
        _fail(f"--scope: got {scope!r}; allowed: violations, all")
    run = events.parent      # a simulate output folder without zones has no events file
    if not events.exists() and (run / "summary.json").is_file() \
            and not (run / "zones.geojson").exists():
        _fail(f"--events {events}: no such file -- that run's scenario defines no zones, so it "
              "has no airspace events; add zones (docs/scenarios.md) and simulate again")
    rep = incident_report(events, tracks, out, zones=zones, track_id=track_id, zone_id=zone_id,
                          title=title, non_cooperative=non_cooperative,
                          crossings_only=crossings_only, scope=scope, sensors=sensors,
                          strobes=strobes)
    nl = rep.get("not_listed") or {}
    extra = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in nl.items() if v)
    typer.echo(f"{rep['violations']} violation episode(s) -> {out} and "
               f"{out.with_suffix('.json')}" + (f" (not listed: {extra}; --scope all lists "
                                               "them)" if extra else ""))


@report_app.command("study")
def report_study(
    study_dir: Annotated[Path, typer.Argument(help="output directory of simulate --runs")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="report .html (default DIR/report.html)")] = None,
) -> None:
    """Offline HTML report of a Monte-Carlo study (map, plots, key numbers)."""
    from dronewall.report.study import write_study_report

    # refuses a folder that is not a finished study, and never overwrites a file that is not
    # an earlier study report
    path = write_study_report(study_dir, out)
    typer.echo(f"study report -> {path}")


@app.command("export")
def export(
    run_dir: Annotated[Path, typer.Argument(help="output folder of 'dronewall simulate'")],
    out: Annotated[Path, typer.Option("--out", "-o", help="file to write (.geojson / .kml)")],
    fmt: Annotated[str | None, typer.Option(
        "--format", help="geojson or kml (default: from the --out suffix)")] = None,
    decimate: Annotated[float, typer.Option(
        "--decimate", min=0.0, help="at most one track vertex every S seconds (0: all)")] = 5.0,
) -> None:
    """Tracks, violation episodes, airspace events and zones of a run as GeoJSON (GIS) or KML
    (Google Earth, time-animated tracks) (docs/interop.md)."""
    from dronewall.report.gis import export_run

    f = fmt or {".geojson": "geojson", ".json": "geojson", ".kml": "kml"}.get(
        out.suffix.lower(), "")
    if f not in ("geojson", "kml"):
        _fail(f"--format: got {fmt or out.suffix!r}; expected geojson or kml (or an --out "
              "ending in .geojson / .kml)")
    if not run_dir.is_dir() or not (run_dir / "summary.json").is_file():
        _fail(f"{run_dir}: not the output folder of 'dronewall simulate' (no summary.json)")
    n = export_run(run_dir, out, f, decimate)
    typer.echo(f"{n['tracks']} tracks, {n['violations']} violation episodes, {n['events']} "
               f"events, {n['zones']} zones -> {out}")


@app.command("sapient-asm")
def sapient_asm(
    scenario: Annotated[Path, typer.Option("--scenario", help="scenario YAML")],
    connect: Annotated[str, typer.Option(
        "--connect", help="HOST:PORT of the SAPIENT fusion node (DMM)")] = "127.0.0.1:5020",
    speed: Annotated[float, typer.Option(min=0.01, help="scenario seconds per wall second")
                     ] = 1.0,
    duration: Annotated[float | None, typer.Option(
        "--duration", min=0.0, help="stop after this many scenario seconds")] = None,
    seed: Annotated[int | None, typer.Option(help="seed (default: the scenario's)")] = None,
    kinds: Annotated[str, typer.Option(
        "--kinds", help="sensor kinds that become nodes: radar,eoir,rf,acoustic")
                     ] = "radar,eoir,rf",
    start_at: Annotated[float | None, typer.Option(
        "--start-at", min=0.0,
        help="wall-clock instant (Unix seconds) of scenario time 0: run several simulators "
             "in step (e.g. --kinds radar and --kinds acoustic); default: now")] = None,
) -> None:
    """Stream a scenario's simulated sensors as SAPIENT edge nodes (ASMs) into a fusion node:
    registration, status and detection reports (docs/interop.md)."""
    from dronewall.cli.listen import parse_hostport
    from dronewall.errors import InputError
    from dronewall.pipeline.sapient_asm import KIND_NAMES, AsmSimulator

    ks = tuple(k.strip() for k in kinds.split(",") if k.strip())
    bad = [k for k in ks if k not in KIND_NAMES]
    if bad or not ks:
        _fail(f"--kinds: got {kinds!r}; allowed: {', '.join(KIND_NAMES)}")
    host, port = parse_hostport(connect, 5020, "--connect")
    sim = AsmSimulator(scenario, host, port, speed=speed, seed=seed, kinds=ks,
                       log=lambda m: sys.stderr.write(f"dronewall sapient-asm: {m}\n"))
    try:
        res = sim.run(duration, start_wall=start_at)
    except OSError as e:   # refused, unreachable, timed out: the fusion node is not there
        raise InputError(f"--connect {connect}: cannot connect ({e.strerror or e}); is the "
                         "fusion node listening?") from None
    typer.echo(" ".join(f"{k} {v}" for k, v in res.items()))


@app.command("adsb-check")
def adsb_check(
    reports: Annotated[Path, typer.Argument(
        help="CSV or Parquet: time,icao24,lat,lon,alt_m[,callsign,groundspeed_mps,track_deg,"
             "vertical_rate_mps]")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="write JSON lines here instead of stdout")] = None,
) -> None:
    """Cooperative-ID trust: flag ADS-B identities whose reports are physically inconsistent."""
    from dronewall.cli.adsb_check import adsb_check_command

    adsb_check_command(reports, out)


@app.command()
def wta(
    instance: Annotated[Path, typer.Argument(
        help="WTA instance: neutral .json or Toffolo .txt (see docs/wta.md)")],
    time_limit: Annotated[float, typer.Option("--time-limit", help="seconds")] = 10.0,
    exact: Annotated[bool, typer.Option(
        "--exact", help="HiGHS outer-approximation MILP (proves optimality)")] = False,
    fmt: Annotated[str | None, typer.Option(
        "--format", help="json or toffolo (default: from the suffix)")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="write the JSON result here instead of stdout")] = None,
) -> None:
    """Weapon-target assignment: solve an instance, print plan, bound, gap as JSON."""
    from dronewall.cli.wta import wta_command

    if fmt is not None and fmt not in ("json", "toffolo"):
        _fail(f"--format: got {fmt!r}; allowed: json, toffolo")
    wta_command(instance, time_limit_s=time_limit, exact=exact, fmt=fmt, out=out)


@app.command()
def validate(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
) -> None:
    """Check a scenario file and print what it contains."""
    from dronewall.errors import ScenarioError
    from dronewall.pipeline.preflight import preflight
    from dronewall.pipeline.summary import describe_scenario
    from dronewall.scenario import load_scenario

    sc = load_scenario(scenario)
    try:
        preflight(sc, scenario.parent)  # builds zones, sensors and traffic as simulate would
    except ScenarioError as e:
        raise ScenarioError(f"{scenario}: {e}") from None
    describe_scenario(sc, scenario)


@app.command()
def catalog() -> None:
    """List the platform catalogue with its sourced defaults."""
    from rich.console import Console
    from rich.table import Table

    from dronewall.catalog import PLATFORMS

    t = Table(title="Platform catalogue ([P] published, [E] estimate: see docs/catalogue.md)")
    for col in ("key", "class", "cruise km/h", "alt m", "turn deg/s", "RCS m2", "SL dB@1m",
                "RF", "unit cost USD"):
        t.add_column(col)
    for p in PLATFORMS.values():
        t.add_row(p.key, p.platform_class.name.lower(), f"{p.cruise_speed_mps * 3.6:.0f}",
                  f"{p.cruise_alt_m:.0f}", f"{p.max_turn_rate_dps:g}", f"{p.rcs_m2:g}",
                  f"{p.acoustic_sl_db:.0f}", p.rf_protocol.name.lower(),
                  "n/a" if p.unit_cost_usd != p.unit_cost_usd else f"{p.unit_cost_usd:,.0f}")
    Console().print(t)


from dronewall.cli.serve import register as _register_server  # noqa: E402

_register_server(app)

from dronewall.cli.listen import register as _register_listen  # noqa: E402

_register_listen(app)


#: Longest error message printed, characters (messages quote short excerpts of bad values;
#: this bounds any that does not).
MAX_MESSAGE_CHARS = 2_000


def run() -> None:
    """Console entry point: maps dronewall errors to exit 2 with a one-paragraph message.

    Usage errors (unknown option, missing argument) are handled by typer itself (exit 2).
    """
    from dronewall.errors import DronewallError

    old_term = _catch_sigterm()
    try:
        app()
    except DronewallError as e:
        _end_children()
        msg = str(e)   # one paragraph: a message quoting a huge value is cut (safety net)
        msg = msg if len(msg) <= MAX_MESSAGE_CHARS else msg[:MAX_MESSAGE_CHARS - 3] + "..."
        sys.stderr.write(f"dronewall: error: {msg}\n")
        sys.exit(e.exit_code)
    except KeyboardInterrupt:   # Ctrl-C or SIGTERM outside typer's own handling
        _interrupted()
    except SystemExit as e:
        if e.code == 130 or _TERM["seen"]:   # typer turns Ctrl-C / SIGTERM into Exit(130)
            _interrupted()
        raise
    except Exception as e:
        _end_children()
        if os.environ.get("DRONEWALL_DEBUG"):
            raise
        msg = str(e)
        msg = msg if len(msg) <= 300 else msg[:297] + "..."
        sys.stderr.write(
            f"dronewall: internal error: {type(e).__name__}: {msg}\n"
            "This is a bug; rerun with DRONEWALL_DEBUG=1 for the traceback and report it.\n"
        )
        sys.exit(1)
    finally:
        _restore_sigterm(old_term)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so runs stop the way Ctrl-C stops them (workers
    terminated, a study's partial results summarised); exit status 143."""


_TERM = {"seen": False}


def _on_sigterm(signum: int, frame: object) -> None:
    _TERM["seen"] = True
    raise _Terminated()


def _interrupted() -> None:
    """End worker processes and exit: 143 after SIGTERM, 130 after Ctrl-C."""
    _end_children()
    term = _TERM["seen"]
    sys.stderr.write(f"dronewall: {'terminated' if term else 'interrupted'}\n")
    sys.exit(143 if term else 130)


def _catch_sigterm() -> object:
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _on_sigterm)


def _restore_sigterm(old: object) -> None:
    import signal

    if old is not None:
        signal.signal(signal.SIGTERM, old)  # type: ignore[arg-type]


def _end_children() -> None:
    """Terminate worker processes still running (doctrine runs, study pools): no orphans."""
    if "dronewall.pipeline.lifetime" in sys.modules:
        sys.modules["dronewall.pipeline.lifetime"].terminate_children()


if __name__ == "__main__":
    run()
