"""What the live picture sends besides alert text: which tracks count as named by Remote ID
alone, and which tracks the threat panel lists (``server.picture``)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np


def test_remote_id_only_picks_tracks_named_by_remote_id_alone() -> None:
    from dronewall.detections import SensorKind
    from dronewall.server.picture import remote_id_only

    ls = np.full((3, 7), np.nan)
    ls[0, int(SensorKind.REMOTE_ID)] = 5.0                      # a Remote ID drone
    ls[1, int(SensorKind.ADSB)] = 5.0                           # an airliner
    ls[2, int(SensorKind.REMOTE_ID)] = ls[2, int(SensorKind.ADSB)] = 5.0
    pic = SimpleNamespace(ids=np.array([4, 5, 6]), tracks=SimpleNamespace(last_seen=ls),
                          identity=np.array(["1596F5AB12", "4ca123", "4ca124"], dtype=object))
    assert remote_id_only(SimpleNamespace(picture=pic)) == {4: "1596F5AB12"}
    assert remote_id_only(SimpleNamespace(picture=None)) == {}


def test_the_threat_panel_lists_only_tracks_that_threaten_something() -> None:
    """Birds and trusted cooperative traffic score 0: the live threat list leaves them out
    (as simulate's threats.csv does) instead of ranking a dozen gulls under the drones."""
    from dronewall.engagement.threat import ThreatAssessment
    from dronewall.server.picture import StepView

    n = 4
    ta = ThreatAssessment(ids=np.array([10, 11, 12, 13]), score=np.array([0.0, 5e5, 0.0, 1e6]),
                          rank=np.array([3, 2, 4, 1]), lethality=np.zeros(n),
                          value_at_risk_eur=np.zeros(n), asset=np.full(n, -1),
                          t_go_s=np.full(n, np.nan), cpa_m=np.full(n, np.nan),
                          p_reach=np.zeros(n), inbound=np.zeros(n, bool),
                          violation_p=np.ones(n))
    rows = StepView.threats(SimpleNamespace(asset_names=[]), SimpleNamespace(threats=ta))
    assert [r["track_id"] for r in rows] == [13, 11]
