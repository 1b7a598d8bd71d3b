"""Documented limits on what dronewall reads and runs (``docs/limits.md``).

Every size that drives memory or time is bounded here, with the reason for its value, and checked
before anything is allocated. The numbers are derived from what one machine of the reference
class (2 cores, 8 GiB; the CI machine) can do: a limit is set where the input would need more
than about 2 GiB of memory or more than a few hours of wall time, well above every shipped
scenario and public benchmark instance. Exceeding one is an :class:`~dronewall.errors.InputError`
(exit 2) naming the field, the value and the limit; a bigger job needs a deliberate code change,
not a bigger number in a file.
"""

from __future__ import annotations

from datetime import UTC, datetime

# --------------------------------------------------------------------------- files

#: Largest JSON / GeoJSON / KML document read into memory at once, bytes. Parsed JSON takes
#: ~10-20x its text size as Python objects: 256 MiB of text is ~2-4 GiB. The shipped sovereign
#: border file is 1.7 MB.
MAX_DOCUMENT_BYTES = 256 * 2**20
#: Largest scenario YAML, bytes. ruamel.yaml builds ~2 KB of objects per node and parses ~1 MB/s;
#: the largest shipped scenario is 6.4 kB; 1 MiB is ~150x that and parses in about a second.
MAX_SCENARIO_BYTES = 2**20
#: Deepest JSON nesting accepted (objects and arrays). A GeoJSON MultiPolygon feature collection
#: is 8 levels deep; the JSON decoder recurses once per level (Python's limit is ~1000).
MAX_JSON_DEPTH = 64
#: Deepest YAML nesting accepted (mappings and sequences). A scenario polygon is 7 levels deep;
#: the YAML composer and pydantic recurse per level.
MAX_YAML_DEPTH = 32
#: Largest YAML document after expanding aliases (nodes). An alias re-uses a node without
#: copying it, so a few lines of anchors can stand for 10^9 nodes ("billion laughs"); validation
#: walks the expanded tree. A scenario has ~10^2-10^4 nodes; 10^6 validate in ~2 s.
MAX_YAML_NODES = 1_000_000
#: Longest physical line of a CSV / JSON-lines file, bytes: a line is held in memory whole.
MAX_LINE_BYTES = 4 * 2**20
#: Longest CSV field, characters (Python's csv module default, kept on purpose: a longer field is
#: a broken file, e.g. a missing closing quote swallowing the rest of it).
CSV_FIELD_LIMIT = 131_072
#: Most columns in a CSV header.
MAX_CSV_COLUMNS = 512
#: Characters of a bad value echoed in an error message.
EXCERPT_CHARS = 60

# --------------------------------------------------------------------------- times and places

#: Dates accepted in any input (scenario start, --epoch, ISO times in tables): 1900 to 2200.
#: Outside this window, date arithmetic overflows (year 1 or 9999 plus a time zone or a run
#: length) and no sensor record exists.
DATE_MIN = datetime(1900, 1, 1, tzinfo=UTC)
DATE_MAX = datetime(2200, 1, 1, tzinfo=UTC)
#: The same window in Unix seconds.
EPOCH_S_MIN = DATE_MIN.timestamp()
EPOCH_S_MAX = DATE_MAX.timestamp()
#: Largest magnitude of a relative time (seconds since an epoch) in a table: the length of the
#: date window, so that epoch + t always stays a representable date.
MAX_ABS_TIME_S = EPOCH_S_MAX - EPOCH_S_MIN
#: Largest |x| or |y| of the neutral 2-D detection format, m: a quarter of the Earth's
#: circumference; beyond it a flat x/y frame means nothing.
MAX_ABS_XY_M = 1.0e7
#: Altitudes accepted in track tables, m above the ellipsoid (Dead Sea shore to the Karman line
#: x 10: anything flying or orbiting low).
ALT_MIN_M = -1.0e4
ALT_MAX_M = 1.0e6

# --------------------------------------------------------------------------- neutral track CLI

#: Highest scan index of ``dronewall track``. Every scan, also one with no detection, is one
#: engine step (~0.1-1 ms with a few tracks): 10^7 scans is about an hour.
MAX_SCAN_INDEX = 10_000_000

# --------------------------------------------------------------------------- WTA

#: Most weapon units (sum of counts, or W x mu) in one WTA instance. The heuristic's
#: re-insertion step solves an n x (T + n) assignment over up to all units n: 4,096 units make
#: matrices of ~130 MB and steps of ~1 s. The largest public instance (300x600x3) has 900.
MAX_WTA_UNITS = 4_096
#: Most weapon types and targets of one WTA instance, and most (type, target) pairs: the exact
#: solver has one integer variable per pair plus cuts; 10^6 pairs are ~1 GB in HiGHS.
MAX_WTA_TYPES = 10_000
MAX_WTA_TARGETS = 10_000
MAX_WTA_PAIRS = 1_000_000
#: Longest ``--time-limit`` of ``dronewall wta``, s (one hour).
MAX_WTA_TIME_LIMIT_S = 3_600.0

# --------------------------------------------------------------------------- scenarios

#: Most truth steps of one simulation (duration_s / step_s): the step grid is allocated up
#: front and every step runs sensors and the chain (~5-20 ms for the shipped scenarios), so
#: 10^6 steps is 1.5-6 h. Seven days at 0.6 s fit.
MAX_SIM_STEPS = 1_000_000
#: Most platforms (sum of all traffic counts). Truth, sensor and scorer state is ~1-3 kB per
#: platform and per-step work grows with platforms x nearby sensors.
MAX_PLATFORMS = 100_000
#: Most sensors, acoustic grid nodes included (each node is a row of the sensor table, a
#: KD-tree point and a bearing source; 50,000 nodes is a 10 km grid over all of Poland).
MAX_SENSORS = 50_000
#: Random sensor outages a scenario's availabilities may draw over a run (expected number):
#: each is one interval the simulator checks at every step.
MAX_RANDOM_OUTAGES = 1_000_000
#: Most expected false alarms per second of simulated time, all sensors together (radar
#: false_alarms_per_scan / scan_period_s plus node false_alarms_per_hour / 3600). The engine
#: sheds initiation beyond its per-step budget, but detections are still written and
#: validated: 10^4 per second is ~1 GB of detections per simulated hour.
MAX_FALSE_ALARMS_PER_S = 10_000.0
#: Most shots stocked at one effector site (count); the planner keeps per-site and per-fire-unit
#: arrays and the horizon problem counts rounds.
MAX_EFFECTOR_COUNT = 100_000

# --------------------------------------------------------------------------- studies

#: Most runs of one study (per sweep point times points): every run is a task object holding the
#: scenario (~10-100 kB) and a row of runs.csv; 10^5 runs of the flagship take ~40 core-days.
MAX_STUDY_RUNS = 100_000


def max_workers() -> int:
    """Most local worker processes of a study: 4 per core (each ~150-300 MB), at least 8."""
    import os

    return max(8, 4 * (os.cpu_count() or 1))
