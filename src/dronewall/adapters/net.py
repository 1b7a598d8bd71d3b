"""A TCP client that keeps a feed connected: reconnects with back-off, never raises."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

#: Bytes read per receive.
CHUNK = 65536
#: Reconnect delays after a lost or refused connection (s), the last repeated.
BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)


class TcpFeedClient:
    """Reads ``host:port`` in a daemon thread and hands every chunk to ``on_bytes``.

    ``on_bytes`` returning False ends the client. State for a health display: ``connected``,
    ``connects`` (successful connections), ``last_error``, ``bytes_read``.
    """

    def __init__(self, host: str, port: int, on_bytes: Callable[[bytes], bool | None], *,
                 name: str = "feed", log: Callable[[str], None] | None = None) -> None:
        self.host, self.port = host, int(port)
        self.on_bytes = on_bytes
        self.log = log or (lambda _m: None)
        self.stop_evt = threading.Event()
        self.connected = False
        self.connects = 0
        self.bytes_read = 0
        self.last_error: str | None = None
        self.thread = threading.Thread(target=self._run, name=f"dronewall-{name}",
                                       daemon=True)

    def start(self) -> TcpFeedClient:
        self.thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        self.stop_evt.set()
        if self.thread.is_alive():
            self.thread.join(timeout)

    def run_until(self, end_monotonic: float | None) -> None:
        """Run in the calling thread until ``end_monotonic`` (or ``on_bytes`` says stop)."""
        self._run(end_monotonic)

    def _run(self, end: float | None = None) -> None:
        attempt = 0
        while not self.stop_evt.is_set() and (end is None or time.monotonic() < end):
            try:
                with socket.create_connection((self.host, self.port), timeout=5.0) as s:
                    self.connected, self.last_error = True, None
                    self.connects += 1
                    attempt = 0
                    self.log(f"connected to {self.host}:{self.port}")
                    s.settimeout(1.0)
                    while not self.stop_evt.is_set() and (end is None
                                                          or time.monotonic() < end):
                        try:
                            chunk = s.recv(CHUNK)
                        except TimeoutError:
                            continue
                        if not chunk:
                            self.last_error = "connection closed by the peer"
                            self.log(self.last_error)
                            break
                        self.bytes_read += len(chunk)
                        if self.on_bytes(chunk) is False:
                            self.stop_evt.set()
                            return
            except OSError as e:
                self.last_error = e.strerror or str(e)
                self.log(f"{self.host}:{self.port}: {self.last_error}")
            finally:
                self.connected = False
            wait = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
            attempt += 1
            if end is not None and time.monotonic() + wait >= end:
                return
            self.log(f"reconnecting in {wait:.0f} s")
            self.stop_evt.wait(wait)


class UdpListener:
    """Receives datagrams on ``host:port`` in a daemon thread (a multicast group address is
    joined on all interfaces) and hands each to ``on_datagram``."""

    def __init__(self, host: str, port: int, on_datagram: Callable[[bytes], bool | None], *,
                 name: str = "udp") -> None:
        import ipaddress

        self.host, self.port = host, int(port)
        self.on_datagram = on_datagram
        self.stop_evt = threading.Event()
        self.datagrams = 0
        self.bytes_read = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        multicast = ipaddress.ip_address(host).is_multicast if _is_ip(host) else False
        self.sock.bind(("" if multicast else host, self.port))
        if multicast:
            import struct

            mreq = struct.pack("4s4s", socket.inet_aton(host), socket.inet_aton("0.0.0.0"))
            self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        self.bound_port = self.sock.getsockname()[1]
        self.sock.settimeout(0.5)
        self.thread = threading.Thread(target=self._run, name=f"dronewall-{name}", daemon=True)

    def start(self) -> UdpListener:
        self.thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        self.stop_evt.set()
        if self.thread.is_alive():
            self.thread.join(timeout)
        self.sock.close()

    def _run(self) -> None:
        while not self.stop_evt.is_set():
            try:
                data, _ = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            self.datagrams += 1
            self.bytes_read += len(data)
            if self.on_datagram(data) is False:
                self.stop_evt.set()


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
