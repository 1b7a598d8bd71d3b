"""``dronewall adsb-check REPORTS.(csv|parquet) [--out FILE]``: ADS-B cooperative-ID trust.

Columns ``time,icao24,lat,lon,alt_m`` are required; ``callsign,groundspeed_mps,track_deg,
vertical_rate_mps`` are optional. ``time`` is seconds (Unix epoch for ISO spans) or ISO-8601
with a UTC offset (detected from the first value). Rows with garbage values are skipped and
counted (a file where no row is usable is an error); unsorted input is sorted (counted). Writes
one JSON object per aircraft per line.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from dronewall.classify.coop_trust import assess_reports
from dronewall.errors import DataFormatError
from dronewall.inputs import check_output_file, csv_rows, excerpt, write_output_text
from dronewall.inputs.limits import DATE_MAX, DATE_MIN, EPOCH_S_MAX, EPOCH_S_MIN, MAX_DOCUMENT_BYTES
from dronewall.inputs.text import check_input_file

REQUIRED_COLUMNS = ("time", "icao24", "lat", "lon", "alt_m")
OPTIONAL_COLUMNS = ("callsign", "groundspeed_mps", "track_deg", "vertical_rate_mps")


def _read_table(path: Path) -> dict[str, list[Any]]:
    if path.suffix.lower() == ".parquet":
        check_input_file(path, "parquet reports file", MAX_DOCUMENT_BYTES)
        try:
            import pyarrow.parquet as pq
            table = pq.read_table(path)
        except Exception as e:  # noqa: BLE001 - any reader failure is a format error
            raise DataFormatError(f"{path}: cannot read parquet file ({e})") from None
        cols: dict[str, list[Any]] = {}
        for i, c in enumerate(table.column_names):
            try:
                cols[c] = table.column(i).to_pylist()
            except (OverflowError, ValueError) as e:   # e.g. a timestamp before year 1
                raise DataFormatError(f"{path}: column {c!r}: cannot read its values "
                                      f"({excerpt(str(e))}); expected numbers, text or times "
                                      "from 1900 to 2200") from None
        return cols
    rows = [r for _, r in csv_rows(path, "reports file", max_bytes=MAX_DOCUMENT_BYTES)]
    if not rows:
        raise DataFormatError(f"{path}: empty file; expected a header with columns "
                              f"{', '.join(REQUIRED_COLUMNS)}")
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    return {h: [r[i] if i < len(r) else "" for r in body] for i, h in enumerate(header)}


def _to_float(values: list[Any]) -> np.ndarray:
    """Numbers of a column; NaN for empty, non-numeric and non-finite cells (an infinite
    optional value is as unusable as a missing one)."""
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        try:
            out[i] = float(v) if v not in (None, "") else np.nan
        except (TypeError, ValueError, OverflowError):
            pass
    out[~np.isfinite(out)] = np.nan
    return out


def _to_time(values: list[Any]) -> tuple[np.ndarray, bool]:
    first = next((v for v in values if v not in (None, "")), None)
    iso = isinstance(first, datetime) or (isinstance(first, str) and not _is_number(first))
    if not iso:
        return _to_float(values), False
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        try:
            dt = v if isinstance(v, datetime) else datetime.fromisoformat(str(v))
        except ValueError:
            continue
        if dt.tzinfo is None:
            continue
        try:
            out[i] = dt.astimezone(UTC).timestamp()
        except (OverflowError, ValueError):
            continue    # year 1 or 9999 plus an offset: counted as outside the date window
    return out, True


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def adsb_check_command(reports: Path, out: Path | None) -> dict[str, Any]:
    """Run the trust analysis; write JSON lines to ``out`` (stdout when None).
    Returns stats: rows, used, skipped (by reason), unsorted, aircraft, flagged."""
    if out is not None:
        check_output_file(out)      # before any work: a bad --out fails in milliseconds
    cols = _read_table(reports)
    for c in REQUIRED_COLUMNS:
        if c not in cols:
            raise DataFormatError(f"{reports}: missing column {c!r}; expected columns "
                                  f"{', '.join(REQUIRED_COLUMNS)} (optional: "
                                  f"{', '.join(OPTIONAL_COLUMNS)})")
    n = len(cols["time"])
    t, iso = _to_time(cols["time"])
    icao = np.array([str(v).strip().lower() if v is not None else "" for v in cols["icao24"]])
    lat, lon, alt = (_to_float(cols[c]) for c in ("lat", "lon", "alt_m"))
    skipped: Counter[str] = Counter()
    bad = np.zeros(n, dtype=bool)
    for reason, m in (
        ("time not a number / ISO-8601 UTC", ~np.isfinite(t)),
        (f"time outside {DATE_MIN:%Y}-{DATE_MAX:%Y} (Unix seconds {EPOCH_S_MIN:.0f} to "
         f"{EPOCH_S_MAX:.0f})", ~((t >= EPOCH_S_MIN) & (t < EPOCH_S_MAX))),
        ("empty icao24", icao == ""),
        ("lat missing, non-numeric or outside [-90, 90]", ~(np.abs(lat) <= 90)),
        ("lon missing, non-numeric or outside [-180, 180]", ~(np.abs(lon) <= 180)),
        ("alt_m missing or non-numeric", ~np.isfinite(alt)),
    ):
        new = m & ~bad
        if new.any():
            skipped[reason] = int(new.sum())
        bad |= m
    keep = ~bad
    if n and not keep.any():    # nothing to analyse: an empty result would hide the cause
        why = "; ".join(f"{v} {k}" for k, v in skipped.items())
        raise DataFormatError(f"{reports}: none of the {n} rows is usable ({why}); expected "
                              f"rows with {', '.join(REQUIRED_COLUMNS)} (time in Unix seconds "
                              "or ISO-8601 UTC)")
    opt = {c: (np.array([str(v or "") for v in cols[c]]) if c == "callsign" else _to_float(cols[c]))
           for c in OPTIONAL_COLUMNS if c in cols}
    tk = t[keep]
    unsorted = int(np.sum(np.diff(tk) < 0)) if len(tk) > 1 else 0
    result = assess_reports(
        tk, icao[keep], lat[keep], lon[keep], alt[keep],
        opt["callsign"][keep] if "callsign" in opt else None,
        opt["groundspeed_mps"][keep] if "groundspeed_mps" in opt else None,
        opt["track_deg"][keep] if "track_deg" in opt else None,
        iso_spans=True)
    lines = "".join(json.dumps(r.to_dict()) + "\n" for r in result)
    if out is None:
        sys.stdout.write(lines)
    else:
        write_output_text(out, lines)
    stats = {"rows": n, "used": int(keep.sum()), "skipped": dict(skipped),
             "skipped_total": int(bad.sum()), "unsorted_time_steps": unsorted,
             "sorted": unsorted > 0, "iso_time": iso, "aircraft": len(result),
             "flagged": sum(r.spoofing_suspected for r in result)}
    if bad.any() or unsorted:
        parts = [f"{v} {k}" for k, v in skipped.items()]
        print(f"adsb-check: {reports}: skipped {int(bad.sum())} of {n} rows"
              + (f" ({'; '.join(parts)})" if parts else "")
              + (f"; sorted {unsorted} out-of-order time steps" if unsorted else ""),
              file=sys.stderr)
    return stats
