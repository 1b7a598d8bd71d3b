"""The server reports its memory floor: the resident size right after each periodic
``malloc_trim`` between steps (``/api/v1/sources`` -> memory), which is what a leak raises."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from serverkit import SCENARIO


def test_memory_floor_is_sampled_after_trims(tmp_path: Path) -> None:
    from dronewall.server.api import _memory
    from dronewall.server.app import build_state
    from dronewall.server.memory import rss_mib
    from dronewall.server.settings import Settings

    if rss_mib() is None:
        pytest.skip("no /proc")
    st = build_state(Settings(db=str(tmp_path / "s.db"), scenario=SCENARIO, speed=100.0,
                              engage=False))
    st.hub.publish = lambda kind, msg: None  # type: ignore[method-assign]
    st.runner.trimmer.every_s = 0.0   # trim after every step, from the first
    st.runner.trimmer._next = 0.0
    try:
        st.runner.start()
        t_end = time.time() + 120
        while time.time() < t_end and len(st.runner.rss_after_trim) < 5:
            time.sleep(0.1)
    finally:
        st.runner.stop()
    m = _memory(st.runner)
    if st.runner.trimmer._lib is None:
        pytest.skip("not glibc")
    assert m["trims"] >= 5 and len(st.runner.rss_after_trim) >= 5
    # samples of different moments: the floor is a sane size, not an upper bound of "now"
    assert 10 < m["rss_after_trim_mib"] < 4096 and m["rss_after_trim_first_mib"] > 10


def test_the_scratch_folder_goes_with_the_server(tmp_path: Path) -> None:
    """Each server makes a scratch folder for its chain; shutting the app down removes it
    (a thousand test or operator restarts left a thousand empty folders in /tmp)."""
    from fastapi.testclient import TestClient

    from dronewall.server.app import build_state, create_app
    from dronewall.server.settings import Settings

    st = build_state(Settings(db=str(tmp_path / "s.db"), scenario=SCENARIO, engage=False))
    assert st.scratch is not None
    folder = Path(st.scratch.name)
    assert folder.is_dir() and folder.name.startswith("dronewall-serve-")
    with TestClient(create_app(state=st, start_runner=False)) as c:
        assert c.get("/api/v1/health").status_code == 200
        assert folder.is_dir()
    assert not folder.exists()
    st.store.close()
