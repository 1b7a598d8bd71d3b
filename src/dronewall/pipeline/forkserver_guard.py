"""Imported first by a study pool's fork server (``FORKSERVER_PRELOAD``): binds the fork server
to the dronewall process that started it, so that a killed dronewall process leaves no fork
server -- and, through :func:`dronewall.pipeline.lifetime.worker_init`, no workers -- behind.

Importing it anywhere else does nothing: the binding applies only inside multiprocessing's fork
server (started as ``python -c "from multiprocessing.forkserver import main; ..."``).
"""

from __future__ import annotations

import sys

from dronewall.pipeline.lifetime import bind_to_parent


def in_fork_server() -> bool:
    """True in multiprocessing's fork-server process (and not in the process that started it)."""
    return sys.argv[:1] == ["-c"] and "multiprocessing.forkserver" in sys.modules \
        and getattr(sys.modules["__main__"], "__file__", None) is None


if in_fork_server():
    bind_to_parent()
