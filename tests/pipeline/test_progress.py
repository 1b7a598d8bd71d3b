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
    clock.t += 70
    p.update(8, failed=1)  # all done: no estimate line, the final line follows at close
    assert len(out.getvalue().splitlines()) == 3
    p.close()
    assert out.getvalue().splitlines()[-1] == "study: 8/8 runs done, 1 failed, 3 min 20 s elapsed"
    p.close()  # idempotent
    assert len(out.getvalue().splitlines()) == 4


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
