"""Canonical row encoding and the two hash chains of a store.

* **Step chain** (per session): ``steps.digest`` = sha256 over the canonical lines of every row
  the step wrote (tables in :data:`~dronewall.store.schema.STEP_TABLES` order, rows in insertion
  order); ``steps.hash`` = sha256(prev_hash + ":" + digest); the first step's prev_hash is the
  session's genesis (sha256 of the session id). ``sessions.head_hash`` holds the last hash.
* **Audit chain** (store-wide): ``audit.hash`` = sha256(prev_hash + ":" + canonical entry);
  ``meta['audit_head']`` = "seq:hash" of the last entry, written in the same transaction.

A canonical line is the JSON array of the row's values in column order (the table's columns
without its surrogate ``id``): floats as their shortest round-trip repr, NaN and NULL as null,
bytes as hex, booleans as true/false. The same encoding is used when writing and when
verifying, so any edited, inserted or deleted row changes a digest.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table

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


def _canon(v: Any) -> Any:
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v).hex()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def columns_of(table: Table) -> list[str]:
    """The digested columns of a table: all but an autoincrement surrogate ``id``."""
    return [c.name for c in table.columns if c.name != "id"]


def row_line(cols: Sequence[str], row: Mapping[str, Any]) -> bytes:
    return json.dumps([_canon(row.get(c)) for c in cols], separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False).encode() + b"\n"


def digest_rows(tables: Iterable[tuple[Table, Sequence[Mapping[str, Any]]]]) -> str:
    """sha256 over the canonical lines of the rows, table by table (each table's name first)."""
    h = hashlib.sha256()
    for table, rows in tables:
        cols = columns_of(table)
        h.update(table.name.encode() + b"\n")
        for r in rows:
            h.update(row_line(cols, r))
    return h.hexdigest()


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
