"""Canonical row encoding and the two hash chains of a store.

* **Step chain** (per session): ``steps.digest`` = sha256 over the canonical lines of every row
  the step wrote (tables in :data:`~dronewall.store.schema.STEP_TABLES` order, rows in insertion
  order); ``steps.hash`` = sha256(prev_hash + ":" + digest); the first step's prev_hash is the
  session's genesis (sha256 of the session id). ``sessions.head_hash`` holds the last hash.
* **Audit chain** (store-wide): ``audit.hash`` = sha256(prev_hash + ":" + canonical entry);
  ``meta['audit_head']`` = "seq:hash" of the last entry, written in the same transaction.

A table's canonical form is its name and row count, then column by column (the table's
columns without its surrogate ``id``, in order) the values' canonical bytes by column type:
floats as float64 (NULL and NaN alike, -0.0 as 0.0), integers as int64, booleans, bytes
length-prefixed, text as JSON (:func:`_column_bytes`; numpy, so thousands of rows a step cost
milliseconds). The same encoding is used when writing and when verifying, so any edited,
inserted or deleted row changes a digest.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

import numpy as np
from sqlalchemy import LargeBinary, Table

#: prev_hash of the first audit entry.
AUDIT_GENESIS = "0" * 64


def clean(v: Any) -> Any:
    """A value as stored: Python scalars; NaN -> None (SQLite stores no NaN)."""
    if v is None or isinstance(v, bool | str | bytes):
        return v
    if isinstance(v, float):
        return None if math.isnan(v) else v
    if hasattr(v, "item"):  # numpy scalar
        return clean(v.item())
    if isinstance(v, int):
        return v
    return v


def _column_bytes(col: Any, values: list[Any]) -> bytes:
    """Canonical bytes of one column's values by the column's type: floats as little-endian
    float64 (NULL and every NaN as one NaN, -0.0 as 0.0), integers as int64, booleans as one
    byte, bytes length-prefixed, text as a JSON array."""
    if isinstance(col.type, LargeBinary):
        return b"".join(b"\xff\xff\xff\xff" if v is None else
                        len(bytes(v)).to_bytes(4, "little") + bytes(v) for v in values)
    py = getattr(col.type, "python_type", str)
    if py is float:
        a = np.array(values, dtype="<f8") + 0.0
        a[np.isnan(a)] = np.nan
        return a.tobytes()
    if py is int:
        return np.array(values, dtype="<i8").tobytes()
    if py is bool:
        return np.array(values, dtype=bool).tobytes()
    return json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode()


def columns_of(table: Table) -> list[str]:
    """The digested columns of a table: all but an autoincrement surrogate ``id``."""
    return [c.name for c in table.columns if c.name != "id"]


def column_values(table: Table, rows: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """The rows' values column by column (digested columns, in order)."""
    return [list(map(itemgetter(name), rows)) for name in columns_of(table)]


def _table_bytes(table: Table, values: list[list[Any]]) -> bytes:
    """The canonical bytes of a table's rows, given column by column."""
    n = len(values[0]) if values else 0
    out = [f"{table.name}:{n}\n".encode()]
    for name, col in zip(columns_of(table), values, strict=True):
        out.append(f"{name}\n".encode())
        out.append(_column_bytes(table.c[name], col) if n else b"")
    return b"".join(out)


def digest_columns(tables: Iterable[tuple[Table, list[list[Any]]]]) -> str:
    """sha256 over each table's name and its rows' canonical JSON, table by table."""
    h = hashlib.sha256()
    for table, values in tables:
        h.update(_table_bytes(table, values))
    return h.hexdigest()


def digest_rows(tables: Iterable[tuple[Table, Sequence[Mapping[str, Any]]]]) -> str:
    """:func:`digest_columns` of rows given as mappings."""
    return digest_columns((t, column_values(t, rows)) for t, rows in tables)


def chain(prev_hash: str, digest: str) -> str:
    return hashlib.sha256(f"{prev_hash}:{digest}".encode()).hexdigest()


def genesis(session_id: str) -> str:
    """prev_hash of a session's first step."""
    return hashlib.sha256(f"session:{session_id}".encode()).hexdigest()


def canonical_json(obj: Any) -> str:
    """Deterministic JSON (sorted keys, no spaces) for audit details and evidence."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_json_default)


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    if hasattr(o, "tolist"):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def audit_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    """Hash of an audit entry (its fields but ``hash``) chained to ``prev_hash``."""
    body = canonical_json({k: entry[k] for k in ("seq", "wall_utc", "actor", "role", "action",
                                                 "object", "details")})
    return hashlib.sha256(f"{prev_hash}:{body}".encode()).hexdigest()
