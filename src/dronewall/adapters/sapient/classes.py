"""SAPIENT classifications as the engine's per-sensor class labels.

A SAPIENT node reports ``classification`` entries (a type string of the node's own taxonomy,
declared at registration, with a confidence). The engine fuses one class label per detection,
whose meaning depends on the kind of sensor that made it (``detections.class_label``):

* EO/IR camera: a platform class (``PlatformClass``: manned_aircraft, attack_drone, decoy,
  recon_uav, multirotor, bird), scored with the camera confusion of ``classify.bayes``;
* radar: a micro-Doppler signature (``MicroDoppler``: propeller, rotor, jet, wingbeat);
* acoustic node: an acoustic signature (``AcousticClass``: piston_prop, electric_rotor, jet,
  bird).

A report's label is its most confident classification at or above ``min_confidence`` (a
classification without a confidence counts as meeting it), looked up, case- and
separator-insensitively, first in the adapter's own map (live config ``classes:``, vendor
string -> engine label name), then among the engine's names for that sensor kind, then in a
short default map of generic type strings below [E]. Anything else is no label (-1): a
vendor's taxonomy is never guessed, and a generic string that does not determine the label
for that sensor kind (a "fixed-wing UAV" seen by a camera could be an attack drone, a decoy
or a reconnaissance UAV) is not mapped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from dronewall.catalog import PlatformClass
from dronewall.catalog.platforms import AcousticClass, MicroDoppler
from dronewall.detections import SensorKind

#: The engine's label names per sensor kind (lower case), to their codes.
LABELS: dict[int, dict[str, int]] = {
    int(SensorKind.EOIR): {c.name.lower(): int(c) for c in PlatformClass
                           if c != PlatformClass.UNKNOWN},
    int(SensorKind.RADAR): {c.name.lower(): int(c) for c in MicroDoppler if c.value >= 0},
    int(SensorKind.ACOUSTIC): {c.name.lower(): int(c) for c in AcousticClass if c.value >= 0},
}

#: Generic type strings -> label name per sensor kind [E]: only where the string fixes the
#: label for that kind (a bird is a bird to every sensor; a multirotor has rotors).
DEFAULTS: dict[str, dict[int, str]] = {
    "bird": {int(SensorKind.EOIR): "bird", int(SensorKind.RADAR): "wingbeat",
             int(SensorKind.ACOUSTIC): "bird"},
    "uav rotary wing": {int(SensorKind.EOIR): "multirotor", int(SensorKind.RADAR): "rotor",
                        int(SensorKind.ACOUSTIC): "electric_rotor"},
    "uav fixed wing": {int(SensorKind.RADAR): "propeller",
                       int(SensorKind.ACOUSTIC): "piston_prop"},
    "manned aircraft": {int(SensorKind.EOIR): "manned_aircraft"},
}
for _alias, _to in (("multirotor", "uav rotary wing"), ("quadcopter", "uav rotary wing"),
                    ("rotary wing uav", "uav rotary wing"), ("fixed wing uav", "uav fixed wing"),
                    ("aircraft", "manned aircraft"), ("fixed wing aircraft", "manned aircraft")):
    DEFAULTS[_alias] = DEFAULTS[_to]

#: A classification below this confidence (0..1) gives no label [E].
MIN_CONFIDENCE = 0.5


def norm(s: str) -> str:
    """Lower case, with runs of spaces, underscores and hyphens as one space."""
    return re.sub(r"[\s_\-]+", " ", s.strip().lower())


def label_for(kind: int, classes: Sequence[tuple[str, float | None]],
              overrides: Mapping[str, str] | None = None,
              min_confidence: float = MIN_CONFIDENCE) -> int:
    """The class label code of one report from a node of sensor ``kind`` (-1: none)."""
    names = LABELS.get(int(kind))
    if not names or not classes:
        return -1
    ok = [(c if c is not None else min_confidence, t) for t, c in classes
          if c is None or c >= min_confidence]
    if not ok:
        return -1
    _, best = max(ok, key=lambda ct: ct[0])
    key = norm(best)
    over = {norm(k): norm(v) for k, v in (overrides or {}).items()}
    name = over.get(key) or key
    code = names.get(name.replace(" ", "_"))
    if code is not None:
        return code
    generic = DEFAULTS.get(name, {}).get(int(kind))
    return names[generic] if generic is not None else -1


def label_name(kind: int, code: int) -> str | None:
    """The engine's name of label ``code`` for sensor ``kind`` (what the ASM simulator sends)."""
    for name, c in LABELS.get(int(kind), {}).items():
        if c == code:
            return name
    return None
