"""Output folders that never lie about being complete.

A run (``simulate``, a study) calls :func:`prepare_output_dir` before any work:

1. the path must be a folder or creatable (else InputError, exit 2);
2. a non-empty folder must be an earlier dronewall output folder -- it holds a dronewall
   ``summary.json``, a ``partial-summary.json`` or the marker -- and only files dronewall
   writes; otherwise the run is **refused** and nothing is deleted;
3. the marker :data:`MARKER` is written, then the old ``summary.json`` is removed first and
   the other old outputs after it (**a re-run cleans old results**); the CLI hides the old
   ``summary.json`` already while the command starts (:func:`hold_old_summary`) and puts it
   back if the command fails before this step;
4. the run writes its files, ``summary.json`` last and atomically (temporary file +
   ``os.replace``), then :meth:`RunDir.complete` removes the marker.

So a ``summary.json`` in the folder always belongs to a finished run of the command that wrote
it: a run killed at any moment (even ``kill -9``) leaves the marker and no ``summary.json``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dronewall.errors import InputError
from dronewall.inputs import write_output_text
from dronewall.pipeline.lifetime import pid_running

#: Present while a run writes the folder (or after it was stopped before finishing).
MARKER = ".dronewall-incomplete"
#: An earlier run's summary.json while a new command starts (:func:`hold_old_summary`).
HELD_SUMMARY = ".previous-summary.json"
#: Files a run or a report writes under these exact names.
FIXED_NAMES = frozenset({"summary.json", "partial-summary.json", MARKER, HELD_SUMMARY, "runs.csv",
                         "sensors.json", "scenario.json", "report.html", "report.json",
                         "zones.geojson"})
#: Tables and event files: <stem>.<ext>.
TABLE_STEMS = frozenset({"truth", "detections", "tracks", "platforms", "threats", "engagements",
                         "events", "truth_events", "episodes", "coop_trust", "sensor_health",
                         "strobes"})
TABLE_EXTS = frozenset({"csv", "parquet", "jsonl", "json"})
_RUN_DIR = re.compile(r"run-\d+")
#: Keys by which a summary.json is recognised as dronewall's (a single run, or a study).
_RUN_KEYS = ({"scenario", "seed", "steps"}, {"runs_per_point", "runs_requested", "metrics"})


def _is_output_name(p: Path) -> bool:
    name = p.name
    if p.is_dir() and not p.is_symlink():
        return name == "runs" and all(c.is_dir() and _RUN_DIR.fullmatch(c.name)
                                      for c in p.iterdir())
    if name in FIXED_NAMES or (name.startswith(".") and name.endswith(".part")):
        return True
    stem, _, ext = name.partition(".")
    return ext in TABLE_EXTS and (stem in TABLE_STEMS or stem.startswith("engagements_"))


def _is_dronewall_summary(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8")[: 64 * 2**20])
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and any(k <= data.keys() for k in _RUN_KEYS)


@dataclass
class RunDir:
    """A prepared output folder; :meth:`complete` after summary.json is written."""

    path: Path

    def write_summary(self, text: str, name: str = "summary.json") -> Path:
        """Write ``name`` atomically (the last file of a run)."""
        return write_output_text(self.path / name, text, "--out")

    def complete(self) -> None:
        """The run finished: remove the incomplete marker."""
        (self.path / MARKER).unlink(missing_ok=True)


def prepare_output_dir(out: str | Path, command: str) -> RunDir:
    """Check, clean and mark ``out`` for a run of ``command`` (module docstring)."""
    out = Path(out)
    where = f"--out {out}"
    if out.exists() and not out.is_dir():
        raise InputError(f"{where}: is a file; expected a folder for the run's outputs")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"{where}: cannot create the output folder ({e.strerror}); expected "
                         "a writable folder path") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise InputError(f"{where}: cannot write in this folder (permission denied)")
    entries = sorted(out.iterdir())
    marker = out / MARKER
    if entries:
        ours = (marker.exists() or (out / "partial-summary.json").is_file()
                or (out / HELD_SUMMARY).is_file()
                or ((out / "summary.json").is_file()
                    and _is_dronewall_summary(out / "summary.json")))
        if not ours:
            raise InputError(f"{where}: the folder is not empty and holds no dronewall results "
                             "(no dronewall summary.json); choose a new or empty folder -- "
                             "dronewall only replaces its own earlier outputs")
        foreign = [p.name for p in entries if not _is_output_name(p)]
        if foreign:
            shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
            raise InputError(f"{where}: holds earlier dronewall results and also files dronewall "
                             f"did not write ({shown}); move them away or choose another "
                             "folder (nothing was deleted)")
        other = _running_pid(marker)
        if other is not None:
            raise InputError(f"{where}: another dronewall run (pid {other}) is writing this "
                             "folder; wait for it or choose another folder")
    _write_marker(marker, command)
    for name in ("summary.json", "partial-summary.json", HELD_SUMMARY):  # first: none survives
        (out / name).unlink(missing_ok=True)
    for p in entries:
        if p.name in (MARKER, "summary.json", "partial-summary.json", HELD_SUMMARY):
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink(missing_ok=True)
    return RunDir(out)


@contextlib.contextmanager
def hold_old_summary(out: str | Path) -> Iterator[None]:
    """While a command starts (imports, scenario checks), keep an earlier run's summary.json
    out of sight: it is renamed to :data:`HELD_SUMMARY`, so a command killed even before it
    prepares the folder leaves no summary.json beside whatever it may have started. If the
    command stops with an error before :func:`prepare_output_dir` ran (a bad scenario, say),
    the summary is put back: the earlier results stay whole."""
    out = Path(out)
    sj, held = out / "summary.json", out / HELD_SUMMARY
    moved = False
    if out.is_dir() and sj.is_file() and not held.exists() and _is_dronewall_summary(sj):
        try:
            os.replace(sj, held)
            moved = True
        except OSError:
            moved = False
    try:
        yield
    except BaseException:
        if moved and held.is_file() and not sj.exists() and not (out / MARKER).exists():
            try:
                os.replace(held, sj)
            except OSError:
                pass
        raise


def _running_pid(marker: Path) -> int | None:
    """The pid recorded in ``marker`` if that process still runs (and is not us)."""
    try:
        pid = int(json.loads(marker.read_text(encoding="utf-8")).get("pid", 0))
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    return pid if pid != os.getpid() and pid_running(pid) else None


def _write_marker(marker: Path, command: str) -> None:
    write_output_text(marker, json.dumps({
        "command": command, "pid": os.getpid(),
        "started_utc": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "note": "a dronewall run is writing this folder, or was stopped before it finished; "
                "summary.json appears only when a run finishes"}, indent=1) + "\n", "--out")
