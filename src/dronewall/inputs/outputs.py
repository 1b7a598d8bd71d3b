"""Output files: the path checked before any work starts, the bytes written atomically.

``check_output_file`` fails early (before minutes of computation) when the path is a directory,
lies under a regular file, or its folder cannot be created or written. ``write_output_*`` write
a regular file through a temporary file in the same folder and ``os.replace`` (a reader, or a
run killed half-way, never sees a half-written file); a character device such as ``/dev/null``
or ``/dev/stdout`` is written in place. Every failure is an :class:`InputError` naming the path.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from dronewall.errors import InputError


def _first_existing(path: Path) -> Path:
    p = path
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def check_output_file(path: str | Path, option: str = "--out") -> Path:
    """``path`` if a file can be written there; else :class:`InputError`. Creates nothing."""
    p = Path(path)
    where = f"{option} {p}"
    try:
        st = p.stat()
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise InputError(f"{where}: a part of the path is a file, not a folder; expected a file "
                         "path in a folder") from None
    except OSError as e:
        raise InputError(f"{where}: cannot use this path ({e.strerror})") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{where}: is a directory; expected a file path (e.g. "
                             f"{p / 'out.file'})")
        if stat.S_ISREG(st.st_mode) or stat.S_ISCHR(st.st_mode):
            if not os.access(p, os.W_OK):
                raise InputError(f"{where}: not writable (permission denied)")
            if stat.S_ISCHR(st.st_mode):
                return p
        else:
            raise InputError(f"{where}: not a regular file; expected a file path")
    base = _first_existing(p.parent)
    if not base.is_dir():
        raise InputError(f"{where}: {base} is a file, not a folder; expected a file path in a "
                         "folder")
    if not os.access(base, os.W_OK | os.X_OK):
        raise InputError(f"{where}: cannot create files in {base} (permission denied)")
    return p


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(path: str | Path, option: str = "--out", mode: str = "w"
                  ) -> Iterator[IO[Any]]:
    """A file object for ``path``: a temporary file in the same folder, moved onto ``path``
    (``os.replace``) only when the block ends without an error (the temporary file is removed
    otherwise), so a reader never sees a half-written output. A character device is written in
    place. ``mode`` "w" (UTF-8 text, newline="") or "wb". Write errors become
    :class:`InputError` naming ``option`` and the path."""
    p = check_output_file(path, option)
    where = f"{option} {p}"
    text = "b" not in mode
    try:
        if p.exists() and stat.S_ISCHR(p.stat().st_mode):
            with p.open(mode, **({"encoding": "utf-8", "newline": ""} if text else {})) as f:
                yield f
            return
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".part", dir=p.parent)
    except OSError as e:
        raise InputError(f"{where}: cannot write ({e.strerror or e})") from None
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8", "newline": ""} if text else {})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, p)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"{where}: cannot write ({e.strerror or e})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_output_bytes(path: str | Path, data: bytes, option: str = "--out") -> Path:
    """Write ``data`` to ``path`` (folders created; atomically for a regular file)."""
    with atomic_output(path, option, "wb") as f:
        f.write(data)
    return Path(path)


def write_output_text(path: str | Path, text: str, option: str = "--out") -> Path:
    """Write UTF-8 ``text`` to ``path`` (see :func:`atomic_output`)."""
    return write_output_bytes(path, text.encode("utf-8"), option)
