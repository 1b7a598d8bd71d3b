"""Check a ``simulate`` run's fragment joins against truth: do the tracks that the violation
record joins into one episode (``fragments``, ``docs/airspace.md``) follow one platform?

For every episode made of two or more tracks (authorised cooperative traffic left out), each
fragment's platform is the one nearest most of its reports between the episode's entry and
exit (``truth.csv`` against ``tracks.csv``, horizontal, within 1 km; ``identity_gaps_check``).
An episode whose fragments followed two or more platforms joined different platforms. Only
the joins are judged: a single track that slid from one platform to another is the tracker's
identity question (``identity_gaps_check``, the continuity metrics).

    python bench/fragment_check.py out/fl-1 [--list]

docs/benchmarks.md section 6 ("Fragment joins checked against truth") was measured with it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from identity_gaps_check import _Run, missing_output


def fragment_platforms(r: _Run, e: dict[str, object]) -> list[str | None]:
    """The platform each fragment of episode ``e`` followed (None: no platform near most of
    its reports inside the episode's time window)."""
    t0 = float(e.get("entry_t_s") or 0.0)           # type: ignore[arg-type]
    t1 = float(e.get("exit_t_s") or float("inf"))    # type: ignore[arg-type]
    out: list[str | None] = []
    for tid in e.get("fragments") or [e["track_id"]]:  # type: ignore[union-attr]
        ts, _ = r.reports(int(tid))
        votes = Counter(r.platform_at(int(tid), float(t))[0]
                        for t in ts[(ts >= t0 - 1.0) & (ts <= t1 + 1.0)])
        out.append(votes.most_common(1)[0][0] if votes else None)
    return out


def check(run: Path) -> tuple[list[dict[str, object]], dict[str, object]]:
    """The multi-fragment episodes with the platform of each fragment, and the totals."""
    eps = [json.loads(line) for line in (run / "episodes.jsonl").open() if line.strip()]
    r = _Run(run)
    rows: list[dict[str, object]] = []
    for e in eps:
        if len(e.get("fragments") or []) < 2 or e.get("cooperative") == "authorised":
            continue
        plats = fragment_platforms(r, e)
        seen = {p for p in plats if p is not None}
        rows.append({"episode": e.get("episode_id"), "zone": e.get("zone_id"),
                     "track_quality": e.get("track_quality"), "confidence": e.get("confidence"),
                     "fragments": e.get("fragments"), "platforms": plats,
                     "mixed": len(seen) > 1})
    tot: dict[str, object] = {"episodes": len(eps), "multi_fragment": len(rows),
                              "mixed": sum(bool(x["mixed"]) for x in rows)}
    for q in ("high", "medium", "low"):
        sub = [x for x in rows if x["track_quality"] == q]
        tot[f"multi_fragment_{q}"] = len(sub)
        tot[f"mixed_{q}"] = sum(bool(x["mixed"]) for x in sub)
    return rows, tot


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path, help="a simulate output folder")
    ap.add_argument("--list", action="store_true", help="print every multi-fragment episode")
    a = ap.parse_args(argv)
    if missing_output(a.run, ("episodes.jsonl", "tracks.csv", "truth.csv")):
        return 2
    rows, tot = check(a.run)
    if a.list:
        for x in rows:
            print(json.dumps(x))
    print(json.dumps(tot))
    return 0


if __name__ == "__main__":
    sys.exit(main())
