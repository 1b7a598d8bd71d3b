"""Scenario YAML before validation: bounded nesting, bounded size after aliases, sane values.

Runs in two passes around composing the document:

* :func:`check_events` walks the YAML *event stream* (the parser is iterative, so a 10^5-deep
  nesting cannot exhaust the stack here) and rejects nesting deeper than ``MAX_YAML_DEPTH`` and
  documents whose size with every alias expanded exceeds ``MAX_YAML_NODES`` (an anchor bomb
  is a few lines that validation would expand to 10^9 nodes);
* :func:`check_document` walks the composed document once (aliases visited once) and rejects
  numbers that are not finite, integers too large for any field and dates outside the date
  window, naming the line and field.

Every failure is a :class:`~dronewall.errors.ScenarioError` (exit 2).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

import numpy as np
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    ScalarEvent,
)

from dronewall.errors import DataFormatError, ScenarioError
from dronewall.inputs import check_datetime, excerpt
from dronewall.inputs.limits import MAX_YAML_DEPTH, MAX_YAML_NODES

#: Largest integer accepted anywhere in a scenario (seeds are < 2**63).
MAX_ABS_INT = 2**63


_QUOTED = re.compile(r"'(?:[^'\n]|'')*'|\"(?:[^\"\\\n]|\\.)*\"|#[^\n]*")
#: Open flow brackets tolerated by the quick pre-scan (4x the nesting limit: brackets inside
#: plain scalars also count there).
_FLOW_PRESCAN = 4 * MAX_YAML_DEPTH


def _flow_prescan(text: str, source: str) -> None:
    """Reject runaway flow nesting ([[[[...) before the YAML scanner sees it: the scanner keeps
    state per open flow level and slows down quadratically with their number."""
    bare = _QUOTED.sub("", text)
    b = np.frombuffer(bare.encode("utf-8", "replace"), dtype=np.uint8)
    if b.size == 0:
        return
    depth = np.cumsum(((b == 91) | (b == 123)).astype(np.int32)
                      - ((b == 93) | (b == 125)).astype(np.int32))
    k = int(np.argmax(depth))
    if depth[k] > _FLOW_PRESCAN:
        line = bare.count("\n", 0, k) + 1
        raise ScenarioError(f"{source}, line {line}: brackets nested more than "
                            f"{MAX_YAML_DEPTH} levels deep (docs/limits.md)")


def check_events(text: str, source: str) -> None:
    """Nesting depth and alias-expanded size of the YAML ``text`` (ScenarioError if over)."""
    _flow_prescan(text, source)
    stack: list[list[Any]] = []          # [expanded size so far, anchor] per open collection
    sizes: dict[str, int] = {}           # anchor -> expanded size of its node

    def add(n: int, line: int) -> None:
        if stack:
            stack[-1][0] += n
            if stack[-1][0] > MAX_YAML_NODES:
                raise ScenarioError(f"{source}, line {line}: the document expands to more than "
                                    f"{MAX_YAML_NODES:,} nodes (aliases of aliases?); at most "
                                    f"{MAX_YAML_NODES:,} (docs/limits.md)")

    try:
        for ev in YAML(typ="rt").parse(text):
            line = ev.start_mark.line + 1 if ev.start_mark is not None else 0
            if isinstance(ev, CollectionStartEvent):
                if len(stack) >= MAX_YAML_DEPTH:
                    raise ScenarioError(f"{source}, line {line}: nested more than "
                                        f"{MAX_YAML_DEPTH} levels deep (docs/limits.md)")
                stack.append([1, ev.anchor])
            elif isinstance(ev, CollectionEndEvent):
                n, anchor = stack.pop()
                if anchor:
                    sizes[anchor] = n
                add(n, line)
            elif isinstance(ev, ScalarEvent):
                if ev.anchor:
                    sizes[ev.anchor] = 1
                add(1, line)
            elif isinstance(ev, AliasEvent):
                add(sizes.get(ev.anchor, 1), line)
    except YAMLError:
        return      # the loader reports syntax errors with their line and context
    except RecursionError:
        raise ScenarioError(f"{source}: nested too deeply to read") from None


def _line(node: Any, key: Any) -> int | None:
    try:
        if isinstance(node, CommentedMap):
            return int(node.lc.value(key)[0]) + 1
        if isinstance(node, CommentedSeq):
            return int(node.lc.item(key)[0]) + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return None
    return None


def _path(parent: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def _check_scalar(v: Any, where: str) -> None:
    if isinstance(v, bool):
        return
    if isinstance(v, float) and not math.isfinite(v):
        raise ScenarioError(f"{where}: got {excerpt(v)}; expected a finite number")
    if isinstance(v, int) and abs(v) >= MAX_ABS_INT:
        raise ScenarioError(f"{where}: got {excerpt(v)}; expected a number below 2**63")
    if isinstance(v, datetime) or (isinstance(v, date) and not isinstance(v, datetime)):
        dt = v if isinstance(v, datetime) else datetime(v.year, v.month, v.day)
        if dt.tzinfo is None:
            return      # the schema says whether a time zone is needed
        try:
            check_datetime(dt, where)
        except DataFormatError as e:
            raise ScenarioError(str(e)) from None


def check_document(doc: Any, source: str) -> None:
    """Finite numbers, bounded integers and dates in the window everywhere in ``doc``."""
    seen: set[int] = set()
    todo: list[tuple[Any, str, int | None]] = [(doc, "", None)]
    while todo:
        node, path, line = todo.pop()
        if isinstance(node, (CommentedMap, CommentedSeq, dict, list)):
            if id(node) in seen:
                continue
            seen.add(id(node))
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for k, v in items:
                todo.append((v, _path(path, k), _line(node, k) or line))
            continue
        where = f"{source}, line {line}, field {path}" if line else f"{source}, field {path}"
        _check_scalar(node, where)
    _check_start(doc, source)


def _check_start(doc: Any, source: str) -> None:
    """``time.start`` given as text: a parsable date must lie in the window (the schema's own
    parser overflows on year 1 with a positive offset)."""
    t = doc.get("time") if isinstance(doc, dict) else None
    s = t.get("start") if isinstance(t, dict) else None
    if not isinstance(s, str):
        return
    try:
        dt = datetime.fromisoformat(s.strip().replace("Z", "+00:00"))
    except ValueError:
        return      # not ISO: the schema explains what it expects
    line = _line(t, "start")
    where = f"{source}, line {line}, field time.start" if line else f"{source}, field time.start"
    if dt.tzinfo is not None:
        try:
            check_datetime(dt, where)
        except DataFormatError as e:
            raise ScenarioError(str(e)) from None
