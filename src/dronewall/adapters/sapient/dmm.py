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
sigmas (scenario ``sigma_*``) and else defaults [E] (``reports.py``, which does the
conversions). A radar's Doppler has no field of its own in v2.0 (the velocity oneof holds only
an ENU vector): it travels as a ``track_info`` entry of type ``radialVelocity`` (decimal m/s
as the value, positive when the range opens, 1-sigma in ``error``), which a node may declare
in its registration's detection definition (category TRACK, units ``m/s`` or ``km/h``); it
becomes the RADAR row's range rate. Not supported yet (rejected with the reason, never
guessed): UTM coordinates, geoid datum heights, magnetic/grid/platform north. A node whose
status reports a location more than ``MAX_NODE_OFFSET_M`` from its bound sensor has its
range-bearing reports rejected (they would be placed wrongly).

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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dronewall.adapters.counters import MessageCounters
from dronewall.adapters.sapient.classes import label_for
from dronewall.adapters.sapient.reports import (
    MAX_NODE_OFFSET_M as MAX_NODE_OFFSET_M,  # re-exported: the fusion node's limits
)
from dronewall.adapters.sapient.reports import Binding as Binding
from dronewall.adapters.sapient.reports import SapientDetection as SapientDetection
from dronewall.adapters.sapient.reports import (
    declared_radial_velocity,
    latlonalt,
    location_values,
    radial_velocity,
    range_bearing,
)
from dronewall.adapters.sapient.reports import detections_to_batch as detections_to_batch
from dronewall.adapters.sapient.wire import is_ulid, is_uuid, new_ulid, pb, stamp

MAX_NODES = 10_000
#: Alerts and task states kept per node (the newest).
MAX_KEPT = 100


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
    #: session time of its last accepted status or detection report, s (its liveness)
    last_report_t: float = float("-inf")


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
        if kind in ("status_report", "detection_report"):
            assert node is not None
            node.last_report_t = max(node.last_report_t, float(t_s))
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
        rv_scale = declared_radial_velocity(r)
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
            loc = latlonalt(a.location)
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
            loc = latlonalt(s.node_location)
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
        conv = (location_values(d.location) if which == "location"
                else range_bearing(d.range_bearing, node.location, b))
        if isinstance(conv, str):   # counted by kind (no numbers: bounded reasons)
            self.counters.reject("sapient: detection_report: "
                                 + re.sub(r"[0-9.]+", "#", conv.split(":")[0])[:60])
            return self._error(h, msg.node_id, payload, [conv])
        values, sigmas = conv
        if which == "range_bearing":
            rv = radial_velocity(d.track_info, node.radial_velocity_scale, b)
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
