"""The small error tree of dronewall.

Everything a user can cause is a :class:`DronewallError`; the CLI turns it into a one-paragraph
message and exit status 2. Anything else escaping is a bug.

- ``DronewallError``
  - ``InputError``            bad file or value given by the user (exit 2)
    - ``ScenarioError``       a scenario file failed validation (names file, line, field)
    - ``DataFormatError``     a CSV/JSON data file is malformed (names file, line, column)
  - ``ConfigurationError``    an inconsistent combination of valid settings
"""

from __future__ import annotations


class DronewallError(Exception):
    """Root of all errors dronewall raises on purpose."""

    exit_code: int = 1


class InputError(DronewallError):
    """Bad input from the user (file, option, value). Exit status 2."""

    exit_code = 2


class ScenarioError(InputError):
    """A scenario file failed to parse or validate."""


class DataFormatError(InputError):
    """A data file (CSV / JSON) is malformed."""


class ConfigurationError(InputError):
    """Settings are individually valid but inconsistent together."""
