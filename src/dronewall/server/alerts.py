"""Operator alert lines for airspace events: severity by what the track is, and how each
crossing is known, in words (``docs/serve.md``, "Alerts"; ``docs/airspace.md``, "How each
violation is known")."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from dronewall.airspace.events import AirspaceEvent, Entry, Exit, Violation, Warning
from dronewall.airspace.track_quality import UAS_PERMIT_ZONE_KINDS
from dronewall.airspace.windows import BACKPROP_MAX_S


def event_alert(e: AirspaceEvent, alert_id: str, aff: str = "unknown", cls: str = "",
                p: float | None = None, remote_id: str = "", unverified: str = ""
                ) -> dict[str, Any] | None:
    """An operator alert for a new event (None: not alert-worthy). Severity follows what the
    track is (``aff``, :func:`affiliation`) so birds and trusted airliners do not drown the
    drones: entry into own sovereign airspace is ``critical`` for hostile or suspect tracks,
    ``high`` for unknown ones; a warning of a sovereign crossing and entry into another zone
    one step lower; a track not known to be a threat found inside as the picture began
    (:func:`at_start`) or popping up inside (:func:`pop_up`) one step lower again; anything
    by a neutral track and closed violation episodes ``info`` (a neutral track's warning is
    no alert at all) -- except a drone trusted on its
    Remote ID alone (``remote_id``: its serial) in an airport or infrastructure zone: the
    broadcast names it, it is no permit to fly there, so it is alerted as an unknown track
    would be, with its serial. A track broadcasting an identity no independent sensor has
    corroborated yet (``unverified``: that identity; typically an airliner heard on ADS-B
    beyond the radars) and not otherwise a threat is cooperative traffic until shown
    otherwise: its warnings and entries are one step lower, naming the identity."""
    d = e.to_dict()
    if remote_id and e.zone_kind in UAS_PERMIT_ZONE_KINDS and aff == "neutral":
        aff = "unknown"
    else:
        remote_id = ""
    threat = aff in ("hostile", "suspect")
    unverified = "" if threat or aff == "neutral" else unverified
    what = f"track {e.track_id}" + (f" ({cls.replace('_', ' ')} {p:.2f})" if cls and p else "")
    zone = e.zone_name or e.zone_id
    if isinstance(e, Warning):
        if aff == "neutral":
            return None   # a bird or a trusted airliner predicted to enter a zone: no alert
        sev = ("high" if threat else "medium") if e.zone_kind == "sovereign" else \
            ("medium" if threat else "info")
        # the client counts down to the crossing
        text = f"{what} predicted to enter {zone}" + _named(remote_id)
    elif isinstance(e, Entry):
        if e.zone_kind == "sovereign":
            sev = "critical" if threat else "high"
        else:
            sev = "high" if threat else "medium"
        if e.target_changes:
            # the track moved onto another target inside: what it follows now was not seen
            # entering by it (its record split there; airspace/splits.py)
            c = e.target_changes[-1]
            text = (f"{what} took up another target inside {zone} at "
                    f"{_hms(c.get('speed_changed_utc') or e.time)} UTC: "
                    f"{_called(c['new_class'])} at {float(c['new_speed_mps']):.0f} m/s since; "
                    f"before, it followed {_called(c['old_class'])} at "
                    f"{float(c['old_speed_mps']):.0f} m/s" + _named(remote_id, e))
        elif at_start(e):
            # found inside as the picture began: there before anyone looked, no entry seen.
            # A threat stays a threat; a track not yet known to be one is found, not an
            # incursion (a restart mid-raid finds every bird inside at once)
            if not threat:
                sev = "medium" if e.zone_kind == "sovereign" else "info"
            text = (f"{what} inside {zone} as the picture began: first detected at "
                    f"{_hms((e.window_utc or [None, e.time])[1])} UTC, "
                    f"{e.after_start_s:.0f} s after it began; its entry was not seen"
                    + _named(remote_id, e))
        elif e.evidence == "first_detected_inside" and e.window_utc:
            # nobody saw it enter: say when it was first seen, not that it "entered" then. A
            # pop-up (its path back lay in coverage, or never reaches the border) of a track
            # not known as a threat is most often a bird or a local launch: one step lower
            if pop_up(e) and not threat:
                sev = "medium" if e.zone_kind == "sovereign" else "info"
            text = (f"{what} first detected inside {zone} at {_hms(e.window_utc[1])} UTC"
                    + (f" (p inside {e.p_inside:.2f})" if e.p_inside is not None else "")
                    + _named(remote_id, e) + crossing_text(e))
        else:
            text = (f"{what} entered {zone}"
                    + (f" from {e.from_country}" if e.from_country else "")
                    + (f" (p inside {e.p_inside:.2f})" if e.p_inside is not None else "")
                    + _named(remote_id, e) + crossing_text(e))
    elif isinstance(e, Violation):
        sev = "info"
        text = (f"violation episode of {what} in {zone}: "
                + (f"{e.duration_s:.0f} s" if e.duration_s is not None else "duration ?")
                + duration_text(e.duration_bounds_s)
                + (f", {e.max_depth_m / 1000:.1f} km deep" if e.max_depth_m is not None
                   else "") + f", confidence {e.confidence}"
                + (" (ongoing)" if e.ongoing else ""))
    else:
        return None
    if unverified and isinstance(e, Warning | Entry):
        sev = _LOWER[sev]
        text += (f"; broadcasting {unverified}, not yet corroborated by an independent "
                 "sensor")
    if aff == "neutral":
        sev = "info"
    return {"id": alert_id, "kind": e.kind, "severity": sev, "t_s": e.t_s, "time": e.time,
            "track_id": e.track_id, "zone_id": e.zone_id, "zone_kind": e.zone_kind,
            "affiliation": aff, "text": text, "time_to_crossing_s": d.get("time_to_crossing_s"),
            "predicted_crossing_t_s": d.get("predicted_crossing_t_s"), "acked_by": None,
            "event": d}


def spoof_alert(alert_id: str, track_id: int, identity: str, t_s: float, time: str,
                cls: str = "", p: float | None = None) -> dict[str, Any]:
    """The alert for a track whose broadcast identity was just judged spoofed (the trust
    monitor, ``classify.coop_tracks``: inside the independent sensors' coverage none has
    confirmed its reports for long enough -- an identity with no body, a displaced position --
    or one identity is in two places). High: a ghost in the picture, or a real aircraft lying
    about where or who it is."""
    what = f"track {track_id}" + (f" ({cls.replace('_', ' ')} {p:.2f})" if cls and p else "")
    return {"id": alert_id, "kind": "spoofing", "severity": "high", "t_s": t_s, "time": time,
            "track_id": track_id, "zone_id": "", "zone_kind": "identity",
            "affiliation": "suspect",
            "text": (f"{what}: broadcast identity {identity or '?'} suspected of spoofing -- "
                     "inside the independent sensors' coverage none confirms its reports (a "
                     "ghost, a displaced position or one identity in two places)"),
            "time_to_crossing_s": None, "predicted_crossing_t_s": None, "acked_by": None,
            "event": {"kind": "spoofing", "track_id": track_id, "identity": identity,
                      "t_s": t_s, "time": time}}


#: Store event kinds of the alerts that no recorded event carries (an entry's alert is its
#: entry event, a sensor's alert its ``sensor`` event): alert kind -> event kind.
ALERT_EVENT_KINDS = {"spoofing": "spoofing", "strobe": "unlocated"}


def alert_events(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store event rows for the alerts among ``alerts`` that no recorded event carries
    (:data:`ALERT_EVENT_KINDS`), recorded the step they are raised: an identity judged spoofed
    (kind ``spoofing``, filed under its track) and an RF link no track explains (kind
    ``unlocated``, under its finder; the strobe's own ``strobe`` event comes only when it
    ends, and a session stopped before then would keep no trace of what the operator was
    told). The payload (a dict) is the alert's event with the alert's id -- the key its
    acknowledgement is audited under --, severity and text."""
    out = []
    for a in alerts:
        kind = ALERT_EVENT_KINDS.get(str(a.get("kind")))
        if kind is None:
            continue
        tid = a.get("track_id")
        out.append({"t_s": float(a["t_s"]), "kind": kind,
                    "track_id": -1 if tid is None else int(tid),
                    "zone_id": str(a.get("zone_id") or "")[:64],
                    "zone_kind": str(a.get("zone_kind") or "")[:24],
                    "payload": {**(a.get("event") or {}), "alert_id": a["id"],
                                "severity": a["severity"], "text": a["text"]}})
    return out


def sensor_alerts(changes: list[tuple[int, float, bool, str]], table: Any, grids: set[str],
                  t_s: float, time: str, seq: int, listening: Any = None
                  ) -> list[dict[str, Any]]:
    """Alerts for the sensors the picture newly took as down or back
    (``detections.health.SensorHealth.changes``: row, time, listening, reason): one line per
    sensor, and one per acoustic grid (``grids``: their ids; nodes ``<grid>-<k>``) however
    many of its nodes changed, saying how many are down now (``listening`` (S,): the
    sensors listening now). A radar down is high (the ADS-B check and the pop-up evidence
    lose its cover), any other sensor medium; a sensor not heard from since the start, or
    back, is information."""
    from dronewall.detections.health import group_changes

    out = []
    for g in group_changes(changes, table.ids, table.kind, grids, with_ids=True):
        gid, kind, up, why = str(g["sensor"]), str(g["sensor_kind"]), g["listening"], g["reason"]
        if gid in grids:
            mine = [k for k, x in enumerate(table.ids) if str(x).startswith(f"{gid}-")]
            n_down = (int(g["nodes"]) if listening is None    # type: ignore[call-overload]
                      else sum(1 for k in mine if not listening[k]))
            what = (f"acoustic grid {gid}: {n_down} of {len(mine)} nodes down now, "
                    f"{g['nodes']} {'back' if up else 'went down'} at this step;")
        else:
            what = f"sensor {gid} ({kind})"
        grid = gid in grids
        if up:
            sev = "info"
            text = (f"{what} ({why}): their silence counts as evidence again" if grid else
                    f"{what} back ({why}): its silence counts as evidence again")
        else:
            sev = ("info" if str(why).endswith("yet") else "high" if kind == "radar"
                   else "medium")
            text = (f"{what} ({why}): their silence is not read as evidence" if grid else
                    f"{what} down ({why}): its silence is not read as evidence -- no class, "
                    "ADS-B or pop-up evidence from where only it could see")
        out.append({"id": f"{seq}-sensor-{gid}", "kind": "sensor", "severity": sev,
                    "t_s": t_s, "time": time, "track_id": None, "zone_id": gid,
                    "zone_kind": "sensor", "affiliation": "", "text": text,
                    "time_to_crossing_s": None, "predicted_crossing_t_s": None,
                    "acked_by": None, "event": {"kind": "sensor", **g, "t_s": t_s,
                                                "time": time}})
    return out


_LOWER = {"critical": "high", "high": "medium", "medium": "info", "info": "info"}


def _named(remote_id: str, e: AirspaceEvent | None = None) -> str:
    """The Remote ID naming of an alert line, with the pilot's position where the broadcast
    gave one (an entry's ``operator_point``: a claim, no sensor fixed it)."""
    if not remote_id:
        return ""
    op = getattr(e, "operator_point", None)
    pilot = ""
    if op and len(op) >= 2 and op[0] is not None and op[1] is not None:
        la, lo = float(op[0]), float(op[1])
        pilot = (f" (pilot at {abs(la):.5f} {'N' if la >= 0 else 'S'} "
                 f"{abs(lo):.5f} {'E' if lo >= 0 else 'W'}, as broadcast)")
    return f"; identified by Remote ID {remote_id}{pilot}, which is no permit to fly here"


#: An entry first detected inside whose back-propagated path lay in sensor coverage for at
#: least this long says so in its alert, s (``covered_before_s``).
COVERED_NOTE_S = 30.0
#: An entry first detected inside at most this long after the picture began is stated as a
#: track inside since before the picture began, s (a sparse far track takes up to a minute to
#: confirm; ``Entry.after_start_s``).
AT_START_S = 60.0


def pop_up(e: Entry) -> bool:
    """A first detection inside whose path back lay in sensor coverage for at least
    ``COVERED_NOTE_S`` or never reaches the border: launched inside, or flown below coverage --
    not an entry the sensors missed at the border."""
    if e.evidence != "first_detected_inside":
        return False
    covered = e.covered_before_s is not None and e.covered_before_s >= COVERED_NOTE_S
    return covered or bool(e.window_utc and not e.window_utc[0])


def at_start(e: Entry) -> bool:
    """An entry first detected inside within ``AT_START_S`` of the picture's start."""
    return (e.evidence == "first_detected_inside" and e.after_start_s is not None
            and e.after_start_s <= AT_START_S)


def _called(cls: str) -> str:
    """A class name as the object of a sentence: "a bird", "an attack drone"."""
    name = str(cls).replace("_", " ")
    return ("an " if name[:1] in "aeiou" else "a ") + name


def _hms(iso: str | None, up: bool = False) -> str:
    """HH:MM:SS.s of an ISO-8601 UTC time, rounded down (``up``: up) to 0.1 s -- a window's
    ends round outwards, never narrower than stated ("?" when unbounded)."""
    if not iso:
        return "?"
    t = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    tenths = t.microsecond / 1e5
    k = math.ceil(tenths - 1e-9) if up else math.floor(tenths + 1e-9)
    t = t.replace(microsecond=0) + timedelta(seconds=k / 10)
    return f"{t:%H:%M:%S}.{t.microsecond // 100_000}"


def crossing_text(e: Entry | Exit) -> str:
    """How the crossing is known, for the alert line: an observed entry's or exit's 95 %
    window (UTC) and point uncertainty; for a first detection inside, that nobody saw the
    entry, when its course leads back to the border and whether the sensors covered that path.
    "" when the event carries no window."""
    w = e.window_utc
    if not w:
        return ""
    along = f", point ± {e.point_95_m:.0f} m along the border" if e.point_95_m else ""
    if isinstance(e, Entry) and e.evidence == "first_detected_inside":
        back = (f" (its course leads back to the border at {_hms(w[0])} UTC)" if w[0]
                else f" (its course does not lead back to the border within "
                     f"{BACKPROP_MAX_S / 60:.0f} min)")
        # a pop-up where the sensors were looking: launched inside, or flew below coverage
        seen = (f", though that path lay in sensor coverage for {e.covered_before_s:.0f} s"
                if e.covered_before_s is not None and e.covered_before_s >= COVERED_NOTE_S
                else "")
        return f"; entry not seen{back}{seen}"
    pred = (f"; declared on the track's prediction: its last sensor update was "
            f"{e.predicted_for_s:.1f} s before the crossing"
            if isinstance(e, Entry) and e.predicted_for_s else "")
    return f"; crossed {_hms(w[0])}–{_hms(w[1], up=True)} UTC (95 %){along}{pred}"


def duration_text(b: list[float | None] | None) -> str:
    """The duration bounds the entry and exit windows give (``docs/airspace.md``), rounded
    outwards to whole seconds; "" when none were observed."""
    if not b or b[0] is None:
        return ""
    lo = math.floor(b[0])
    return f" ({lo}–{math.ceil(b[1])} s)" if b[1] is not None else f" (at least {lo} s)"


#: Which alerts go first when the book is full: information, then acknowledged ones, then the
#: unacknowledged by rising severity (oldest first within a rank).
_KEEP_RANK = {"info": 0, "medium": 2, "high": 3, "critical": 4}


def keep_rank(a: dict[str, Any]) -> int:
    """0 information, 1 acknowledged, 2-4 unacknowledged medium / high / critical."""
    r = _KEEP_RANK.get(str(a.get("severity")), 2)
    return 1 if r > 0 and a.get("acked_by") else r


class AlertBook:
    """The alerts kept in memory for the panel and for clients that (re)connect, at most
    ``capacity``, in arrival order. When full, the oldest alert of the lowest
    :func:`keep_rank` goes (older ones stay in the store's events): a flood of information --
    gulls predicted to enter a city's no-fire zone -- never pushes out an unacknowledged
    critical entry."""

    def __init__(self, capacity: int) -> None:
        self.capacity = int(capacity)
        self._items: list[dict[str, Any]] = []

    def add(self, alerts: list[dict[str, Any]]) -> None:
        self._items.extend(alerts)
        while len(self._items) > self.capacity:
            ranks = [keep_rank(a) for a in self._items]
            del self._items[ranks.index(min(ranks))]

    def __iter__(self) -> Any:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
