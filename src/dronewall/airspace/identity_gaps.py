"""Where a violation's track identity rests on prediction alone: re-joins after a gap.

A track reported again after it went unreported for ``REJOIN_GAP_S`` or longer was re-acquired
by a lost track's prediction or stitched into it (``TrackerConfig.lost_window_s``): one id,
but the link across the gap is an inference, not an observation. In a stream of drones flying
the same route a few kilometres apart it can be wrong -- the track may have carried on with
another drone (flagship raid, seed 1: 10 of 83 re-joins continued a different platform,
``docs/benchmarks.md`` section 6). A violation lists the gaps of its track(s) up to its end
(``Violation.identity_gaps``) and says in its confidence reasons which part of the record rests
on them: the history before a gap (and with it where the track came from) may be another
drone's; a gap inside the zone means the depth and duration may join two drones.

The gaps do not lower the confidence label: a crossing or presence that the sensors observed
stays observed; what the gap puts in doubt is *which* drone it was.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dronewall.airspace.event_builder import iso_time, num

#: A track unreported for at least this long and then reported again under its id has an
#: identity gap, s: as the continuity scorer's re-acquisition gap (``metrics.continuity``).
REJOIN_GAP_S = 30.0
#: Gaps kept per track (the latest ones): a bird flock flickering for hours must not grow the
#: record without bound.
MAX_GAPS_PER_TRACK = 20
#: Gaps spelled out in a violation's confidence reasons (all are in ``identity_gaps``).
MAX_GAPS_IN_REASONS = 3
#: How the confidence-reason line on identity gaps begins (to replace it when merging).
REASON_PREFIX = "identity across"


def note_gap(gaps: list[tuple[float, float]], last_t: float, t: float) -> None:
    """Record in ``gaps`` (a track's (from, to) list, s) that it was last reported at
    ``last_t`` and is reported again at ``t``, if that is an identity gap."""
    if t - last_t >= REJOIN_GAP_S:
        gaps.append((float(last_t), float(t)))
        del gaps[:-MAX_GAPS_PER_TRACK]


def gap_records(gaps: list[tuple[float, float]], entry_t_s: float | None, end_t_s: float,
                epoch: datetime, track_id: Any = None) -> list[dict[str, Any]]:
    """The gaps of track ``track_id`` that ended by ``end_t_s`` (the violation's end), s, as
    records: the track, times (s and UTC), length (s) and whether the track came back before
    the entry (``entry_t_s``, s) or inside the zone."""
    out = []
    for a, b in gaps:
        if b > end_t_s:
            continue
        out.append({"track_id": track_id, "from_t_s": num(a, 1), "to_t_s": num(b, 1),
                    "gap_s": num(b - a, 1), "from_utc": iso_time(epoch, a),
                    "to_utc": iso_time(epoch, b), "where": _where(b, entry_t_s)})
    return out


def merge(records: list[list[dict[str, Any]] | None],
          entry_t_s: float | None = None) -> list[dict[str, Any]] | None:
    """The gap records of an episode's fragments together, in time order (None: none), each
    placed against the episode's entry ``entry_t_s`` (s; None: as recorded): a fragment that
    came back inside the zone after its own loss there is inside the episode."""
    seen: dict[tuple[Any, Any, Any], dict[str, Any]] = {}
    for rs in records:
        for r in rs or []:
            key = (r.get("track_id"), r["from_t_s"], r["to_t_s"])
            if key not in seen:
                seen[key] = r if entry_t_s is None else {
                    **r, "where": _where(float(r["to_t_s"]), entry_t_s)}
    return sorted(seen.values(), key=lambda r: float(r["to_t_s"])) or None


def _where(back_t_s: float, entry_t_s: float | None) -> str:
    return "inside" if entry_t_s is not None and back_t_s > entry_t_s else "before_entry"


def reasons(records: list[dict[str, Any]] | None) -> list[str]:
    """Confidence-reason lines for the gaps (the latest ``MAX_GAPS_IN_REASONS`` spelled out)."""
    if not records:
        return []
    shown = records[-MAX_GAPS_IN_REASONS:]
    parts = [(f"track {r['track_id']} " if r.get("track_id") is not None else "the track ")
             + f"unreported {float(r['gap_s']):.0f} s ({clock_hms(r['from_utc'])}-"
             f"{clock_hms(r['to_utc'])} UTC) "
             + ("inside the zone" if r["where"] == "inside" else "before entry")
             for r in shown]
    more = len(records) - len(shown)
    head = (f"{REASON_PREFIX} {len(records)} gap(s) rests on prediction: "
            + "; ".join(parts) + (f"; and {more} earlier" if more else ""))
    tail = []
    if any(r["where"] == "before_entry" for r in records):
        tail.append("its history before a gap, and where it came from, may be another "
                    "drone's")
    if any(r["where"] == "inside" for r in records):
        tail.append("depth and duration may join two drones")
    return [head + " -- " + ", ".join(tail)]


def clock_hms(utc: str | None) -> str:
    """HH:MM:SS of an ISO time ("?" none)."""
    if not utc:
        return "?"
    return utc[11:19] if len(utc) >= 19 else utc
