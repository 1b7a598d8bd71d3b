"""Engagement planning: who fires what at which threat.

Kept minimal on purpose: sub-modules (``wta``, and later effectors, windows, rules of
engagement) are imported explicitly by their users, e.g.
``from dronewall.engagement.wta import WTAProblem, solve``. Nothing heavy is imported here.
"""

from __future__ import annotations

__all__ = ["wta"]
