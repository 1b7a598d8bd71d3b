"""A SAPIENT fusion node (DMM): registration, status and detection reports from edge nodes
(ASMs), answered as the BSI Flex 335 v2.0 ICD asks, and turned into the engine's detections.

Per message (``FusionNode.handle``): parse; check the envelope (timestamp, node id a UUID,
content) and the mandatory fields of the content per the schema's ``is_mandatory`` options;
ids per the ``is_uuid`` / ``is_ulid`` options. A *Registration* is answered with a
*RegistrationAck* (accepted, or rejected with the reasons: missing mandatory fields, or a
node this fusion node is not configured for); any other invalid message, or a report from a
node that has not registered, with an *Error* carrying the offending packet and the reasons.
Every message is counted: accepted, rejected (with the reason), malformed.

Detections. A node is bound to one of the site's sensors (live config ``nodes:``), whose
position is the origin of its range-bearing reports and whose kind the engine's classifier
uses. ``location`` (latitude/longitude in degrees or radians, metres, WGS84) becomes a
``POSITION`` detection (ECEF) with the reported x/y/z errors as 1-sigma (degrees converted to
metres at the position); ``range_bearing`` (true north, degrees or radians, metres or
kilometres) becomes a ``RADAR`` detection (range, azimuth, elevation), an ``AZEL`` one without
range or a ``BEARING`` one with azimuth only, in the bound sensor's local frame, with the
reported errors as 1-sigma -- or, where a report gives none, the bound sensor's configured
sigmas (scenario ``sigma_*``) and else the defaults below [E]. A radar's Doppler has no field
of its own in v2.0 (the velocity oneof holds only an ENU vector): it travels as a
``track_info`` entry of type ``radialVelocity`` (decimal m/s as the value, positive when the
range opens, 1-sigma in ``error``), which a node may declare in its registration's detection
definition (category TRACK, units ``m/s`` or ``km/h``); it becomes the RADAR row's range rate.
Not supported yet (rejected
with the reason, never guessed): UTM coordinates, geoid datum heights, magnetic/grid/platform
north. A node whose status reports a location more than ``MAX_NODE_OFFSET_M`` from its bound
sensor has its range-bearing reports rejected (they would be placed wrongly).

Classifications: the most confident one at or above ``min_confidence`` becomes the report's
class label for the bound sensor's kind (camera: platform class; radar: micro-Doppler
signature; acoustic: acoustic signature), through the adapter's ``classes:`` map, the engine's
own names, or generic names (``adapters/sapient/classes.py``); the classifier then scores it
with that sensor kind's confusion, as it does simulated labels. Unmapped types give no label
and are counted (docs/interop.md).
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from dronewall.adapters.counters import MessageCounters
from dronewall.adapters.positions import position_rows
from dronewall.adapters.sapient.classes import MIN_CONFIDENCE, label_for
from dronewall.adapters.sapient.wire import is_ulid, is_uuid, new_ulid, pb, stamp
from dronewall.detections import DetectionBatch, MeasKind, SensorTable

#: Defaults where a report and the bound sensor give no error (1-sigma) [E].
DEFAULT_SIGMA_POS_M = 50.0
DEFAULT_SIGMA_RANGE_M = 30.0
DEFAULT_SIGMA_AZ_DEG = 1.0
DEFAULT_SIGMA_EL_DEG = 2.0
DEFAULT_SIGMA_RANGE_RATE_MPS = 1.0
#: ``track_info`` types read as a radar's radial velocity (lower case, ``_``/space removed).
RADIAL_VELOCITY_TYPES = frozenset({"radialvelocity", "rangerate"})
#: Units a node may declare for it, and their factor to m/s.
RADIAL_VELOCITY_UNITS = {"m/s": 1.0, "ms-1": 1.0, "ms^-1": 1.0, "mps": 1.0, "km/h": 1 / 3.6,
                         "kph": 1 / 3.6}
#: A radial velocity beyond this is not a measurement (m/s).
MAX_RADIAL_VELOCITY_MPS = 3000.0
#: A node reporting its location farther than this from its bound sensor: range-bearing
#: reports rejected (m).
MAX_NODE_OFFSET_M = 200.0
MAX_NODES = 10_000
#: Alerts and task states kept per node (the newest).
MAX_KEPT = 100
M_PER_DEG_LAT = 111_132.0


@dataclass
class Binding:
    """A site sensor a node reports as: its row, position and configured sigmas."""

    row: int
    lat_deg: float
    lon_deg: float
    alt_m: float
    sigma_range_m: float | None = None
    sigma_az_deg: float | None = None
    sigma_el_deg: float | None = None
    kind: int = -1                    # SensorKind of the bound sensor (-1: unknown)
    classes: Mapping[str, str] | None = None   # the node's type strings -> engine labels
    min_confidence: float = MIN_CONFIDENCE
    sigma_range_rate_mps: float | None = None


@dataclass
class NodeInfo:
    node_id: str
    name: str
    node_types: list[str]
    icd_version: str
    binding: Binding | None
    status: str = ""
    mode: str = ""
    location: tuple[float, float, float] | None = None
    detections: int = 0
    alerts: list[dict[str, Any]] = field(default_factory=list)      # the last MAX_KEPT
    tasks: dict[str, str] = field(default_factory=dict)            # task id -> status
    registered_utc: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    radial_velocity_scale: float = 1.0   # declared units -> m/s


@dataclass(frozen=True)
class SapientDetection:
    t_s: float
    node_id: str
    object_id: str
    row: int
    kind: str                        # "location" or "range_bearing"
    values: tuple[float, ...]        # location: lat, lon, alt; rb: range|nan, az rad, el|nan,
                                     # radial velocity m/s|nan
    sigmas: tuple[float, ...]        # location: east, north, up m; rb: range m, az, el rad,
                                     # radial velocity m/s
    confidence: float | None
    classes: tuple[tuple[str, float | None], ...]
    label: int = -1                  # class label for the bound sensor's kind (classes.py)


@dataclass
class Handled:
    """What one message did: replies to send, detections, and a line for consoles."""

    replies: list[Any] = field(default_factory=list)
    detections: list[SapientDetection] = field(default_factory=list)
    kind: str = ""
    node_id: str = ""
    summary: str = ""


class FusionNode:
    """The DMM's message logic (no sockets): ``handle(payload, t_s) -> Handled``."""

    def __init__(self, bindings: dict[str, Binding] | None = None, *,
                 accept_unbound: bool = False, node_id: str | None = None,
                 counters: MessageCounters | None = None) -> None:
        """``bindings``: node id (UUID) or node name -> site sensor. ``accept_unbound``:
        register any node (the ``listen`` console); else nodes not bound are refused."""
        self.bindings = bindings or {}
        self.accept_unbound = accept_unbound
        self.node_id = node_id or str(uuid.uuid4())
        self.counters = counters or MessageCounters()
        self.nodes: dict[str, NodeInfo] = {}

    # ------------------------------------------------------------------ envelope

    def _reply(self, to: str, **content: Any) -> Any:
        m = pb().SapientMessage(node_id=self.node_id, destination_id=to or None, **content)
        stamp(m)
        return m

    def _error(self, h: Handled, to: str, payload: bytes, reasons: list[str]) -> Handled:
        h.replies.append(self._reply(to, error=pb().Error(packet=payload,
                                                          error_message=reasons)))
        h.summary = "; ".join(reasons)
        return h

    def handle(self, payload: bytes, t_s: float) -> Handled:
        from google.protobuf.message import DecodeError

        h = Handled()
        msg = pb().SapientMessage()
        try:
            msg.ParseFromString(payload)
        except (DecodeError, RuntimeWarning, ValueError) as e:
            self.counters.malform("sapient: not a SapientMessage")
            h.kind = "unparsable"
            return self._error(h, "", payload, [f"cannot parse SapientMessage: {e}"[:200]])
        kind = msg.WhichOneof("content") or ""
        h.kind, h.node_id = kind or "(no content)", msg.node_id
        bad = []
        if not msg.HasField("timestamp"):
            bad.append("timestamp is mandatory")
        if not msg.node_id:
            bad.append("node_id is mandatory")
        elif not is_uuid(msg.node_id):
            bad.append(f"node_id {msg.node_id[:40]!r} is not a UUID")
        if not kind:
            bad.append("content (registration, status_report, ...) is mandatory")
        if bad:
            self.counters.reject(f"sapient: envelope: {bad[0].split(' ')[0]}")
            return self._error(h, msg.node_id, payload, bad)
        if kind == "registration":
            return self._registration(h, msg, payload)
        node = self.nodes.get(msg.node_id)
        if node is None and kind in ("status_report", "detection_report"):
            self.counters.reject(f"sapient: {kind} from an unregistered node")
            return self._error(h, msg.node_id, payload,
                               [f"node {msg.node_id} is not registered: send a Registration "
                                "first"])
        if kind == "status_report":
            return self._status(h, msg, node, payload)   # type: ignore[arg-type]
        if kind == "detection_report":
            return self._detection(h, msg, node, payload, t_s)   # type: ignore[arg-type]
        if kind in ("alert", "task_ack") and node is None:
            self.counters.reject(f"sapient: {kind} from an unregistered node")
            return self._error(h, msg.node_id, payload,
                               [f"node {msg.node_id} is not registered: send a Registration "
                                "first"])
        if kind == "alert":
            return self._alert(h, msg, node, payload)   # type: ignore[arg-type]
        if kind == "task_ack":
            return self._task_ack(h, msg, node, payload)   # type: ignore[arg-type]
        self.counters.accept()   # acks and errors from a node: logged, nothing to do
        h.summary = f"{kind} received"
        return h

    # ------------------------------------------------------------------ content

    def _registration(self, h: Handled, msg: Any, payload: bytes) -> Handled:
        r = msg.registration
        reasons = []
        if not r.node_definition:
            reasons.append("registration.node_definition is mandatory")
        if not r.icd_version:
            reasons.append("registration.icd_version is mandatory")
        if not r.HasField("status_definition"):
            reasons.append("registration.status_definition is mandatory")
        if not r.mode_definition:
            reasons.append("registration.mode_definition is mandatory")
        binding = self.bindings.get(msg.node_id) or (self.bindings.get(r.name) if r.name
                                                      else None)
        if not reasons and binding is None and not self.accept_unbound:
            reasons.append(f"node {msg.node_id} ({r.name or 'no name'}) is not configured on "
                           "this fusion node (live config 'nodes:')")
        if not reasons and msg.node_id not in self.nodes and len(self.nodes) >= MAX_NODES:
            reasons.append("too many nodes registered")
        rv_scale = _declared_radial_velocity(r)
        if isinstance(rv_scale, str) and not reasons:
            reasons.append(rv_scale)
        types = [_name(pb().Registration.NodeType, d.node_type) for d in r.node_definition]
        if reasons:
            why = ("node not configured" if "not configured" in reasons[0] else
                   "too many nodes" if "too many" in reasons[0] else
                   "radial velocity units" if "radialVelocity" in reasons[0] else
                   "mandatory field missing")
            self.counters.reject(f"sapient: registration refused: {why}")
        else:
            self.counters.accept()
            self.nodes[msg.node_id] = NodeInfo(
                msg.node_id, r.name or r.short_name, types, r.icd_version, binding,
                radial_velocity_scale=rv_scale if isinstance(rv_scale, float) else 1.0)
        h.replies.append(self._reply(msg.node_id, registration_ack=pb().RegistrationAck(
            acceptance=not reasons, ack_response_reason=reasons)))
        h.summary = (f"{r.name or '-'} {','.join(t.removeprefix('NODE_TYPE_') for t in types)}"
                     f" icd {r.icd_version or '-'}: "
                     + ("accepted" if not reasons else "refused: " + "; ".join(reasons)))
        return h

    def _alert(self, h: Handled, msg: Any, node: NodeInfo, payload: bytes) -> Handled:
        """An alert from a node: AlertAck accepted (kept for the operator), or rejected with
        the reasons; an alert without a valid id cannot be acknowledged: Error."""
        a = msg.alert
        P = pb()
        if not is_ulid(a.alert_id):
            self.counters.reject("sapient: alert: alert_id is mandatory and must be a ULID")
            return self._error(h, msg.node_id, payload,
                               ["alert.alert_id is mandatory and must be a ULID"])
        reasons = []
        where = None
        if a.WhichOneof("location_oneof") == "location":
            loc = _latlonalt(a.location)
            if isinstance(loc, str):
                reasons.append(loc)
            else:
                where = loc
        status = P.AlertAck.AlertAckStatus.Value(
            "ALERT_ACK_STATUS_REJECTED" if reasons else "ALERT_ACK_STATUS_ACCEPTED")
        h.replies.append(self._reply(msg.node_id, alert_ack=P.AlertAck(
            alert_id=a.alert_id, alert_ack_status=status, reason=reasons)))
        if reasons:
            self.counters.reject("sapient: alert rejected: location")
        else:
            self.counters.accept()
            node.alerts.append({
                "alert_id": a.alert_id,
                "type": _name(P.Alert.AlertType, a.alert_type).removeprefix("ALERT_TYPE_"),
                "priority": _name(P.Alert.DiscretePriority, a.priority)
                .removeprefix("DISCRETE_PRIORITY_"),
                "description": a.description[:500], "location": where,
                "received_utc": datetime.now(UTC).isoformat()})
            del node.alerts[:-MAX_KEPT]
        h.summary = (f"alert {a.alert_id} {a.description[:80]!r}: "
                     + ("accepted" if not reasons else "rejected: " + "; ".join(reasons)))
        return h

    def _task_ack(self, h: Handled, msg: Any, node: NodeInfo, payload: bytes) -> Handled:
        t = msg.task_ack
        if not is_ulid(t.task_id) or not t.HasField("task_status"):
            self.counters.reject("sapient: task_ack: task_id / task_status missing")
            return self._error(h, msg.node_id, payload,
                               ["task_ack.task_id (a ULID) and task_ack.task_status are "
                                "mandatory"])
        self.counters.accept()
        st = _name(pb().TaskAck.TaskStatus, t.task_status).removeprefix("TASK_STATUS_")
        node.tasks[t.task_id] = st
        if len(node.tasks) > MAX_KEPT:
            del node.tasks[next(iter(node.tasks))]
        h.summary = f"task {t.task_id} {st}" + (f": {'; '.join(t.reason)}" if t.reason else "")
        return h

    def look_at_task(self, node_id: str, lat: float, lon: float, alt: float,
                     name: str = "look at") -> Any:
        """A Task for ``node_id`` to point at a position (the node answers with a TaskAck)."""
        P = pb()
        task = P.Task(task_id=new_ulid(), task_name=name,
                      control=P.Task.Control.Value("CONTROL_START"),
                      command=P.Task.Command(look_at=P.LocationOrRangeBearing(
                          location_list=P.LocationList(locations=[P.Location(
                              x=lon, y=lat, z=alt, coordinate_system=1, datum=1)]))))
        node = self.nodes.get(node_id)
        if node is not None:
            node.tasks[task.task_id] = "SENT"
        return self._reply(node_id, task=task)

    def _status(self, h: Handled, msg: Any, node: NodeInfo, payload: bytes) -> Handled:
        s = msg.status_report
        bad = []
        if not is_ulid(s.report_id):
            bad.append("status_report.report_id is mandatory and must be a ULID")
        if not s.HasField("system"):
            bad.append("status_report.system is mandatory")
        if not s.HasField("info"):
            bad.append("status_report.info is mandatory")
        if not s.HasField("mode"):
            bad.append("status_report.mode is mandatory")
        if bad:
            self.counters.reject(f"sapient: status_report: {bad[0][:50]}")
            return self._error(h, msg.node_id, payload, bad)
        self.counters.accept()
        node.status = _name(pb().StatusReport.System, s.system).removeprefix("SYSTEM_")
        node.mode = s.mode
        if s.HasField("node_location"):
            loc = _latlonalt(s.node_location)
            if isinstance(loc, tuple):
                node.location = loc
        h.summary = f"status {node.status} mode {node.mode}" + (
            f" at {node.location[0]:.5f} {node.location[1]:.5f}" if node.location else "")
        return h

    def _detection(self, h: Handled, msg: Any, node: NodeInfo, payload: bytes,
                   t_s: float) -> Handled:
        d = msg.detection_report
        bad = []
        if not is_ulid(d.report_id):
            bad.append("detection_report.report_id is mandatory and must be a ULID")
        if not is_ulid(d.object_id):
            bad.append("detection_report.object_id is mandatory and must be a ULID")
        which = d.WhichOneof("location_oneof")
        if which is None:
            bad.append("detection_report: location or range_bearing is mandatory")
        if bad:
            self.counters.reject(f"sapient: detection_report: {bad[0][:50]}")
            return self._error(h, msg.node_id, payload, bad)
        classes = tuple((c.type, c.confidence if c.HasField("confidence") else None)
                        for c in d.classification)
        b = node.binding
        conv = (_location(d.location) if which == "location"
                else _range_bearing(d.range_bearing, node, b))
        if isinstance(conv, str):   # counted by kind (no numbers: bounded reasons)
            self.counters.reject("sapient: detection_report: "
                                 + re.sub(r"[0-9.]+", "#", conv.split(":")[0])[:60])
            return self._error(h, msg.node_id, payload, [conv])
        values, sigmas = conv
        if which == "range_bearing":
            rv = _radial_velocity(d.track_info, node, b)
            if isinstance(rv, str):
                self.counters.reject("sapient: detection_report: radial velocity")
                return self._error(h, msg.node_id, payload, [rv])
            if rv is not None and math.isnan(values[0]):
                self.counters.note("sapient: radial velocity without range: not used")
                rv = None
            values = (*values, rv[0] if rv else math.nan)
            sigmas = (*sigmas, rv[1] if rv else math.nan)
        self.counters.accept()
        node.detections += 1
        cls = ", ".join(f"{t} {c:.2f}" if c is not None else t for t, c in classes)
        if which == "location":
            where = f"at {values[0]:.5f} {values[1]:.5f} {values[2]:.0f} m"
        else:
            r, az, el, rdot = values
            where = ((f"range {r:.0f} m " if not math.isnan(r) else "")
                     + f"az {math.degrees(az) % 360:.2f} deg"
                     + (f" el {math.degrees(el):.2f} deg" if not math.isnan(el) else "")
                     + (f" radial velocity {rdot:+.1f} m/s" if not math.isnan(rdot) else ""))
        h.summary = f"object {d.object_id} {where}" + (f"  class {cls}" if cls else "")
        if b is None:   # the listen console: nothing goes to an engine
            return h
        label = label_for(b.kind, classes, b.classes, b.min_confidence)
        if classes:
            self.counters.note("sapient: classification " + ("fused" if label >= 0 else
                                                            "not mapped for the node's kind"))
        h.detections.append(SapientDetection(
            t_s, msg.node_id, d.object_id, b.row, which, values, sigmas,
            d.detection_confidence if d.HasField("detection_confidence") else None, classes,
            label))
        return h


# ---------------------------------------------------------------------- conversions

def _name(enum: Any, value: int) -> str:
    """An enum value's name; proto3 enums are open, so a value the schema does not define
    (a newer node, or a corrupted one) reads as ``UNKNOWN_<value>`` instead of failing."""
    try:
        return str(enum.Name(value))
    except ValueError:
        return f"UNKNOWN_{int(value)}"


def _latlonalt(loc: Any) -> tuple[float, float, float] | str:
    cs = loc.coordinate_system
    if not loc.HasField("coordinate_system") or not loc.HasField("datum"):
        return "location.coordinate_system and location.datum are mandatory"
    if cs not in (1, 2):
        return "location: only LAT_LNG_DEG_M and LAT_LNG_RAD_M are supported (not UTM)"
    if loc.datum != 1:
        return "location: only the WGS84 ellipsoid datum is supported (not the geoid)"
    if not (loc.HasField("x") and loc.HasField("y")):
        return "location.x and location.y are mandatory"
    lon, lat = (loc.x, loc.y) if cs == 1 else (math.degrees(loc.x), math.degrees(loc.y))
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90
            and -180 <= lon <= 180):
        return "location: latitude/longitude out of range"
    z = loc.z if loc.HasField("z") and math.isfinite(loc.z) else 0.0
    return float(lat), float(lon), float(z)


def _location(loc: Any) -> tuple[tuple[float, ...], tuple[float, ...]] | str:
    p = _latlonalt(loc)
    if isinstance(p, str):
        return p
    lat, lon, alt = p
    deg = loc.coordinate_system == 1
    scale_n = M_PER_DEG_LAT if deg else M_PER_DEG_LAT * 180 / math.pi
    scale_e = scale_n * math.cos(math.radians(lat))

    def err(name: str, scale: float) -> float:
        v = getattr(loc, name)
        return abs(v) * scale if loc.HasField(name) and math.isfinite(v) and v > 0 \
            else DEFAULT_SIGMA_POS_M
    return (lat, lon, alt), (err("x_error", scale_e), err("y_error", scale_n),
                             err("z_error", 1.0) if loc.HasField("z") else 1e4)


def _range_bearing(rb: Any, node: NodeInfo, b: Binding | None
                   ) -> tuple[tuple[float, ...], tuple[float, ...]] | str:
    if not rb.HasField("coordinate_system") or not rb.HasField("datum"):
        return "range_bearing.coordinate_system and range_bearing.datum are mandatory"
    if rb.datum != 1:
        return "range_bearing: only true north is supported (not magnetic, grid or platform)"
    cs = rb.coordinate_system
    if cs not in (1, 2, 3, 4):
        return "range_bearing: coordinate_system unspecified"
    ang = (lambda v: math.radians(v)) if cs in (1, 3) else (lambda v: v)
    rng_scale = 1000.0 if cs in (3, 4) else 1.0
    if not rb.HasField("azimuth") or not math.isfinite(rb.azimuth):
        return "range_bearing.azimuth is needed for a detection"
    if b is not None and node.location is not None:
        e, n = _offset_m(b.lat_deg, b.lon_deg, node.location[0], node.location[1])
        if math.hypot(e, n) > MAX_NODE_OFFSET_M:
            return (f"node reports its location {math.hypot(e, n):.0f} m from its bound "
                    f"sensor (> {MAX_NODE_OFFSET_M:.0f} m): range-bearing not placed")
    az = (ang(rb.azimuth) + math.pi) % (2 * math.pi) - math.pi
    has_r = rb.HasField("range") and math.isfinite(rb.range) and rb.range > 0
    has_e = rb.HasField("elevation") and math.isfinite(rb.elevation)
    r = rb.range * rng_scale if has_r else math.nan
    el = ang(rb.elevation) if has_e else math.nan

    def err(name: str, conv: Any, fallback: float | None, default: float) -> float:
        v = getattr(rb, name)
        if rb.HasField(name) and math.isfinite(v) and v > 0:
            return float(conv(v))
        return float(fallback if fallback is not None else default)

    sr = err("range_error", lambda v: v * rng_scale, b.sigma_range_m if b else None,
             DEFAULT_SIGMA_RANGE_M)
    saz = err("azimuth_error", ang, math.radians(b.sigma_az_deg) if b and b.sigma_az_deg
              else None, math.radians(DEFAULT_SIGMA_AZ_DEG))
    sel = err("elevation_error", ang, math.radians(b.sigma_el_deg) if b and b.sigma_el_deg
              else None, math.radians(DEFAULT_SIGMA_EL_DEG))
    return (r, az, el), (sr, saz, sel)


def _rv_key(t: str) -> str:
    return t.lower().replace("_", "").replace(" ", "")


def _declared_radial_velocity(r: Any) -> float | str:
    """The factor to m/s of the radial velocity a registration declares (1.0 when it
    declares none), or the reason its units cannot be read."""
    for md in r.mode_definition:
        for dd in md.detection_definition:
            for dr in dd.detection_report:
                if _rv_key(dr.type) in RADIAL_VELOCITY_TYPES:
                    u = dr.units.lower().replace(" ", "")
                    if u not in RADIAL_VELOCITY_UNITS:
                        return (f"registration: track_info radialVelocity in {dr.units[:20]!r}: "
                                "dronewall reads m/s or km/h")
                    return RADIAL_VELOCITY_UNITS[u]
    return 1.0


def _radial_velocity(info: Any, node: NodeInfo, b: Binding | None
                     ) -> tuple[float, float] | str | None:
    """(radial velocity m/s, 1-sigma m/s) from a report's ``track_info``; None when it
    carries none; the reason when its value cannot be read."""
    for ti in info:
        if _rv_key(ti.type) not in RADIAL_VELOCITY_TYPES:
            continue
        try:
            v = float(ti.value) * node.radial_velocity_scale
        except ValueError:
            return (f"detection_report.track_info {ti.type[:30]}: value {ti.value[:20]!r} is "
                    "not a number")
        if not (math.isfinite(v) and abs(v) <= MAX_RADIAL_VELOCITY_MPS):
            return (f"detection_report.track_info {ti.type[:30]}: {ti.value[:20]} is not a "
                    f"radial velocity (|v| <= {MAX_RADIAL_VELOCITY_MPS:.0f} m/s)")
        e = ti.error * node.radial_velocity_scale if ti.HasField("error") else math.nan
        if not (math.isfinite(e) and e > 0):
            e = (b.sigma_range_rate_mps if b is not None and b.sigma_range_rate_mps
                 else DEFAULT_SIGMA_RANGE_RATE_MPS)
        return v, float(e)
    return None


def _offset_m(lat0: float, lon0: float, lat: float, lon: float) -> tuple[float, float]:
    n = (lat - lat0) * M_PER_DEG_LAT
    e = (lon - lon0) * M_PER_DEG_LAT * math.cos(math.radians(lat0))
    return e, n


def detections_to_batch(dets: list[SapientDetection], sensors: SensorTable) -> DetectionBatch:
    """SAPIENT detections as the engine's rows (module docstring)."""
    if not dets:
        return DetectionBatch.empty()
    parts = []
    loc = [d for d in dets if d.kind == "location"]
    if loc:
        parts.append(position_rows(
            [d.t_s for d in loc], [d.row for d in loc], [d.values[0] for d in loc],
            [d.values[1] for d in loc], [d.values[2] for d in loc],
            [d.sigmas[0] for d in loc], [d.sigmas[1] for d in loc],
            [d.sigmas[2] for d in loc],
            class_label=np.array([d.label for d in loc], np.int16)))
    rb = [d for d in dets if d.kind == "range_bearing"]
    for want, mk, dim in ((lambda r, e: not math.isnan(r), MeasKind.RADAR, 4),
                          (lambda r, e: math.isnan(r) and not math.isnan(e), MeasKind.AZEL, 2),
                          (lambda r, e: math.isnan(r) and math.isnan(e), MeasKind.BEARING, 1)):
        sel = [d for d in rb if want(d.values[0], d.values[2])]
        if not sel:
            continue
        m = len(sel)
        if mk == MeasKind.RADAR:
            z = np.array([[d.values[0], d.values[1],
                           d.values[2] if not math.isnan(d.values[2]) else 0.0, d.values[3]]
                          for d in sel])
            sig = np.array([[d.sigmas[0], d.sigmas[1],
                             d.sigmas[2] if not math.isnan(d.values[2]) else math.radians(30),
                             d.sigmas[3] if not math.isnan(d.values[3]) else 0.0]
                            for d in sel])
        elif mk == MeasKind.AZEL:
            z = np.array([[d.values[1], d.values[2]] for d in sel])
            sig = np.array([[d.sigmas[1], d.sigmas[2]] for d in sel])
        else:
            z = np.array([[d.values[1]] for d in sel])
            sig = np.array([[d.sigmas[1]] for d in sel])
        R = np.zeros((m, dim, dim))
        for i in range(sig.shape[1]):
            R[:, i, i] = sig[:, i] ** 2
        parts.append(DetectionBatch.create(
            t=[d.t_s for d in sel], sensor=np.array([d.row for d in sel], np.int32),
            meas_kind=mk, z=z, R=R, truth_id=np.full(m, -1, np.int32),
            class_label=np.array([d.label for d in sel], np.int16)))
    return DetectionBatch.concat(parts)


def registration_message(node_id: str, name: str, node_type: str, *,
                         status_interval_s: float = 5.0, max_latency_s: float = 1.0,
                         track_info: tuple[tuple[str, str], ...] = (),
                         t: datetime | None = None) -> Any:
    """A minimal valid Registration (used by the ASM simulator and the tests);
    ``track_info``: (type, units) of the extra track fields its detection reports carry,
    declared in the default mode's detection definition (range-bearing, true north)."""
    P = pb()
    R = P.Registration
    dd = [R.DetectionDefinition(
        location_type=R.LocationType(range_bearing_units=1, range_bearing_datum=1),
        detection_report=[R.DetectionReport(
            category=R.DetectionReportCategory.Value("DETECTION_REPORT_CATEGORY_TRACK"),
            type=typ, units=units) for typ, units in track_info])] if track_info else []
    reg = R(node_definition=[R.NodeDefinition(node_type=R.NodeType.Value(node_type))],
            icd_version="BSI Flex 335 v2.0", name=name, short_name=name[:16],
            capabilities=[R.Capability(category="dronewall", type="simulated", value="yes")],
            status_definition=R.StatusDefinition(status_interval=R.Duration(
                units=R.TimeUnits.Value("TIME_UNITS_SECONDS"), value=status_interval_s)),
            mode_definition=[R.ModeDefinition(
                mode_name="default", mode_type=R.ModeType.Value("MODE_TYPE_DEFAULT"),
                settle_time=R.Duration(units=R.TimeUnits.Value("TIME_UNITS_SECONDS"), value=0),
                maximum_latency=R.Duration(units=R.TimeUnits.Value("TIME_UNITS_SECONDS"),
                                           value=max_latency_s),
                detection_definition=dd)])
    m = P.SapientMessage(node_id=node_id, registration=reg)
    stamp(m, t)
    return m
