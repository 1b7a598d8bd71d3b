"""Progress helper: plain lines in logs at least every interval, counts, failures, estimates."""

from __future__ import annotations

import io
import time

from dronewall.pipeline.progress import Progress, format_duration


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_format_duration() -> None:
    assert format_duration(0.4) == "0 s"
    assert format_duration(45) == "45 s"
    assert format_duration(130) == "2 min 10 s"
    assert format_duration(180) == "3 min"
    assert format_duration(3900) == "1 h 05 min"
    assert format_duration(float("nan")) == "?"


def test_line_counts_failures_and_estimate() -> None:
    clock, out = FakeClock(), io.StringIO()
    p = Progress(8, "study", "runs", stream=out, tty=False, clock=clock, interval_s=10,
                 min_gap_s=0)
    p.start()
    assert out.getvalue().splitlines() == ["study: 0/8 runs done, 0 s elapsed, "
                                           "estimating time left"]
    clock.t += 130
    p.advance()
    p.advance(2, failed=1)
    # 3 done in 130 s -> 5 left take 5 * 130 / 3 = 216.7 s
    assert out.getvalue().splitlines()[-1] == ("study: 3/8 runs done, 1 failed, 2 min 10 s "
                                               "elapsed, ~3 min 37 s left")
    # 40 s later, nothing new: the same pace, 40 s closer (not the mean rate over 170 s)
    clock.t += 40
    assert p.line() == "study: 3/8 runs done, 1 failed, 2 min 50 s elapsed, ~2 min 57 s left"
    clock.t += 200          # past that estimate
    assert p.line().endswith(", finishing")
    clock.t -= 170
    p.update(8, failed=1)  # all done: no estimate line, the final line follows at close
    assert len(out.getvalue().splitlines()) == 3
    p.close()
    assert out.getvalue().splitlines()[-1] == "study: 8/8 runs done, 1 failed, 3 min 20 s elapsed"
    p.close()  # idempotent
    assert len(out.getvalue().splitlines()) == 4


def test_runs_finishing_in_batches_do_not_stretch_the_estimate() -> None:
    """Two workers, four runs of ~3 min: two finish at 3 min; at 5 min the last two are
    due in ~1 min -- the mean rate over the whole elapsed time said ~5 min."""
    clock, out = FakeClock(), io.StringIO()
    p = Progress(4, "study", "runs", stream=out, tty=False, clock=clock, interval_s=10,
                 min_gap_s=0)
    p.start()
    clock.t += 180
    p.advance(2)
    clock.t += 120
    assert p.remaining_s() == 60.0
    assert p.line().endswith("5 min elapsed, ~1 min left")
    p.close()


def test_a_simulation_reports_its_pace() -> None:
    clock, out = FakeClock(), io.StringIO()
    p = Progress(3600, "simulate", "s simulated", stream=out, tty=False, clock=clock,
                 interval_s=10, min_gap_s=0)
    p.start()
    clock.t += 60
    p.update(600.0)                  # 10 s simulated per second
    assert p.remaining_s() == 300.0
    clock.t += 5
    assert p.remaining_s() == 295.0
    p.close()


def test_heartbeat_writes_lines_without_progress() -> None:
    out = io.StringIO()
    with Progress(100, "simulate", "s simulated", stream=out, tty=False, interval_s=0.1):
        time.sleep(0.55)
    lines = out.getvalue().splitlines()
    # first line, >= 3 heartbeats while nothing advanced, final line
    assert len(lines) >= 5, lines
    assert all(ln.startswith("simulate: 0/100 s simulated done") for ln in lines)


def test_min_gap_limits_lines_from_fast_work() -> None:
    clock, out = FakeClock(), io.StringIO()
    with Progress(1000, "study", stream=out, tty=False, clock=clock, interval_s=60,
                  min_gap_s=2) as p:
        for _ in range(1000):
            clock.t += 0.01  # 10 s in all
            p.advance()
    lines = out.getvalue().splitlines()
    assert 5 <= len(lines) <= 8, lines  # first, ~one per 2 s, final
    assert lines[-1].startswith("study: 1000/1000 runs done")


def test_disabled_prints_nothing() -> None:
    out = io.StringIO()
    with Progress(3, "study", stream=out, tty=False, enabled=False, interval_s=0.01) as p:
        p.advance(3)
        time.sleep(0.05)
    assert out.getvalue() == ""


def test_terminal_gets_a_bar() -> None:
    out = io.StringIO()
    with Progress(4, "study", stream=out, tty=True) as p:
        p.advance(4)
    text = out.getvalue()
    assert "4/4" in text and "study" in text and "runs done" not in text
