"""Per-adapter message accounting: what came in, what was used, what was shed and why."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any


class MessageCounters:
    """Accepted / rejected / malformed message counts with a reason for every shed message.

    *accepted*: decoded and handed on (it may still carry no position yet, e.g. an ADS-B
    identity message); *rejected*: a well-formed message of the protocol that the engine
    cannot or must not use (failed CRC, unsupported type, no position accuracy); *malformed*:
    bytes that are not a message of the protocol; *notes*: remarks on accepted messages (e.g.
    a SAPIENT classification fused or not mapped), counted by remark. Thread-safe: a network
    reader and the engine's step thread may update and read it concurrently.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.accepted = 0
        self.rejected: Counter[str] = Counter()
        self.malformed: Counter[str] = Counter()
        self.notes: Counter[str] = Counter()
        self.last_wall_s: float | None = None

    def accept(self, n: int = 1) -> None:
        with self._lock:
            self.accepted += n
            self.last_wall_s = time.time()

    def reject(self, reason: str, n: int = 1) -> None:
        with self._lock:
            self.rejected[reason] += n
            self.last_wall_s = time.time()

    def note(self, remark: str, n: int = 1) -> None:
        with self._lock:
            self.notes[remark] += n

    def malform(self, reason: str, n: int = 1) -> None:
        with self._lock:
            self.malformed[reason] += n
            self.last_wall_s = time.time()

    @property
    def n_rejected(self) -> int:
        return sum(self.rejected.values())

    @property
    def n_malformed(self) -> int:
        return sum(self.malformed.values())

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {"accepted": self.accepted,
                    "rejected": sum(self.rejected.values()),
                    "malformed": sum(self.malformed.values()),
                    "rejected_by_reason": dict(sorted(self.rejected.items())),
                    "malformed_by_reason": dict(sorted(self.malformed.items())),
                    "notes": dict(sorted(self.notes.items())),
                    "last_message_unix_s": self.last_wall_s}

    def line(self) -> str:
        """One-line running count for a console."""
        return (f"accepted {self.accepted}  rejected {self.n_rejected}  "
                f"malformed {self.n_malformed}")
