"""Text files: whole documents (size and UTF-8 checked) and streamed CSV rows.

Errors name the file, the line (and byte column for encoding errors) and what was expected. A
path that is a directory, a missing file or an unreadable one is an error too, never a
traceback.
"""

from __future__ import annotations

import csv
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from dronewall.errors import DataFormatError
from dronewall.inputs.limits import (
    CSV_FIELD_LIMIT,
    MAX_CSV_COLUMNS,
    MAX_DOCUMENT_BYTES,
    MAX_LINE_BYTES,
)


def check_input_file(path: str | Path, what: str, max_bytes: int | None = None) -> Path:
    """``path`` if it is a readable regular file of at most ``max_bytes``; else
    :class:`DataFormatError` (for readers that hand the path to a library, e.g. pyarrow)."""
    p = Path(path)
    with _open_binary(p, what) as f:
        size = os.fstat(f.fileno()).st_size
    if max_bytes is not None and size > max_bytes:
        raise DataFormatError(f"{p}: {size:,} bytes; a {what} may have at most "
                              f"{max_bytes:,} bytes (docs/limits.md)")
    return p


def _open_binary(path: Path, what: str) -> IO[bytes]:
    """Open ``path`` for reading; a regular file only (a FIFO or device would block or never
    end)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise DataFormatError(f"{path}: {what} not found") from None
    except OSError as e:
        raise DataFormatError(f"{path}: cannot read {what} ({e.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise DataFormatError(f"{path}: is a directory; expected a {what}")
    if not stat.S_ISREG(st.st_mode):
        raise DataFormatError(f"{path}: not a regular file; expected a {what}")
    try:
        return path.open("rb")
    except OSError as e:
        raise DataFormatError(f"{path}: cannot read {what} ({e.strerror})") from None


def _decode_error(path: Path, data: bytes, e: UnicodeDecodeError,
                  line0: int = 1) -> DataFormatError:
    """A message naming the line and byte column of the first byte that is not UTF-8."""
    line = line0 + data.count(b"\n", 0, e.start)
    col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
    return DataFormatError(f"{path}: line {line}, byte {col}: not UTF-8 text (byte "
                           f"0x{data[e.start]:02x}); expected a UTF-8 encoded file")


def read_text(path: str | Path, what: str = "file", max_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    """The whole file as text: a regular file of at most ``max_bytes``, strict UTF-8 (a leading
    byte-order mark is dropped). Raises :class:`DataFormatError` naming the file."""
    p = Path(path)
    with _open_binary(p, what) as f:
        try:
            size = os.fstat(f.fileno()).st_size
            if size > max_bytes:
                raise DataFormatError(f"{p}: {size:,} bytes; a {what} may have at most "
                                      f"{max_bytes:,} bytes (docs/limits.md)")
            data = f.read(max_bytes + 1)
        except OSError as e:
            raise DataFormatError(f"{p}: cannot read {what} ({e.strerror})") from None
    if len(data) > max_bytes:
        raise DataFormatError(f"{p}: more than {max_bytes:,} bytes; a {what} may have at most "
                              f"{max_bytes:,} bytes (docs/limits.md)")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _decode_error(p, data, e) from None


def _text_lines(path: Path, f: IO[bytes], max_line: int) -> Iterator[str]:
    """Physical lines of ``f`` decoded as UTF-8; errors name the line."""
    n = 0
    while True:
        try:
            raw = f.readline(max_line + 1)
        except OSError as e:
            raise DataFormatError(f"{path}: cannot read line {n + 1} ({e.strerror})") from None
        if not raw:
            return
        n += 1
        if len(raw) > max_line:
            raise DataFormatError(f"{path}: line {n}: longer than {max_line:,} bytes "
                                  "(docs/limits.md); expected one record per line")
        if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _decode_error(path, raw, e, line0=n) from None


def text_lines(path: str | Path, what: str = "file", max_line: int = MAX_LINE_BYTES
               ) -> Iterator[tuple[int, str]]:
    """(1-based line number, line without its end-of-line) of a UTF-8 text file, streamed."""
    p = Path(path)
    with _open_binary(p, what) as f:
        for n, line in enumerate(_text_lines(p, f, max_line), 1):
            yield n, line.rstrip("\r\n")


def csv_rows(path: str | Path, what: str = "CSV file", max_line: int = MAX_LINE_BYTES,
             max_bytes: int | None = None) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each CSV record, streamed; the first record is the header.

    Errors (:class:`DataFormatError`) name the file and line: not UTF-8, a line longer than
    ``max_line`` bytes, a field longer than ``CSV_FIELD_LIMIT`` characters, more than
    ``MAX_CSV_COLUMNS`` columns, a malformed quote; a file over ``max_bytes`` (callers that
    keep every row in memory set it)."""
    p = Path(path)
    with _open_binary(p, what) as f:
        size = os.fstat(f.fileno()).st_size
        if max_bytes is not None and size > max_bytes:
            raise DataFormatError(f"{p}: {size:,} bytes; a {what} may have at most "
                                  f"{max_bytes:,} bytes (docs/limits.md)")
        reader = csv.reader(_text_lines(p, f, max_line), strict=False)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                line = reader.line_num
                if "field larger than field limit" in str(e):
                    raise DataFormatError(f"{p}: line {line}: a field is longer than "
                                          f"{CSV_FIELD_LIMIT:,} characters (an unclosed quote?); "
                                          "expected CSV values") from None
                raise DataFormatError(f"{p}: line {line}: malformed CSV ({e})") from None
            if len(row) > MAX_CSV_COLUMNS:
                raise DataFormatError(f"{p}: line {reader.line_num}: {len(row)} columns; at most "
                                      f"{MAX_CSV_COLUMNS} are read (docs/limits.md)")
            yield reader.line_num, row
