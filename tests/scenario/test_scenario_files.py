"""Scenario validation: shipped scenarios load; every bad-input class gives a precise error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dronewall.errors import ScenarioError
from dronewall.scenario import load_scenario, parse_scenario

SCEN = Path(__file__).resolve().parents[2] / "scenarios"

BASE = """\
name: t
time: {start: "2025-09-09T21:30:00Z", duration_s: 600, step_s: 1}
origin: {lat_deg: 51.6, lon_deg: 23.4}
traffic:
  raids:
    - id: w
      platform: shahed136
      count: 3
      launch: {center: [51.7, 24.0], radius_m: 3000}
      window_s: [0, 100]
      target: {center: [51.5, 22.5], radius_m: 5000}
"""


@pytest.mark.parametrize("path", sorted(SCEN.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_scenarios_are_valid(path: Path) -> None:
    sc = load_scenario(path)
    assert sc.name == path.stem
    # every shipped scenario cites its sources in comments
    assert "http" in path.read_text() or "Not a real incident" in path.read_text()


def test_base_is_valid() -> None:
    sc = parse_scenario(BASE)
    assert sc.traffic.raids[0].count == 3


@pytest.mark.parametrize(
    "old,new,line,field,words",
    [
        ("count: 3", "count: -3", 8, "traffic.raids[0].count", "greater than or equal to 1"),
        ("count: 3", "count: 3\n      altitde_m: 100", 9, "traffic.raids[0].altitde_m",
         "unknown key"),
        ("platform: shahed136", "platform: shahed137", 7, "traffic.raids[0].platform",
         "allowed: airliner"),
        ("duration_s: 600", "duration_s: soon", 2, "time.duration_s", "valid number"),
        ("lat_deg: 51.6", "lat_deg: 151.6", 3, "origin.lat_deg", "less than or equal to 90"),
        ("center: [51.7, 24.0]", "center: [51.7, 240.0]", 9, "traffic.raids[0].launch.center",
         "longitude 240"),
        ("window_s: [0, 100]", "window_s: [100, 0]", 10, "traffic.raids[0].window_s",
         "0 <= t0 <= t1"),
        ('"2025-09-09T21:30:00Z"', '"2025-09-09T21:30:00"', 2, "time.start", "time zone"),
    ],
)
def test_bad_values_name_line_field_and_rule(old, new, line, field, words) -> None:
    text = BASE.replace(old, new, 1)
    assert text != BASE
    with pytest.raises(ScenarioError) as ei:
        parse_scenario(text, "x.yaml")
    msg = str(ei.value)
    assert msg.startswith("x.yaml")
    assert f"line {line}" in msg, msg
    assert field in msg, msg
    assert words in msg, msg


def test_missing_required_and_yaml_syntax() -> None:
    with pytest.raises(ScenarioError, match=r"field origin: required field is missing"):
        parse_scenario(BASE.replace("origin: {lat_deg: 51.6, lon_deg: 23.4}\n", ""))
    with pytest.raises(ScenarioError, match=r"line 4, column 1 \(a flow mapping started at "
                                            r"line 3\): not valid YAML"):
        parse_scenario(BASE.replace("origin: {lat_deg", "origin: {{lat_deg"), "y.yaml")
    with pytest.raises(ScenarioError, match="must be a YAML mapping"):
        parse_scenario("- a\n- b\n")


def test_duplicate_ids_and_sensor_fields() -> None:
    dup = BASE + """    - id: w
      platform: gerbera
      count: 1
      launch: {center: [51.7, 24.0], radius_m: 3000}
      window_s: [0, 100]
      target: {center: [51.5, 22.5], radius_m: 5000}
"""
    with pytest.raises(ScenarioError, match="duplicate traffic id 'w'"):
        parse_scenario(dup)
    bad_sensor = BASE + "sensors:\n  - {type: radar, id: r1, position: [51.6, 23.5], pd_ref: 1.5}\n"
    with pytest.raises(ScenarioError, match=r"line 13, field sensors\[0\]\.pd_ref: got 1.5"):
        parse_scenario(bad_sensor)
    bad_type = BASE + "sensors:\n  - {type: sonar, id: r1, position: [51.6, 23.5]}\n"
    with pytest.raises(ScenarioError, match=r"sensors\[0\].*'radar', 'acoustic'"):
        parse_scenario(bad_type)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dronewall.cli.main", *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("content,expect", [
    (None, "scenario file not found"),
    ("name: [unclosed\n", "not valid YAML"),
    (BASE.replace("count: 3", "count: many"), "traffic.raids[0].count"),
    (BASE + "extra_section: 1\n", "extra_section: unknown key"),
])
def test_cli_bad_scenario_exits_2_without_traceback(tmp_path: Path, content, expect) -> None:
    p = tmp_path / "s.yaml"
    if content is not None:
        p.write_text(content)
    r = _cli("validate", str(p))
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert expect in r.stderr
    assert str(p) in r.stderr
    r = _cli("simulate", str(p), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "Traceback" not in r.stderr and expect in r.stderr


def test_cli_bad_seed_exits_2(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(BASE)
    r = _cli("simulate", str(p), "--seed", "-1", "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "--seed: got -1" in r.stderr and "internal error" not in r.stderr


def test_cli_help_is_fast() -> None:
    import resource

    # CPU time of the child process (user + system): what the import costs, independent of
    # how loaded the machine is; includes interpreter start-up, the import itself is ~0.1 s
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = _cli("--help")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert r.returncode == 0 and "simulate" in r.stdout
    assert cpu < 1.5, f"dronewall --help used {cpu:.2f} s of CPU"


def test_zone_file_must_exist_and_be_geojson(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(BASE + "zones:\n  - {file: zones/borders.geojson}\n")
    with pytest.raises(ScenarioError,
                       match=r"zones\[0\]\.file: zone file 'zones/borders.geojson' not found"):
        load_scenario(p)
    (tmp_path / "zones").mkdir()
    (tmp_path / "zones" / "borders.geojson").write_text("{not json")
    with pytest.raises(ScenarioError, match="not valid GeoJSON"):
        load_scenario(p)
    (tmp_path / "zones" / "borders.geojson").write_text(
        '{"type": "FeatureCollection", "features": []}')
    assert load_scenario(p).zones[0].file == "zones/borders.geojson"
    (tmp_path / "afile").write_text("x")
    r = _cli("simulate", str(p), "--out", str(tmp_path / "afile"))
    assert r.returncode == 2 and "is a file; expected a folder" in r.stderr
