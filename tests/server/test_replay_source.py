"""``serve --replay RUN_DIR``: the detections a ``simulate`` run wrote, fed through the live
chain step by step, are recorded unchanged and give the same picture as a live scenario run."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
from serverkit import SCENARIO
from sqlalchemy import func, select

from dronewall.server.app import build_state
from dronewall.server.settings import Settings
from dronewall.store import schema as S


def test_replay_of_a_simulate_run_dir(tmp_path: Path) -> None:
    from dronewall.pipeline.simulate import run_simulation

    run = tmp_path / "run"
    run_simulation(SCENARIO, run, duration_s=100, engage=False, compare_doctrines=False)
    st = build_state(Settings(db=str(tmp_path / "s.db"), scenario=SCENARIO,
                              replay=str(run), speed=1000.0))
    st.hub.publish = lambda kind, msg: None  # type: ignore[method-assign]
    st.runner.start()
    t_end = time.time() + 180
    while st.runner.state.status not in ("finished", "failed") and time.time() < t_end:
        time.sleep(0.2)
    assert st.runner.state.status == "finished", st.runner.state.error
    det = pacsv.read_csv(run / "detections.csv").to_pydict()
    sid = st.session.session_id
    with st.store.engine.connect() as c:
        n = c.execute(select(func.count()).select_from(S.detections).where(
            S.detections.c.session_id == sid)).scalar()
        z0 = np.array(c.execute(select(S.detections.c.z0).where(
            S.detections.c.session_id == sid).order_by(S.detections.c.t_s,
                                                       S.detections.c.id)).scalars().all())
        tracks = c.execute(select(func.count(func.distinct(S.track_states.c.track_id))).where(
            S.track_states.c.session_id == sid)).scalar()
    assert n == len(det["t_s"]) > 100
    order = np.lexsort((np.arange(n), np.asarray(det["t_s"])))
    assert np.allclose(z0, np.asarray(det["z0"], float)[order], equal_nan=True)
    assert tracks >= 2
    assert st.source_desc["mode"] == "replay"
