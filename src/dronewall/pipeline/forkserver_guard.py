"""Imported first by a study pool's fork server (``FORKSERVER_PRELOAD``): binds the fork server
to the dronewall process that started it, so that a killed dronewall process leaves no fork
server -- and, through :func:`dronewall.pipeline.lifetime.worker_init`, no workers -- behind.

Importing it anywhere else does nothing: the binding applies only inside multiprocessing's fork
server (started as ``python -c "from multiprocessing.forkserver import main; ..."``).
"""

from __future__ import annotations

from dronewall.pipeline.lifetime import bind_to_parent, in_fork_server

if in_fork_server():   # the server is single-threaded: its main thread forks the workers
    bind_to_parent()
