"""Values from user files: short excerpts for messages, finite numbers, dates in the window."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from dronewall.errors import DataFormatError
from dronewall.inputs.limits import DATE_MAX, DATE_MIN, EXCERPT_CHARS


def excerpt(value: Any, n: int = EXCERPT_CHARS) -> str:
    """``repr`` of a value cut to about ``n`` characters (a message never echoes a megabyte).

    Large integers are described by their digit count (their repr alone can be huge and slow)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an integer of ~{int(value.bit_length() * 0.30103) + 1} digits"
    if isinstance(value, (str, bytes)) and len(value) > 4 * n:
        value = value[: 4 * n]   # repr of a long string is built only from its head
    try:
        s = repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the real error
        s = f"<{type(value).__name__}>"
    if len(s) > n:
        s = s[: n - 3] + "..."
    return s


def finite_number(value: Any, where: str, *, lo: float | None = None, hi: float | None = None,
                  what: str = "a number", integer: bool = False) -> float:
    """``value`` as a finite float within [lo, hi], else :class:`DataFormatError` naming
    ``where``. Accepts int, float and numeric strings; bool, huge integers, NaN and infinities
    are errors. ``integer``: the value must also be a whole number."""
    rng = _range_text(lo, hi)
    expected = f"{what}{rng}"
    if isinstance(value, bool) or value is None:
        raise DataFormatError(f"{where}: got {excerpt(value)}; expected {expected}")
    try:
        if isinstance(value, str):
            v = float(value.strip())
        elif isinstance(value, (int, float)):
            v = float(value)
        else:
            raise TypeError
    except (TypeError, ValueError, OverflowError):
        raise DataFormatError(f"{where}: got {excerpt(value)}; expected {expected}") from None
    if not math.isfinite(v):
        raise DataFormatError(f"{where}: got {excerpt(value)}; expected a finite number"
                              f"{rng}")
    if integer and not v.is_integer():
        raise DataFormatError(f"{where}: got {excerpt(value)}; expected a whole number{rng}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise DataFormatError(f"{where}: got {excerpt(value)}; expected {expected}")
    return v


def _range_text(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f" in [{lo:g}, {hi:g}]"
    if lo is not None:
        return f" >= {lo:g}"
    if hi is not None:
        return f" <= {hi:g}"
    return ""


def check_datetime(dt: datetime, where: str) -> datetime:
    """``dt`` (time-zone aware) converted to UTC, if it lies in the date window
    (``limits.DATE_MIN`` to ``DATE_MAX``); else :class:`DataFormatError`."""
    if dt.tzinfo is None:
        raise DataFormatError(f"{where}: got {excerpt(dt.isoformat())}; expected a UTC offset "
                              "(e.g. a trailing Z)")
    try:
        u = dt.astimezone(UTC)
    except (OverflowError, ValueError):
        u = None
    if u is None or not DATE_MIN <= u < DATE_MAX:
        raise DataFormatError(f"{where}: got {excerpt(dt.isoformat())}; expected a date from "
                              f"{DATE_MIN:%Y-%m-%d} to {DATE_MAX:%Y-%m-%d} (UTC)")
    return u


def parse_iso_datetime(text: str, where: str) -> datetime:
    """ISO-8601 text with a UTC offset (``Z`` allowed) -> aware UTC datetime in the window."""
    s = text.strip()
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        raise DataFormatError(f"{where}: got {excerpt(text)}; expected ISO-8601 with a UTC "
                              "offset, e.g. 2025-09-10T00:30:00Z") from None
    return check_datetime(dt, where)
