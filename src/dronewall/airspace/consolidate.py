"""One record per violation episode: the fragments a platform's episode was reported in
(several tracks, or one track's visits joined by :data:`.evidence.REENTRY_JOIN_S`) merged into
one :class:`~.events.Violation` (``docs/airspace.md``, "How each violation is known")."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from dronewall.airspace import identity_gaps as idg
from dronewall.airspace import pilot_link as plk
from dronewall.airspace import target_changes as tcg
from dronewall.airspace import track_quality as tq
from dronewall.airspace.event_builder import num
from dronewall.airspace.events import Violation
from dronewall.airspace.windows import duration_bounds


def bounding_entry(w: list[float | None] | None, observed: bool) -> list[float | None] | None:
    """The entry window as a bound of the duration: an observed entry's 95 % window as it is;
    a first-detected-inside entry bounds it only by its first detection (the back-propagated
    earliest is a straight-line estimate, not an interval: the longest duration is unknown)."""
    return w if observed or w is None else [None, w[1]]


def consolidate(violations: list[Violation]) -> list[Violation]:
    """One record per episode: the fragments of an ``episode_id`` merged (entry of the first,
    exit of the last, deepest point, summed path and scans, the strongest confidence among
    ``confirmed`` > ``probable`` > ``uncertain``, the track quality of all its tracks'
    evidence together (:func:`.track_quality.combined_quality`; a low one caps the confidence at
    ``uncertain``), fragments listed). Violations without an
    episode id are returned as they are."""
    rank = {"confirmed": 3, "probable": 2, "uncertain": 1, "authorised": 0}
    groups: dict[str, list[Violation]] = {}
    out: list[Violation] = []
    for v in violations:
        if v.episode_id is None:
            out.append(v)
        else:
            groups.setdefault(v.episode_id, []).append(v)
    for vs in groups.values():
        if len(vs) == 1:
            out.append(replace(vs[0], fragments=[vs[0].track_id]))
            continue
        vs = sorted(vs, key=lambda x: float(x.entry_t_s or 0.0))
        first, last = vs[0], max(vs, key=lambda x: float(x.exit_t_s or 0.0))
        deep = max(vs, key=lambda x: float(x.max_depth_m or -np.inf))
        best = max(vs, key=lambda x: rank.get(x.confidence, 0))
        # the episode's quality from the evidence of all its tracks together (a weak first
        # fragment must not hide the strong track that followed the platform inside, nor one
        # fragment of a bird flock that was not called a bird make the flock a drone)
        combined = tq.combined_quality(vs)
        p_ep = max(float(x.p_episode or 0.0) for x in vs)
        coop = episode_cooperative(vs)
        quality, conf, reasons = first.track_quality, best.confidence, best.confidence_reasons
        evidence_fields: dict[str, object] = {}
        if combined is not None:
            evidence_fields = combined[2]
            # the confidence rule of a single track, on the episode's evidence: its entry is
            # the first fragment's, its p_episode the largest
            quality = combined[0]
            conf, reasons = tq.confidence(replace(first, p_episode=p_ep, cooperative=coop),
                                        bool(first.entry_interpolated), quality, combined[1],
                                        str(coop or ""))
        et, xt = float(first.entry_t_s or 0.0), float(last.exit_t_s or 0.0)
        gaps = idg.merge([x.identity_gaps for x in vs], first.entry_t_s)
        changes = tcg.merge([x.target_changes for x in vs], first.entry_t_s)
        link = plk.merge([x.pilot_link for x in vs])
        reasons = [r for r in (reasons or []) if not r.startswith(
            (idg.REASON_PREFIX, tcg.REASON_PREFIX, plk.REASON_PREFIX))] + idg.reasons(gaps) \
            + tcg.reasons(changes) + plk.reasons(link, first.zone_name or first.country)
        out.append(replace(
            first, exit_time=last.exit_time, exit_t_s=last.exit_t_s, time=last.time,
            t_s=last.t_s, exit_point=last.exit_point, exit_interpolated=last.exit_interpolated,
            exit_window_t_s=last.exit_window_t_s, exit_window_utc=last.exit_window_utc,
            duration_bounds_s=duration_bounds(
                bounding_entry(first.entry_window_t_s, bool(first.entry_interpolated)),
                last.exit_window_t_s),
            duration_s=num(xt - et, 3), max_depth_m=deep.max_depth_m,
            max_depth_point=deep.max_depth_point,
            sigma_at_max_depth_m=deep.sigma_at_max_depth_m,
            path_length_m=num(sum(float(x.path_length_m or 0.0) for x in vs), 1),
            min_alt_m=min((x.min_alt_m for x in vs if x.min_alt_m is not None), default=None),
            max_alt_m=max((x.max_alt_m for x in vs if x.max_alt_m is not None), default=None),
            sigma_alt_m=max((x.sigma_alt_m for x in vs if x.sigma_alt_m is not None),
                            default=None),
            max_speed_mps=max((x.max_speed_mps for x in vs if x.max_speed_mps is not None),
                              default=None),
            p_episode=p_ep, p_inside=deep.p_inside, track_quality=quality, confidence=conf,
            confidence_reasons=reasons, ongoing=last.ongoing,
            end_reason=last.end_reason, n_scans=sum(x.n_scans for x in vs),
            fragments=list(dict.fromkeys(x.track_id for x in vs)), identity_gaps=gaps,
            target_changes=changes, pilot_link=link,
            cooperative=coop, authorised=coop == "authorised",
            **_latest_operator(vs), **evidence_fields))
    return sorted(out, key=lambda x: (float(x.entry_t_s or 0.0), str(x.zone_id)))


def episode_cooperative(vs: list[Violation]) -> str | None:
    """The cooperative status of an episode from its fragments' (which share one identity, or
    none: ``evidence`` joins no others): ``untrusted`` if any fragment's identity was suspected
    of spoofing; else the status of its longest-observed fragment (most scans) -- a 10-s
    duplicate track confirmed before the trust monitor had verified an airliner's ADS-B does
    not make its 500-s authorised flight "unverified" (layered raid, seed 11)."""
    if any(x.cooperative == "untrusted" for x in vs):
        return "untrusted"
    return max(vs, key=lambda x: (x.n_scans, float(x.duration_s or 0.0))).cooperative


def _latest_operator(vs: list[Violation]) -> dict[str, object]:
    """The pilot position a Remote ID broadcast claimed, latest over the fragments."""
    heard = [x for x in vs if x.operator_point is not None and x.operator_t_s is not None]
    if not heard:
        return {}
    x = max(heard, key=lambda x: float(x.operator_t_s or 0.0))
    return {"operator_point": x.operator_point, "operator_t_s": x.operator_t_s}
