"""The sensor suite of a scenario: one :class:`SensorTable` row per physical sensor (acoustic
grids expanded into nodes ``<grid id>-<k>``) and one vectorised model per sensor kind.

``SensorSuite.observe(state, platforms)`` is called once per truth step, in non-decreasing time;
each sensor reports only when due (its scan/report period, with a fixed per-sensor phase), and
the returned :class:`DetectionBatch` holds every report made at ``state.t``, in a fixed order:
radar, acoustic, RF, EO/IR, cooperative (within a kind: target reports, then false alarms).
Random draws come from the suite's ``rng`` only, so the same inputs and seed give identical
batches.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dronewall.detections import DetectionBatch, SensorKind, SensorTable
from dronewall.detections.health import SensorHealth
from dronewall.scenario.model import (
    AcousticGridSpec,
    AcousticNodeSpec,
    CooperativeSpec,
    EOIRSpec,
    OutageSpec,
    RadarSpec,
    RFSpec,
    Scenario,
    SensorHealthSpec,
    SpoofSpec,
)
from dronewall.sensors.acoustic import AcousticModel, expand_nodes
from dronewall.sensors.cooperative import CooperativeModel
from dronewall.sensors.eoir import EOIRModel
from dronewall.sensors.radar import RadarModel
from dronewall.sensors.rf import RFModel
from dronewall.sensors.status import SensorStatusModel
from dronewall.sim.state import PlatformTable, TruthState

SensorSpecT = RadarSpec | AcousticNodeSpec | AcousticGridSpec | RFSpec | EOIRSpec | CooperativeSpec

_KIND: dict[type, SensorKind] = {
    RadarSpec: SensorKind.RADAR, AcousticNodeSpec: SensorKind.ACOUSTIC,
    RFSpec: SensorKind.RF, EOIRSpec: SensorKind.EOIR,
}


class SensorSuite:
    """All simulated sensors of a scenario.

    Attributes: ``table`` (the :class:`SensorTable`, S rows, scenario order with grids expanded
    in place), and the per-kind models ``radar``, ``acoustic``, ``rf``, ``eoir``,
    ``cooperative`` (each knows its rows of the table).
    """

    def __init__(self, sensors: Sequence[SensorSpecT], rng: np.random.Generator,
                 spoofing: Sequence[SpoofSpec] = (), outages: Sequence[OutageSpec] = (),
                 health: SensorHealthSpec | None = None, duration_s: float = 0.0) -> None:
        self.rng = rng
        ac_specs = [s for s in sensors if isinstance(s, (AcousticNodeSpec, AcousticGridSpec))]
        layout = expand_nodes(ac_specs)
        ac_rows_of: dict[str, list[int]] = {}
        ids: list[str] = []
        kinds: list[SensorKind] = []
        lat: list[float] = []
        lon: list[float] = []
        alt: list[float] = []
        node = 0
        for s in sensors:
            if isinstance(s, (AcousticNodeSpec, AcousticGridSpec)):
                # nodes of this spec are contiguous in the layout, in scenario order
                start = node
                while node < len(layout.ids) and layout.params[node] is s:
                    node += 1
                ac_rows_of[s.id] = list(range(len(ids), len(ids) + node - start))
                ids += layout.ids[start:node]
                kinds += [SensorKind.ACOUSTIC] * (node - start)
                lat += layout.lat_deg[start:node].tolist()
                lon += layout.lon_deg[start:node].tolist()
                alt += layout.height_m[start:node].tolist()
                continue
            ids.append(s.id)
            if isinstance(s, CooperativeSpec):
                kinds.append(SensorKind.ADSB if s.type == "adsb" else SensorKind.REMOTE_ID)
            else:
                kinds.append(_KIND[type(s)])
            lat.append(s.position[0])
            lon.append(s.position[1])
            alt.append(s.height_m)
        self.table = SensorTable.build(ids, kinds, lat, lon, alt)
        tab = self.table

        def rows_of(cls: type | tuple[type, ...]) -> tuple[list, np.ndarray]:
            specs = [s for s in sensors if isinstance(s, cls)]
            index = tab.index()
            return specs, np.array([index[s.id] for s in specs], dtype=np.int32)

        r_specs, r_rows = rows_of(RadarSpec)
        self.radar = RadarModel(r_specs, r_rows, tab.ecef[r_rows], tab.rot[r_rows])
        a_rows = np.array([r for s in ac_specs for r in ac_rows_of[s.id]], dtype=np.int32)
        self.acoustic = AcousticModel(layout, a_rows, tab.ecef[a_rows], tab.rot[a_rows])
        f_specs, f_rows = rows_of(RFSpec)
        self.rf = RFModel(f_specs, f_rows, tab.ecef[f_rows], tab.rot[f_rows])
        e_specs, e_rows = rows_of(EOIRSpec)
        self.eoir = EOIRModel(e_specs, e_rows, tab.ecef[e_rows], tab.rot[e_rows])
        c_specs, c_rows = rows_of(CooperativeSpec)
        self.cooperative = CooperativeModel(c_specs, c_rows, tab.ecef[c_rows], spoofing)
        #: outages and the status channel (``sensors.status``)
        self.status = SensorStatusModel(tab, outages, health, rng, duration_s)

    @classmethod
    def from_scenario(cls, scenario: Scenario, rng: np.random.Generator) -> SensorSuite:
        """Sensors and spoofing of ``scenario``; ``rng`` drives every random draw."""
        return cls(list(scenario.sensors), rng, list(scenario.spoofing),
                   list(scenario.outages), scenario.sensor_health,
                   float(scenario.time.duration_s))

    def reset(self) -> None:
        """Forget report history (schedules) so observe() can start again from any time."""
        for m in self._models():
            m.reset()
        self.status.reset()

    def _models(self) -> list[RadarModel | AcousticModel | RFModel | EOIRModel | CooperativeModel]:
        return [self.radar, self.acoustic, self.rf, self.eoir, self.cooperative]

    def observe(self, state: TruthState, platforms: PlatformTable) -> DetectionBatch:
        """All reports due at ``state.t`` (s). Call once per truth step, in non-decreasing time."""
        if state.ecef.shape != (len(platforms), 3):
            raise ValueError(f"TruthState has {state.ecef.shape[0]} platforms, PlatformTable "
                             f"{len(platforms)}")
        return self.status.filter(DetectionBatch.concat(
            [m.observe(state, platforms, self.rng) for m in self._models() if len(m)]), state.t)

    def health(self) -> SensorHealth:
        """The picture's liveness monitor for this suite: every sensor has a status channel
        (``status.reports``), stale after the scenario's ``sensor_health.stale_after_s``."""
        return SensorHealth(len(self.table), self.status.health.stale_after_s)
