"""``dronewall serve --live``: an ADS-B receiver on loopback feeds the live chain; the aircraft
becomes a track with its identity, is recorded, and the adapter's counts are served."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parent))
import modes_encode as enc  # noqa: E402

from dronewall.errors import InputError  # noqa: E402

pytest.importorskip("pyModeS")
pytest.importorskip("fastapi")

SITE = Path(__file__).parent / "data" / "adsb-site.yaml"


class FakeBeastReceiver:
    """A dump1090-like Beast server on 127.0.0.1 that plays a flight in real time."""

    def __init__(self, msgs: list[tuple[float, str, tuple[float, float, float]]]) -> None:
        self.msgs = msgs
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(1)
        self.port = self.srv.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        self.srv.settimeout(0.5)
        while not self.stop.is_set():
            try:
                conn, _ = self.srv.accept()
            except TimeoutError:
                continue
            t0 = time.monotonic()
            with conn, contextlib.suppress(OSError):   # the server may hang up first
                conn.sendall(b"\x1a\x39garbage")          # one malformed frame first
                for t, h, _ in self.msgs:
                    while time.monotonic() - t0 < t and not self.stop.is_set():
                        time.sleep(0.02)
                    if self.stop.is_set():
                        return
                    conn.sendall(enc.beast(h, t))
                self.stop.wait()

    def close(self) -> None:
        self.stop.set()
        self.srv.close()


def test_live_adsb_feed_becomes_a_recorded_track_with_its_identity(tmp_path: Path) -> None:
    from dronewall.server.app import build_state
    from dronewall.server.settings import Settings
    from dronewall.store import schema as S

    # 15 km north-west of the receiver, flying east at 200 m/s
    msgs = enc.flight(0x48AE01, "LOT3920", 50.20, 21.85, 12000, 200.0, 0.0, 12)
    rx = FakeBeastReceiver(msgs)
    cfg = tmp_path / "live.yaml"
    cfg.write_text("adapters:\n"
                   f"  - {{id: rx1, protocol: adsb, format: beast, "
                   f"connect: '127.0.0.1:{rx.port}', sensor: adsb-eprz}}\n")
    st = build_state(Settings(db=str(tmp_path / "s.db"), scenario=SITE, live=cfg,
                              engage=False))
    published: list[dict] = []
    st.hub.publish = lambda kind, msg: published.append(msg)  # type: ignore[method-assign]
    try:
        st.runner.start()
        t_end = time.time() + 30
        while time.time() < t_end:
            tracks = st.runner.state.tracks
            if tracks and "48ae01" in tracks.get("coop", []):
                break
            time.sleep(0.2)
        time.sleep(3.0)   # a few more steps recorded
        state = st.runner.state
        assert state.status == "running", state.error
        ids = state.tracks.get("coop", [])
        assert "48ae01" in ids, state.tracks.keys()
        src = st.runner.source.status()[0]
        assert src["connected"] and src["messages"]["accepted"] > 10
        assert src["messages"]["malformed_by_reason"] == {
            "beast: unknown frame type 0x39": 1, "beast: bytes outside a frame": 1}
    finally:
        st.runner.source.close()
        st.runner.stop()
        rx.close()
    sid = st.session.session_id
    with st.store.engine.connect() as c:
        n_det = c.execute(select(func.count()).select_from(S.detections).where(
            S.detections.c.session_id == sid)).scalar()
        idents = set(c.execute(select(S.detections.c.identity).where(
            S.detections.c.session_id == sid)).scalars().all())
    assert n_det > 5 and idents == {"48ae01"}
    assert st.source_desc["mode"] == "live"
    # session time is the wall clock: the session's epoch is now, not the site file's start
    assert st.session.epoch_utc.startswith(time.strftime("%Y-%m-%d", time.gmtime()))


@pytest.mark.parametrize("text,needle", [
    ("adapters: []\n", "adapters"),
    ("adapters:\n  - {id: a, protocol: adsb, format: beast, connect: 'x:1', sensor: nope}\n",
     "'nope' is not a sensor of the site"),
    ("adapters:\n  - {id: a, protocol: adsb, format: beast, connect: 'x:1', sensor: radar-eprz}"
     "\n", "is a radar sensor"),
    ("adapters:\n  - {id: a, protocol: adsb, format: mlat, connect: 'x:1', sensor: adsb-eprz}\n",
     "line 2, field adapters[0].format"),
    ("adapters:\n  - {id: a, protocol: adsb, format: sbs, connect: 'x', sensor: adsb-eprz}\n",
     "expected HOST:PORT"),
    ("adapters:\n  - {id: a, protocol: adsb, format: sbs, connect: 'x:1', sensor: adsb-eprz,"
     " colour: red}\n", "unknown key"),
    ("adapters:\n  - {id: d, protocol: sapient, nodes: [{node: n, sensor: radar-eprz}],"
     " classes: {Drone: helicopter}}\n", "'helicopter' is not an engine class label"),
    ("adapters:\n  - {id: a, protocol: adsb, connect: 'x:1', sensor: adsb-eprz,"
     " classes: {Bird: bird}}\n", "only for a sapient adapter"),
])
def test_bad_live_configs_are_clear_input_errors(tmp_path: Path, text: str, needle: str) -> None:
    from dronewall.server.app import build_state
    from dronewall.server.settings import Settings

    cfg = tmp_path / "live.yaml"
    cfg.write_text(text)
    with pytest.raises(InputError) as e:
        build_state(Settings(db=str(tmp_path / "s.db"), scenario=SITE, live=cfg))
    assert needle in str(e.value) and str(cfg) in str(e.value)


def test_live_remote_id_feed_gives_a_track_with_the_uas_id(tmp_path: Path) -> None:
    import rid_encode as rid

    from dronewall.server.app import build_state
    from dronewall.server.settings import Settings

    site = tmp_path / "site.yaml"
    site.write_text(SITE.read_text().replace(
        "sensors:\n", "sensors:\n  - {type: remote_id, id: rid-eprz, position: [50.11, 22.02], "
                      "height_m: 10, range_m: 5000}\n"))
    lines = []
    for k in range(40):   # a quad flying north at 10 m/s, 2 Hz packs
        lat = 50.12 + 10.0 * k * 0.5 / 111_200
        lines.append((k * 0.5, (rid.pack(rid.basic_id("1581F5FKD229C00A0BY1"),
                                         rid.system(50.119, 22.03, 210.0),
                                         rid.location(lat, 22.03, 150.0, speed=10.0,
                                                      course=0.0)).hex() + "\n").encode()))
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    stop = threading.Event()

    def serve() -> None:
        conn, _ = srv.accept()
        t0 = time.monotonic()
        with conn, contextlib.suppress(OSError):   # the server may hang up first
            for t, b in lines:
                while time.monotonic() - t0 < t and not stop.is_set():
                    time.sleep(0.02)
                conn.sendall(b)
            stop.wait()

    threading.Thread(target=serve, daemon=True).start()
    cfg = tmp_path / "live.yaml"
    cfg.write_text(f"adapters:\n  - {{id: rid1, protocol: remote_id, connect: "
                   f"'127.0.0.1:{srv.getsockname()[1]}', sensor: rid-eprz}}\n")
    st = build_state(Settings(db=str(tmp_path / "s.db"), scenario=site, live=cfg,
                              engage=False))
    st.hub.publish = lambda kind, msg: None  # type: ignore[method-assign]
    try:
        st.runner.start()
        t_end = time.time() + 30
        while time.time() < t_end and "1581F5FKD229C00A0BY1" not in (
                st.runner.state.tracks or {}).get("coop", []):
            time.sleep(0.2)
        assert "1581F5FKD229C00A0BY1" in st.runner.state.tracks.get("coop", [])
        a = st.runner.source.status()[0]
        assert a["format"] == "odid" and a["messages"]["accepted"] >= 6
    finally:
        st.runner.source.close()
        st.runner.stop()
        stop.set()
        srv.close()


def test_the_documented_all_protocols_live_config_is_valid_for_the_copenhagen_site(
        tmp_path: Path) -> None:
    import re

    from dronewall.scenario import load_scenario
    from dronewall.scenario.live import check_against_site, load_live_config

    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs" / "interop.md").read_text()
    block = re.search(r"Every protocol at once.*?```yaml\n(.*?)```", doc, re.S)
    assert block is not None
    cfg = tmp_path / "live.yaml"
    cfg.write_text(block.group(1))
    c = load_live_config(cfg)
    check_against_site(c, load_scenario(root / "scenarios" / "copenhagen-2025-09-22.yaml"),
                       str(cfg))
    assert {a.protocol for a in c.adapters} == {"adsb", "remote_id", "sapient", "asterix"}
    assert {o.protocol for o in c.outputs} == {"cot", "sapient"}


def test_the_runner_does_not_pace_a_source_that_keeps_the_wall_clock() -> None:
    """Live feeds hand a step over when it ends on the wall clock; the runner must not pace
    again from the first hand-over (a late first step -- start-up -- delayed every later
    step by as much, and a track confirmed a second late)."""
    import threading

    from dronewall.server.feeds import LiveFeedsSource
    from dronewall.server.runner import Runner

    def runner_for(source: object) -> Runner:
        r = Runner.__new__(Runner)      # only what _pace uses
        r.source, r.fast_until_s, r._anchor, r.speed = source, 0.0, None, 1.0
        r.stop_evt, r.pause_evt = threading.Event(), threading.Event()
        return r

    class Simulated:    # a scenario source: the runner is its clock
        pass

    assert LiveFeedsSource.wall_clock is True
    live, sim = runner_for(LiveFeedsSource.__new__(LiveFeedsSource)), runner_for(Simulated())
    for r in (live, sim):
        r._pace(1.0)                    # the first step, handed over late
    time.sleep(0.3)
    t0 = time.monotonic()
    live._pace(2.0)
    assert time.monotonic() - t0 < 0.05
    t0 = time.monotonic()
    sim._pace(2.0)                      # the simulated source is paced: ~0.7 s more
    assert time.monotonic() - t0 > 0.5


def test_a_report_stamped_after_the_step_end_goes_to_the_next_step_unchanged() -> None:
    """The drain of a step may run late on a busy machine: reports stamped after the step's
    end are carried to the next step with their own times (they were re-stamped to the step
    end, which split one sensor scan across two steps)."""
    import threading

    import numpy as np

    from dronewall.detections import DetectionBatch, MeasKind
    from dronewall.server.feeds import LiveFeedsSource

    class Fake:
        def to_batch(self, times: list[float]) -> DetectionBatch:
            m = len(times)
            return DetectionBatch.create(
                t=times, sensor=np.zeros(m, np.int32), meas_kind=MeasKind.BEARING,
                z=np.zeros((m, 1)), R=np.full((m, 1, 1), 1e-4),
                truth_id=np.full(m, -1, np.int32))

    src = LiveFeedsSource.__new__(LiveFeedsSource)     # no adapters: fed by hand
    src.step_s, src.epoch, src._k, src._started = 1.0, time.time() - 10.0, 0, True
    src.stop_evt, src._lock, src.adapters = threading.Event(), threading.Lock(), []
    src._pending, src._n_pending, src._carry = [(Fake(), [0.40, 0.41, 1.01, 1.02])], 4, []
    t1, b1 = src.next()
    assert t1 == 1.0 and b1.t.tolist() == [0.40, 0.41]
    src._pending = [(Fake(), [1.50])]
    t2, b2 = src.next()
    assert t2 == 2.0 and sorted(b2.t.tolist()) == [1.01, 1.02, 1.50]
