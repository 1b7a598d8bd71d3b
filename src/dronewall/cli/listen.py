"""``dronewall listen PROTOCOL``: one adapter alone, for integration days.

Prints one line per message received (type, sender, object id, position) with the running
count of accepted, rejected and malformed messages; ends with the counts by reason.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from dronewall.errors import InputError

listen_app = typer.Typer(help="Run one interop adapter alone and print what it receives "
                              "(docs/interop.md).", no_args_is_help=True)

#: Bytes read per file read.
CHUNK = 65536


def parse_hostport(value: str, default_port: int, option: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":") if ":" in value else (value, "", str(default_port))
    host = host.strip("[]") or "127.0.0.1"
    try:
        p = int(port)
    except ValueError:
        raise InputError(f"{option} {value!r}: port {port!r} is not a number; expected "
                         "HOST:PORT, e.g. 127.0.0.1:30003") from None
    if not 0 < p < 65536:
        raise InputError(f"{option} {value!r}: port {p} outside 1-65535")
    return host, p


def _fmt_line(h: object, counters: object) -> str:
    from dronewall.adapters.adsb_feed import Heard

    assert isinstance(h, Heard)
    r = h.report
    pos = (f"{r.lat_deg:9.5f} {r.lon_deg:10.5f} {r.alt_m:7.0f} m  sd {r.sigma_h_m:.0f} m"
           f"  {r.callsign or '-':8s}" if r is not None else "-")
    return (f"{datetime.now(UTC).strftime('%H:%M:%S.%f')[:-3]}  {h.kind:18s} {h.icao24 or '-':6s}"
            f"  {pos}  | {counters.line()}")  # type: ignore[attr-defined]


@listen_app.command("adsb")
def adsb(
    fmt: Annotated[str, typer.Option("--format", "-f",
                                     help="sbs (SBS-1 BaseStation, port 30003), beast (Beast "
                                          "binary, 30005) or avr (raw hex, 30002)")] = "sbs",
    connect: Annotated[str | None, typer.Option(
        "--connect", help="receiver to read, HOST:PORT (dump1090 / readsb serve these "
                          "formats; default 127.0.0.1 and the format's port)")] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", help="read a recording instead ('-' for stdin); times from the receiver "
                       "clock in the data")] = None,
    max_messages: Annotated[int | None, typer.Option(
        "--max-messages", min=1, help="stop after this many messages")] = None,
    duration: Annotated[float | None, typer.Option(
        "--duration", min=0.0, help="stop after this many seconds (network only)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                        help="only the final counts")] = False,
    receiver: Annotated[str | None, typer.Option(
        "--receiver", help="receiver position LAT,LON (deg): decodes surface positions of "
                           "aircraft on the ground (they need a reference within 45 NM)")
                        ] = None,
) -> None:
    """ADS-B / Mode S receiver feed: decode (pyModeS for Beast / AVR) and print each message."""
    from dronewall.adapters.adsb_feed import DEFAULT_PORTS, FORMATS, AdsbFeed

    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    _need_pymodes(fmt)
    at = None
    if receiver is not None:
        try:
            lat, lon = (float(v) for v in receiver.split(","))
        except ValueError:
            raise InputError(f"--receiver {receiver!r}: expected LAT,LON in degrees, e.g. "
                             "50.11,22.02") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InputError(f"--receiver {receiver!r}: latitude/longitude out of range")
        at = (lat, lon)
    feed = AdsbFeed(fmt, receiver_clock=file is not None, receiver_at=at)
    seen = 0

    def show(chunk: bytes) -> bool:
        nonlocal seen
        for h in feed.feed(chunk, time.time()):
            seen += 1
            if not quiet:
                print(_fmt_line(h, feed.counters), flush=True)
            if max_messages and seen >= max_messages:
                return False
        return True

    try:
        if file is not None:
            _read_file(file, show)
        else:
            host, port = parse_hostport(connect or "", DEFAULT_PORTS[fmt], "--connect")
            _read_socket(host, port, show, duration)
    except KeyboardInterrupt:
        pass
    _final(feed.counters)


@listen_app.command("remote-id")
def remote_id(
    connect: Annotated[str | None, typer.Option(
        "--connect", help="receiver to read, HOST:PORT: one Open Drone ID message, message "
                          "pack (hex) or JSON object per line")] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", help="read a recording instead ('-' for stdin)")] = None,
    max_messages: Annotated[int | None, typer.Option(
        "--max-messages", min=1, help="stop after this many lines")] = None,
    duration: Annotated[float | None, typer.Option(
        "--duration", min=0.0, help="stop after this many seconds (network only)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                        help="only the final counts")] = False,
) -> None:
    """Remote ID (ASTM F3411 / Open Drone ID) receiver feed: decode and print each message."""
    from dronewall.adapters.lines import LineSplitter
    from dronewall.adapters.remote_id import MAX_LINE_CHARS, RemoteIdDecoder

    if connect is None and file is None:
        raise InputError("listen remote-id: give --connect HOST:PORT or --file PATH")
    dec = RemoteIdDecoder()
    lines = LineSplitter(dec.counters, "remote id", MAX_LINE_CHARS)
    seen = 0

    def show(chunk: bytes) -> bool:
        nonlocal seen
        for ln in lines.lines(chunk):
            reps = dec.line(ln, time.time())
            if not ln.strip():
                continue
            seen += 1
            if not quiet:
                stamp = datetime.now(UTC).strftime("%H:%M:%S.%f")[:-3]
                kinds = "+".join(dec.last_kinds) or "-"
                if reps:
                    for r in reps:
                        op = (f"  operator {r.operator[0]:.5f} {r.operator[1]:.5f}"
                              if r.operator else "")
                        print(f"{stamp}  {kinds:28s} {r.uas_id:20s} {r.lat_deg:9.5f} "
                              f"{r.lon_deg:10.5f} {r.alt_m:6.0f} m  sd {r.sigma_h_m:.0f} m"
                              f"{op}  | {dec.counters.line()}", flush=True)
                else:
                    print(f"{stamp}  {kinds:28s} -  | {dec.counters.line()}", flush=True)
            if max_messages and seen >= max_messages:
                return False
        return True

    try:
        if file is not None:
            _read_file(file, show)
        else:
            host, port = parse_hostport(connect or "", 0, "--connect")
            _read_socket(host, port, show, duration)
    except KeyboardInterrupt:
        pass
    _final(dec.counters)


@listen_app.command("sapient")
def sapient(
    listen: Annotated[str, typer.Option(
        "--listen", help="HOST:PORT to listen on as a SAPIENT fusion node (DMM)")
                      ] = "127.0.0.1:5020",
    max_messages: Annotated[int | None, typer.Option(
        "--max-messages", min=1, help="stop after this many messages")] = None,
    duration: Annotated[float | None, typer.Option(
        "--duration", min=0.0, help="stop after this many seconds")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                        help="only the final counts")] = False,
) -> None:
    """SAPIENT (BSI Flex 335 v2.0) fusion node for integration days: accepts every node's
    registration, answers with RegistrationAck / Error as the ICD asks, prints each message."""
    import threading

    try:
        from dronewall.adapters.sapient.dmm import FusionNode
        from dronewall.adapters.sapient.server import DmmServer
    except ImportError:
        raise InputError("SAPIENT needs protobuf: pip install 'dronewall[live]'") from None
    host, port = parse_hostport(listen, 5020, "--listen")
    node = FusionNode(accept_unbound=True)
    done = threading.Event()
    seen = 0

    def show(h: object) -> None:
        nonlocal seen
        seen += 1
        if not quiet:
            stamp = datetime.now(UTC).strftime("%H:%M:%S.%f")[:-3]
            print(f"{stamp}  {h.kind:17s} {h.node_id[:36] or '-':36s}  "  # type: ignore[attr-defined]
                  f"{h.summary}  | {node.counters.line()}", flush=True)  # type: ignore[attr-defined]
        if max_messages and seen >= max_messages:
            done.set()

    try:
        srv = DmmServer(host, port, node, on_message=show).start()
    except OSError as e:
        raise InputError(f"--listen {listen}: cannot listen ({e.strerror or e})") from None
    sys.stderr.write(f"dronewall listen sapient: fusion node {node.node_id} on "
                     f"{host}:{srv.bound_port}\n")
    try:
        done.wait(duration)
    except KeyboardInterrupt:
        pass
    srv.stop()
    _final(node.counters)


@listen_app.command("asterix")
def asterix(
    listen: Annotated[str, typer.Option(
        "--listen", help="HOST:PORT (UDP) or a multicast group:PORT")] = "127.0.0.1:8600",
    max_messages: Annotated[int | None, typer.Option(
        "--max-messages", min=1, help="stop after this many records")] = None,
    duration: Annotated[float | None, typer.Option(
        "--duration", min=0.0, help="stop after this many seconds")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                        help="only the final counts")] = False,
) -> None:
    """ASTERIX CAT048 radar plots and CAT062 system tracks over UDP: decode and print each."""
    import math
    import threading

    try:
        from dronewall.adapters.asterix import AsterixDecoder
    except ImportError:
        raise InputError("ASTERIX needs libasterix: pip install 'dronewall[live]'") from None
    from dronewall.adapters.net import UdpListener

    host, port = parse_hostport(listen, 8600, "--listen")
    dec = AsterixDecoder(accept_unknown=True)
    done = threading.Event()
    seen = 0

    def show(data: bytes) -> bool:
        nonlocal seen
        for r in dec.datagram(data, time.time()):
            seen += 1
            if not quiet:
                stamp = datetime.now(UTC).strftime("%H:%M:%S.%f")[:-3]
                if r.kind == "plot":
                    what = (f"range {r.values[0]:8.0f} m az {math.degrees(r.values[1]) % 360:6.2f}"
                            f" deg" + (f"  mode S {r.address}" if r.address else ""))
                else:
                    what = (f"{r.values[0]:9.5f} {r.values[1]:10.5f} {r.values[2]:6.0f} m"
                            f"  track {r.track_number}")
                print(f"{stamp}  CAT{r.category:03d} {r.sac:3d}/{r.sic:<3d} {r.kind:5s} {what}"
                      f"  | {dec.counters.line()}", flush=True)
            if max_messages and seen >= max_messages:
                done.set()
                return False
        return True

    try:
        udp = UdpListener(host, port, show, name="asterix").start()
    except OSError as e:
        raise InputError(f"--listen {listen}: cannot listen ({e.strerror or e})") from None
    sys.stderr.write(f"dronewall listen asterix: UDP {host}:{udp.bound_port}\n")
    try:
        done.wait(duration)
    except KeyboardInterrupt:
        pass
    udp.stop()
    _final(dec.counters)


def _need_pymodes(fmt: str) -> None:
    if fmt == "sbs":
        return
    try:
        import pyModeS  # noqa: F401
    except ImportError:
        raise InputError("decoding Beast / AVR needs pyModeS: pip install 'dronewall[live]'"
                         ) from None


def _read_file(path: Path, show: Callable[[bytes], bool]) -> None:
    if str(path) == "-":
        f = sys.stdin.buffer
    else:
        if not path.is_file():
            raise InputError(f"--file {path}: no such file")
        f = path.open("rb")
    with f:
        while chunk := f.read(CHUNK):
            if not show(chunk):
                return


def _read_socket(host: str, port: int, show: Callable[[bytes], bool],
                 duration: float | None) -> None:
    from dronewall.adapters.net import TcpFeedClient

    client = TcpFeedClient(host, port, show,
                           log=lambda m: sys.stderr.write(f"dronewall listen: {m}\n"))
    client.run_until(None if duration is None else time.monotonic() + duration)


def _final(counters: object) -> None:
    d = counters.to_dict()  # type: ignore[attr-defined]
    print(f"total: accepted {d['accepted']}  rejected {d['rejected']}  "
          f"malformed {d['malformed']}")
    for k in ("rejected_by_reason", "malformed_by_reason"):
        for reason, n in d[k].items():
            print(f"  {k.split('_')[0]:9s} {n:7d}  {reason}")


def register(app: typer.Typer) -> None:
    app.add_typer(listen_app, name="listen")
