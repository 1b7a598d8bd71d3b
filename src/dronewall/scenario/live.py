"""Live config: which wire feeds drive ``dronewall serve --live FILE`` (docs/interop.md).

The site -- zones, sensors, effectors, rules of engagement -- is a scenario file (its traffic
is ignored in live mode); the live config binds each adapter to one of the site's sensors::

    adapters:
      - {id: adsb-north, protocol: adsb, format: beast, connect: "127.0.0.1:30005",
         sensor: adsb-ekch}

Validated like scenarios: unknown keys are errors, messages name file, line and field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from dronewall.catalog import PlatformClass
from dronewall.catalog.platforms import AcousticClass, MicroDoppler
from dronewall.errors import ScenarioError
from dronewall.inputs import excerpt, read_text
from dronewall.scenario.load import _cut, _fmt_loc, _loc_line, _short
from dronewall.scenario.model import Scenario, Strict

#: A live config is small; anything larger is not one (bytes).
MAX_LIVE_CONFIG_BYTES = 1_000_000
#: Adapters in one live config at most (each is a connection and a thread).
MAX_ADAPTERS = 64
#: Sensor type each protocol's detections belong to.
PROTOCOL_SENSOR_TYPE = {"adsb": "adsb", "remote_id": "remote_id"}
#: Site sensor types a SAPIENT node may be bound to (an acoustic grid: each of its nodes,
#: registering under its node name ``<grid id>-<k>``).
SAPIENT_SENSOR_TYPES = ("radar", "eoir", "rf", "acoustic", "acoustic_grid")
#: Wire formats per protocol (the first is the default).
PROTOCOL_FORMATS = {"adsb": ("beast", "sbs", "avr"), "remote_id": ("odid",),
                    "sapient": ("bsi_flex_335_v2",), "asterix": ("cat048_062",)}


#: Engine class label names a SAPIENT classification may map to (any sensor kind's).
_LABEL_NAMES = ({c.name.lower() for c in PlatformClass if c != PlatformClass.UNKNOWN}
                | {c.name.lower() for c in MicroDoppler if c.value >= 0}
                | {c.name.lower() for c in AcousticClass if c.value >= 0})


def _label_key(v: str) -> str:
    return re.sub(r"[\s_\-]+", "_", v.strip().lower())


def _check_hostport(v: str) -> str:
    host, sep, port = v.rpartition(":")
    if not sep or not host:
        raise ValueError("expected HOST:PORT, e.g. 127.0.0.1:30005")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"port {port!r} is not a number in 1-65535")
    return v


class NodeBinding(Strict):
    """A SAPIENT node (its UUID, or the name it registers with) and the site sensor it is --
    or, for an acoustic grid (``node`` left out), every node of the grid, each registering
    under its node name ``<grid id>-<k>`` (k = 0 .. nodes - 1, as the site numbers them)."""

    node: str | None = Field(default=None, min_length=1, max_length=100)
    sensor: str = Field(min_length=1)


class AsterixRadar(Strict):
    """An ASTERIX source (its SAC/SIC) and the site sensor its reports belong to."""

    sac: int = Field(ge=0, le=255)
    sic: int = Field(ge=0, le=255)
    sensor: str = Field(min_length=1)


class AdapterSpec(Strict):
    """One feed: a protocol, where to connect (or listen), and the site's sensor(s) it reports
    as."""

    id: str = Field(min_length=1, max_length=64)
    protocol: Literal["adsb", "remote_id", "sapient", "asterix"]
    format: Literal["sbs", "beast", "avr", "odid", "bsi_flex_335_v2", "cat048_062"] | None = Field(
        default=None, description="adsb: beast (30005, default), sbs (30003) or avr (30002); "
                                  "remote_id: odid (Open Drone ID lines, docs/interop.md); "
                                  "sapient: bsi_flex_335_v2; asterix: cat048_062 (UDP)")
    connect: str | None = Field(default=None, min_length=1, max_length=300,
                                description="adsb, remote_id: HOST:PORT of the receiver")
    sensor: str | None = Field(default=None, min_length=1,
                               description="adsb, remote_id: id of the site's receiver sensor")
    listen: str | None = Field(default=None, min_length=1, max_length=300,
                               description="sapient: HOST:PORT the fusion node listens on "
                                           "(TCP); asterix: HOST:PORT or multicast group (UDP)")
    nodes: list[NodeBinding] = Field(default=[], max_length=1000,
                                     description="sapient: the nodes accepted, bound to sensors")
    radars: list[AsterixRadar] = Field(default=[], max_length=1000,
                                       description="asterix: SAC/SIC bound to site sensors")
    classes: dict[str, str] = Field(
        default={}, max_length=200,
        description="sapient: the nodes' classification type strings -> engine label names "
                    "(camera: multirotor, bird, ...; radar: rotor, propeller, jet, wingbeat; "
                    "acoustic: electric_rotor, piston_prop, jet, bird); docs/interop.md")
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0, description=(
        "sapient: a classification below this confidence gives no class label"))

    @field_validator("connect", "listen")
    @classmethod
    def _hostport(cls, v: str | None) -> str | None:
        return None if v is None else _check_hostport(v)

    @model_validator(mode="after")
    def _format(self) -> AdapterSpec:
        allowed = PROTOCOL_FORMATS[self.protocol]
        if self.format is None:   # the protocol's default (the model is frozen)
            object.__setattr__(self, "format", allowed[0])
        elif self.format not in allowed:
            raise ValueError(f"format {self.format!r} is not a {self.protocol} format; "
                             f"expected one of {', '.join(allowed)}")
        if self.protocol == "asterix":
            if self.connect is not None or self.sensor is not None or self.nodes:
                raise ValueError("an asterix adapter listens for UDP ('listen: HOST:PORT') and "
                                 "binds 'radars:' ({sac, sic, sensor}) to site sensors")
            if not self.radars:
                raise ValueError("an asterix adapter needs 'radars:', at least one SAC/SIC "
                                 "bound to a site sensor ({sac: N, sic: N, sensor: ID})")
            if self.listen is None:
                object.__setattr__(self, "listen", "127.0.0.1:8600")
        elif self.protocol == "sapient":
            if self.connect is not None or self.sensor is not None or self.radars:
                raise ValueError("a sapient adapter does not connect to a sensor: it "
                                 "listens ('listen: HOST:PORT') and binds 'nodes:' to sensors")
            if not self.nodes:
                raise ValueError("a sapient adapter needs 'nodes:', at least one node bound "
                                 "to a site sensor ({node: UUID or name, sensor: ID})")
            bad = [v for v in self.classes.values() if _label_key(v) not in _LABEL_NAMES]
            if bad:
                raise ValueError(f"classes: {bad[0]!r} is not an engine class label; expected "
                                 "one of " + ", ".join(sorted(_LABEL_NAMES)))
            if self.listen is None:
                object.__setattr__(self, "listen", "127.0.0.1:5020")
        else:
            if self.classes:
                raise ValueError("'classes' maps SAPIENT classification types: only for a "
                                 "sapient adapter")
            if self.connect is None or self.sensor is None:
                raise ValueError(f"a {self.protocol} adapter needs 'connect: HOST:PORT' "
                                 "and 'sensor: ID'")
            if self.listen is not None or self.nodes or self.radars:
                raise ValueError(f"'listen', 'nodes' and 'radars' are for sapient / asterix "
                                 "adapters, not "
                                 f"{self.protocol}")
        return self


class OutputSpec(Strict):
    """A picture output: Cursor-on-Target events over UDP (TAK SA multicast by default), or
    SAPIENT detection reports to a higher fusion node over TCP."""

    protocol: Literal["cot", "sapient"]
    send: str | None = Field(default=None, min_length=1, max_length=300, description=(
        "HOST:PORT; cot: multicast group or unicast (default 239.2.3.1:6969), sapient: the "
        "parent fusion node (default 127.0.0.1:5020)"))
    every_s: float = Field(default=2.0, gt=0, le=3600, description="track reports period")
    stale_s: float = Field(default=30.0, gt=0, le=86_400, description="cot: stale time")
    ttl: int = Field(default=1, ge=0, le=255, description="cot: multicast time-to-live")

    @field_validator("send")
    @classmethod
    def _hostport(cls, v: str | None) -> str | None:
        return None if v is None else _check_hostport(v)

    @model_validator(mode="after")
    def _default_send(self) -> OutputSpec:
        if self.send is None:
            object.__setattr__(self, "send", "239.2.3.1:6969" if self.protocol == "cot"
                               else "127.0.0.1:5020")
        return self


class LiveConfig(Strict):
    adapters: list[AdapterSpec] = Field(default=[], max_length=MAX_ADAPTERS, description=(
        "wire feeds; none: the scenario's simulated sensors stay the source"))
    outputs: list[OutputSpec] = Field(default=[], max_length=MAX_ADAPTERS)
    max_reports_per_step: int = Field(
        default=20_000, ge=1, le=1_000_000,
        description="reports taken into one step at most; beyond it they are shed (counted)")

    @model_validator(mode="after")
    def _unique(self) -> LiveConfig:
        if not self.adapters and not self.outputs:
            raise ValueError("adapters: a live config needs at least one adapter or output")
        ids = [a.id for a in self.adapters]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"adapters: duplicate adapter id {dup[0]!r}")
        return self


def load_live_config(path: Path) -> LiveConfig:
    text = read_text(path, "live config", MAX_LIVE_CONFIG_BYTES)
    try:
        doc = YAML(typ="rt").load(text)
    except (YAMLError, ValueError, TypeError, RecursionError) as e:
        raise ScenarioError(f"{path}: not valid YAML: {excerpt(str(e), 300)}") from None
    if not isinstance(doc, CommentedMap):
        raise ScenarioError(f"{path}: a live config must be a YAML mapping with 'adapters:'")
    try:
        return LiveConfig.model_validate(doc)
    except ValidationError as exc:
        parts = []
        for err in exc.errors(include_url=False)[:5]:
            loc = tuple(err["loc"])
            line, value, found = _loc_line(doc, loc)
            where = f"line {line}" if line is not None else "top level"
            msg = _cut(err["msg"].removeprefix("Value error, "), 300)
            if err["type"] == "extra_forbidden":
                msg = "unknown key (typo?); it is not allowed here"
            elif err["type"] == "missing":
                msg = "required field is missing"
            elif found:
                msg = f"got {_short(value)}; {msg}"
            parts.append(f"{where}, field {_fmt_loc(loc)}: {msg}")
        raise ScenarioError(f"{path}: invalid live config: " + "; ".join(parts) + ".") from None


def check_against_site(cfg: LiveConfig, sc: Scenario, where: str) -> None:
    """Every adapter names a sensor of the site of the protocol's sensor type."""
    types = {s.id: s.type for s in sc.sensors}
    for i, a in enumerate(cfg.adapters):
        if a.protocol == "asterix":
            for j, rb in enumerate(a.radars):
                if types.get(rb.sensor) != "radar":
                    raise ScenarioError(
                        f"{where}: adapters[{i}].radars[{j}].sensor: {rb.sensor!r} is not a "
                        f"radar of the site {sc.name!r}; expected one of "
                        + (", ".join(k for k, t in types.items() if t == "radar")
                           or "(none declared)"))
            continue
        if a.protocol == "sapient":
            for j, nb in enumerate(a.nodes):
                if types.get(nb.sensor) not in SAPIENT_SENSOR_TYPES:
                    raise ScenarioError(
                        f"{where}: adapters[{i}].nodes[{j}].sensor: {nb.sensor!r} is not a "
                        f"radar, eoir, rf or acoustic sensor of the site {sc.name!r}; expected "
                        "one of "
                        + (", ".join(k for k, t in types.items() if t in SAPIENT_SENSOR_TYPES)
                           or "(none declared)"))
                grid = types[nb.sensor] == "acoustic_grid"
                if grid and nb.node is not None:
                    raise ScenarioError(
                        f"{where}: adapters[{i}].nodes[{j}]: {nb.sensor!r} is an acoustic grid: "
                        "leave 'node' out (its nodes register as "
                        f"{nb.sensor}-0, {nb.sensor}-1, ...)")
                if not grid and nb.node is None:
                    raise ScenarioError(
                        f"{where}: adapters[{i}].nodes[{j}].node: required field is missing "
                        f"(the UUID or name of the node that is sensor {nb.sensor!r})")
            continue
        want = PROTOCOL_SENSOR_TYPE[a.protocol]
        if a.sensor not in types:
            raise ScenarioError(
                f"{where}: adapters[{i}].sensor: {a.sensor!r} is not a sensor of the site "
                f"{sc.name!r}; expected one of its {want} sensors: "
                f"{', '.join(k for k, t in types.items() if t == want) or '(none declared)'}")
        if types[a.sensor] != want:
            raise ScenarioError(f"{where}: adapters[{i}].sensor: {a.sensor!r} is a "
                                f"{types[a.sensor]} sensor; protocol {a.protocol} reports "
                                f"as a {want} sensor")
