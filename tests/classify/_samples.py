"""Convert ``traffic`` wheel sample flights (pandas ``to_json`` tables) to our ADS-B columns.

Pure ``json``/``gzip``/numpy: the files are either orient ``columns`` (``{col: {row: value}}``)
or orient ``records`` (``[{col: value}, ...]``). Units: altitude ft -> m, groundspeed kt -> m/s,
vertical_rate ft/min -> m/s; timestamp epoch ms (or ISO text) -> seconds.
"""

from __future__ import annotations

import gzip
import json
import zipfile
from datetime import datetime
from typing import Any

import numpy as np

FT_M = 0.3048
KT_MPS = 1852.0 / 3600.0
FTMIN_MPS = FT_M / 60.0
OUT_COLUMNS = ("time", "icao24", "callsign", "lat", "lon", "alt_m", "groundspeed_mps",
               "track_deg", "vertical_rate_mps")


def _num(v: Any) -> float:
    try:
        return float(v) if v is not None else float("nan")
    except (TypeError, ValueError):
        return float("nan")


def _ts(v: Any) -> float:
    if isinstance(v, (int, float)):
        return float(v) / 1000.0
    if isinstance(v, str):
        try:
            return datetime.fromisoformat(v).timestamp()
        except ValueError:
            return float("nan")
    return float("nan")


def load_sample(whl: zipfile.ZipFile, member: str) -> dict[str, np.ndarray]:
    """Columns of one sample file as arrays in our units (rows in file order)."""
    raw = json.loads(gzip.decompress(whl.read(member)))
    if isinstance(raw, dict):  # orient="columns"
        keys = sorted(raw["timestamp"], key=int)
        rows = [{c: raw[c].get(k) for c in raw} for k in keys]
    else:  # orient="records"
        rows = raw
    def col(name: str) -> list[Any]:
        return [r.get(name) for r in rows]
    return {
        "time": np.array([_ts(v) for v in col("timestamp")]),
        "icao24": np.array([str(v or "") for v in col("icao24")]),
        "callsign": np.array([str(v or "") for v in col("callsign")]),
        "lat": np.array([_num(v) for v in col("latitude")]),
        "lon": np.array([_num(v) for v in col("longitude")]),
        "alt_m": np.array([_num(v) for v in col("altitude")]) * FT_M,
        "groundspeed_mps": np.array([_num(v) for v in col("groundspeed")]) * KT_MPS,
        "track_deg": np.array([_num(v) for v in col("track")]),
        "vertical_rate_mps": np.array([_num(v) for v in col("vertical_rate")]) * FTMIN_MPS,
    }


def write_csv(cols: dict[str, np.ndarray], path: Any) -> None:
    """Write columns as a CSV in our schema (ISO-free: time in epoch seconds)."""
    n = len(cols["time"])
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(OUT_COLUMNS) + "\n")
        for i in range(n):
            vals = []
            for c in OUT_COLUMNS:
                v = cols[c][i]
                if isinstance(v, str):
                    vals.append(v)
                else:
                    vals.append("" if np.isnan(v) else repr(float(v)))
            f.write(",".join(vals) + "\n")
