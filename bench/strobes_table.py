"""Lines of bearing of ``simulate`` runs, one row per run (docs/benchmarks.md section 6, "Lines
of bearing"): strobes shown, those fed by false alarms only, unlocated strobes per scan and the
share of them whose platform a track followed meanwhile, and per class the share of the
heard platform-steps tracked and tracked-or-on-a-line-of-bearing.

    python bench/strobes_table.py out/fl-1 out/fl-2 ...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def row(run: Path) -> str:
    s = json.loads((run / "summary.json").read_text())
    sb = s.get("strobes")
    if not sb:
        return f"| {run.name} | no strobe stage (no RF finder or acoustic node) |"
    by = sb.get("by_class") or {}
    gain = "; ".join(f"{k.replace('_', ' ')} {100 * v['share_tracked']:.1f} -> "
                     f"{100 * v['share_seen']:.1f} %" for k, v in by.items()
                     if v.get("share_strobe_only", 0) >= 0.001) or "none"
    return (f"| {run.name} (seed {s['seed']}) | {sb['strobes_shown']} | "
            f"{sb['strobes_shown_false']} | {sb['unlocated_strobe_steps_per_scan']:.2f} | "
            f"{100 * sb.get('unlocated_of_tracked_platform_share', 0):.0f} % | {gain} |")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    print("| run | strobes shown | from false alarms only | unlocated per scan | unlocated "
          "whose platform a track followed | heard platform-steps: tracked -> tracked or on a "
          "line |")
    print("|---|---|---|---|---|---|")
    for a in argv:
        print(row(Path(a)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
