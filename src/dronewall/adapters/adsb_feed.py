"""An ADS-B receiver feed: a byte stream in one of the receivers' formats -> position reports.

``AdsbFeed(fmt)`` takes the bytes of a TCP connection (or a recorded file) in chunks of any
size and returns, per decoded message, a :class:`Heard` (what the message said, for the
``listen`` console) and the position report it produced, if any. Formats: ``sbs`` (SBS-1
BaseStation text, port 30003), ``beast`` (Beast binary, 30005), ``avr`` (raw hex lines, 30002).
"""

from __future__ import annotations

from dataclasses import dataclass

from dronewall.adapters.adsb import AdsbReport, ModeSDecoder, SbsDecoder
from dronewall.adapters.counters import MessageCounters
from dronewall.adapters.lines import LineSplitter
from dronewall.adapters.modes_wire import (
    MAX_LINE_CHARS,
    BeastDeframer,
    RawFrame,
    parse_avr,
    parse_sbs,
)

FORMATS = ("sbs", "beast", "avr")
#: Default TCP ports of dump1090 / readsb for each format.
DEFAULT_PORTS = {"sbs": 30003, "beast": 30005, "avr": 30002}


@dataclass(frozen=True)
class Heard:
    """One message as the console shows it."""

    kind: str                   # e.g. "MSG,3", "DF17 TC11 (0,5)"
    icao24: str
    rx_clock_s: float | None
    report: AdsbReport | None


class AdsbFeed:
    """Bytes of one receiver connection -> :class:`Heard` messages and reports."""

    def __init__(self, fmt: str, *, sigma_m: float = 10.0,
                 counters: MessageCounters | None = None, receiver_clock: bool = False,
                 receiver_at: tuple[float, float] | None = None) -> None:
        """``receiver_clock``: time messages by the clock in the data (Beast / AVR 12 MHz
        counter, SBS time generated; seconds from the first one) instead of the ``t_s`` given
        to :meth:`feed` -- for replaying a recording faster than real time. A message
        without a clock then takes the last clock seen. ``receiver_at``: the receiver's
        (lat, lon), deg, the reference that decodes surface positions."""
        if fmt not in FORMATS:
            raise ValueError(f"ADS-B format {fmt!r}: expected one of {', '.join(FORMATS)}")
        self.fmt = fmt
        self.receiver_clock = receiver_clock
        self._clock0: float | None = None
        self._clock_last = 0.0
        self.counters = counters or MessageCounters()
        self._text = LineSplitter(self.counters, fmt, MAX_LINE_CHARS)
        self._beast = BeastDeframer(self.counters) if fmt == "beast" else None
        self._modes = (ModeSDecoder(self.counters, receiver_at) if fmt in ("beast", "avr")
                       else None)
        self._sbs = SbsDecoder(self.counters, sigma_m) if fmt == "sbs" else None

    def feed(self, chunk: bytes, t_s: float) -> list[Heard]:
        """Decode what ``chunk`` completes; ``t_s`` is the engine time of reception."""
        if self._beast is not None:
            return [h for f in self._beast.feed(chunk) if (h := self._frame(f, t_s))]
        out: list[Heard] = []
        for line in self._lines(chunk):
            if self.fmt == "avr":
                f = parse_avr(line, self.counters)
                if f is not None and (h := self._frame(f, t_s)):
                    out.append(h)
            else:
                assert self._sbs is not None
                r = parse_sbs(line, self.counters)
                if r is not None:
                    t = self._t(r.time_utc.timestamp() if r.time_utc else None, t_s)
                    rep = self._sbs.record(r, t)
                    out.append(Heard(f"MSG,{r.transmission}", r.icao24, None, rep))
        return out

    def _lines(self, chunk: bytes) -> list[str]:
        return self._text.lines(chunk)

    def _t(self, clock_s: float | None, t_s: float) -> float:
        if not self.receiver_clock:
            return t_s
        if clock_s is not None:
            if self._clock0 is None:
                self._clock0 = clock_s
            # a receiver clock that wraps or restarts must not run time backwards
            self._clock_last = max(self._clock_last, clock_s - self._clock0)
        return self._clock_last

    def _frame(self, f: RawFrame, t_s: float) -> Heard | None:
        assert self._modes is not None
        d, rep = self._modes.frame(f, self._t(f.rx_clock_s, t_s))
        if d is None:
            return None
        tc = d.get("typecode")
        kind = f"DF{d.get('df')}" + (f" TC{tc}" if tc is not None else "") + (
            f" ({d['bds']})" if d.get("bds") else "")
        return Heard(kind, str(d.get("icao") or "").lower(), f.rx_clock_s, rep)
