"""``dronewall listen adsb``: a receiver feed over a real loopback socket and from a file."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
import modes_encode as enc  # noqa: E402

from dronewall.cli.main import app  # noqa: E402

pytest.importorskip("pyModeS")


def _serve_once(payload: bytes) -> tuple[int, threading.Thread]:
    """A one-connection receiver on 127.0.0.1 that sends ``payload`` and closes."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]

    def run() -> None:
        conn, _ = srv.accept()
        with conn:
            for i in range(0, len(payload), 50):   # small writes: frames split across reads
                conn.sendall(payload[i:i + 50])
        srv.close()

    th = threading.Thread(target=run, daemon=True)
    th.start()
    return port, th


def test_listen_beast_over_a_socket_prints_each_message_and_the_counts() -> None:
    msgs = enc.flight(0x48AE01, "LOT3920", 52.1, 21.0, 35000, 230.0, 15.0, 10)
    payload = b"noise" + b"".join(enc.beast(h, t) for t, h, _ in msgs)
    port, th = _serve_once(payload)
    res = CliRunner().invoke(app, ["listen", "adsb", "--format", "beast", "--connect",
                                   f"127.0.0.1:{port}", "--max-messages", str(len(msgs))])
    th.join(5)
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.output.splitlines() if "DF17" in ln]
    assert len(lines) == len(msgs)
    pos = [ln for ln in lines if "TC11" in ln and "LOT3920" in ln]
    assert pos and "52.1" in pos[-1] and "48ae01" in pos[-1]
    assert f"accepted {len(msgs)}" in lines[-1]
    assert f"total: accepted {len(msgs)}  rejected 0  malformed 1" in res.output
    assert "beast: bytes outside a frame" in res.output


def test_listen_reads_a_recording_with_its_receiver_clock(tmp_path: Path) -> None:
    msgs = enc.flight(0x3C6DD2, "DLH4AB", 50.0, 20.0, 30000, -200.0, 0.0, 8)
    f = tmp_path / "capture.avr"
    f.write_text("\n".join(enc.avr(h, t) for t, h, _ in msgs) + "\nnot a frame\n")
    res = CliRunner().invoke(app, ["listen", "adsb", "--format", "avr", "--file", str(f),
                                   "--quiet"])
    assert res.exit_code == 0, res.output
    assert f"total: accepted {len(msgs)}  rejected 0  malformed 1" in res.output
    assert "DF17" not in res.output   # --quiet


@pytest.mark.parametrize("args,needle", [
    (["--format", "asterix"], "--format 'asterix'"),
    (["--connect", "127.0.0.1:notaport"], "port 'notaport' is not a number"),
    (["--connect", "127.0.0.1:70000"], "outside 1-65535"),
    (["--file", "/nonexistent/capture.bin"], "no such file"),
])
def test_listen_bad_options_exit_2_with_a_clear_message(args: list[str], needle: str) -> None:
    res = subprocess.run([sys.executable, "-m", "dronewall.cli.main", "listen", "adsb", *args],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2, res.stderr
    assert needle in res.stderr and "internal error" not in res.stderr
