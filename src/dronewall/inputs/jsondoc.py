"""JSON documents and JSON lines, with a nesting limit and bounded numbers.

The standard decoder recurses once per nesting level (``RecursionError`` past ~1000) and turns
an integer of more than 4,300 digits into a ``ValueError`` of its own; both are checked here
first, so every failure is a :class:`DataFormatError` naming the file and line. Integers of more
than 18 digits are read as floats (no file field needs more precision; a float of ``inf`` is
then rejected by the field's own finite-number check), so no caller meets ``OverflowError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from dronewall.errors import DataFormatError
from dronewall.inputs.limits import MAX_DOCUMENT_BYTES, MAX_JSON_DEPTH, MAX_LINE_BYTES
from dronewall.inputs.text import read_text, text_lines

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
#: Longest integer literal kept as a Python int (digits, sign excluded); longer ones become
#: floats. 18 digits always fit in int64.
_MAX_INT_DIGITS = 18


def nesting_depth(text: str) -> tuple[int, int]:
    """(deepest nesting of [ and { outside strings, offset where it is first reached).

    Linear time, no recursion. Unterminated strings are not recognised, so their brackets
    count (the decoder rejects such text anyway)."""
    bare = _STRING.sub('""', text)
    b = np.frombuffer(bare.encode("utf-8", "replace"), dtype=np.uint8)
    if b.size == 0:
        return 0, 0
    step = (((b == 91) | (b == 123)).astype(np.int32)
            - ((b == 93) | (b == 125)).astype(np.int32))
    depth = np.cumsum(step)
    k = int(np.argmax(depth))
    return int(depth[k]), k


class LongInteger(float):
    """An integer literal of more than 18 digits, read as the nearest float (``inf`` past
    ~10^308); its repr names the literal, so a message says what the file held."""

    digits: str

    def __new__(cls, text: str) -> LongInteger:
        obj = super().__new__(cls, float(text))
        obj.digits = text
        return obj

    def __repr__(self) -> str:
        n = len(self.digits.lstrip("-"))
        return f"{self.digits[:12]}... (an integer of {n} digits)"


def _parse_int(s: str) -> int | float:
    return int(s) if len(s.lstrip("-")) <= _MAX_INT_DIGITS else LongInteger(s)


def loads_json(text: str, source: str, line0: int = 1) -> Any:
    """Decode JSON ``text``; errors name ``source`` and the line (``line0`` is the line of the
    text's first character in its file). NaN and Infinity literals decode to floats (the
    field checks decide whether a non-finite value is allowed)."""
    depth, at = nesting_depth(text)
    if depth > MAX_JSON_DEPTH:
        line = line0 + text.count("\n", 0, min(at, len(text)))
        raise DataFormatError(f"{source}: line {line}: JSON nested more than {MAX_JSON_DEPTH} "
                              "levels deep (docs/limits.md)")
    try:
        return json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as e:
        raise DataFormatError(f"{source}: line {line0 + e.lineno - 1}, column {e.colno}: "
                              f"invalid JSON ({e.msg})") from None
    except RecursionError:   # unreachable after the depth check; kept as a safety net
        raise DataFormatError(f"{source}: JSON nested too deeply") from None
    except ValueError as e:  # float/int literal conversion limits
        raise DataFormatError(f"{source}: invalid JSON number ({str(e)[:80]})") from None


def load_json(path: str | Path, what: str = "JSON file",
              max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
    """Read and decode a JSON file (size, UTF-8, nesting checked)."""
    p = Path(path)
    return loads_json(read_text(p, what, max_bytes), str(p))


def iter_json_lines(path: str | Path, what: str = "JSON-lines file",
                    max_line: int = MAX_LINE_BYTES) -> Iterator[tuple[int, Any]]:
    """(line number, decoded value) of each non-blank line of a JSON-lines file, streamed."""
    p = Path(path)
    for n, line in text_lines(p, what, max_line):
        if line.strip():
            yield n, loads_json(line, str(p), line0=n)
