"""Reading user files safely: every failure a clear :class:`~dronewall.errors.InputError`.

- ``limits``: the documented size, nesting, date and resource limits (``docs/limits.md``);
- ``text``: whole-file text (size, UTF-8) and streamed CSV rows (line length, field limit,
  encoding errors with their line);
- ``jsondoc``: JSON documents and JSON lines with a nesting limit and no integer blow-ups;
- ``values``: short excerpts of bad values, finite numbers in a range, dates in the window;
- ``outputs``: output paths checked before work starts, written atomically.

No other dronewall package is imported (only ``errors``): every reader can use this one.
"""

from dronewall.inputs.jsondoc import iter_json_lines, load_json, loads_json
from dronewall.inputs.outputs import (
    atomic_output,
    check_output_file,
    write_output_bytes,
    write_output_text,
)
from dronewall.inputs.text import csv_rows, read_text
from dronewall.inputs.values import (
    check_datetime,
    excerpt,
    finite_number,
    parse_iso_datetime,
)

__all__ = ["atomic_output", "check_datetime", "check_output_file", "csv_rows", "excerpt",
           "finite_number", "iter_json_lines", "load_json", "loads_json", "parse_iso_datetime",
           "read_text", "write_output_bytes", "write_output_text"]
