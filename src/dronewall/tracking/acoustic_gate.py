"""Acoustic level gate: a bearing's loudness says how far away what it heard can be.

An acoustic node reports, with each bearing, the received level ``RL`` (dB re 20 uPa) and the
signature class its classifier heard (piston-prop engine, electric rotors, jet, ...). A bearing
carries no range, so a track anywhere along it fits it equally well -- a flock of birds 2 km
from the node fits the bearing of an airliner 12 km away at altitude, and left to the gate
alone the flock's track takes the airliner's bearings (``docs/benchmarks.md`` s.6, "What the
switches are made of": three flock tracks fed for minutes by an airliner's bearings).

The class bounds the source level ``SL`` of what was heard: every platform the wall knows with
that signature lies between the quietest and the loudest of them (``AcousticLevels``, built from
the platform catalogue by the caller). For a candidate track at slant range ``R`` from the node
the heard source level would be

    SL(R) = RL + TL(R),     TL(R) = 20 log10(R / 1 m) + alpha R     (``detections.acoustics``)

A candidate whose ``SL(R)`` lies more than ``margin_db`` below the quietest or above the
loudest level of the bearing's class did not make that sound: a jet heard at 34 dB is not 2 km
from the node (that would be a 104 dB jet; the quietest known is 140 dB), and a quadcopter's
rotors heard at 40 dB are not 8 km away (a 122 dB multirotor). Such a pair is dropped before
the association, so the bearing goes to a track that fits both its direction and its loudness,
or to triangulation if none does.

The margin absorbs what the catalogue levels do not know (airframe, payload, throttle, the
terrain and weather the propagation model ignores) and the node's level error: 15 dB is a
factor 5.6 in range either way. A node's classifier is sometimes wrong about the class; a pair
therefore also stands when the level fits the acoustic class the track itself last carried (a
Shahed's track keeps its own bearing that the node called a jet). Bearings without a class or
a level, and classes the table does not list, are not gated.

Off while ``AcousticLevels.levels`` is empty -- the default, and in scenarios unless
``tracking: {acoustic_level_gate: true}``: on the shipped scenarios it removed some switches
and added others (``docs/benchmarks.md`` s.6, "An acoustic bearing's loudness in the
association").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewall.detections.acoustics import transmission_loss_db

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class AcousticLevels:
    """Source-level bounds of each acoustic signature class (see the module docstring)."""

    levels: tuple[tuple[int, float, float], ...] = ()
    """(acoustic class code, quietest, loudest source level of the class, dB re 20 uPa @ 1 m)
    of every class the wall knows; empty: the gate is off."""
    margin_db: float = 15.0
    """A candidate track is dropped when the source level it implies is this far outside the
    class's bounds, dB [E]: the catalogue levels are estimates, and terrain, wind and
    temperature gradients move a received level by 10 dB or more at kilometres; 15 dB is a
    factor 5.6 in range either way, while the cases the gate is for lie 30-40 dB out."""

    @property
    def on(self) -> bool:
        return len(self.levels) > 0

    def validate(self) -> list[str]:
        bad = []
        if not (np.isfinite(self.margin_db) and self.margin_db >= 0):
            bad.append(f"acoustic_levels.margin_db must be finite and >= 0, got "
                       f"{self.margin_db}")
        for lv in self.levels:
            if (len(lv) != 3 or not np.isfinite(lv[1]) or not np.isfinite(lv[2])
                    or lv[1] > lv[2]):
                bad.append(f"acoustic_levels entry {lv!r}: need (class code, quietest dB, "
                           "loudest dB) with quietest <= loudest")
        return bad

    def consistent(self, acoustic_class: F64, received_level_db: F64, range_m: F64,
                   unknown: bool = True) -> NDArray[np.bool_]:
        """Per candidate pair (k,): may a source of the bearing's class (code, NaN: none),
        heard at ``received_level_db`` (NaN: not reported), be at slant range ``range_m`` (m)
        from the node? ``unknown`` where the class or level is unknown or the class is not
        listed; True everywhere while the gate is off."""
        cls = np.asarray(acoustic_class, dtype=np.float64)
        rl = np.asarray(received_level_db, dtype=np.float64)
        if not self.on:
            return np.ones(cls.shape, dtype=bool)
        ok = np.full(cls.shape, unknown, dtype=bool)
        L = np.asarray(self.levels, dtype=np.float64).reshape(-1, 3)
        known = np.isfinite(cls) & np.isfinite(rl)
        if not known.any():
            return ok
        k = np.flatnonzero(known)
        hit = cls[k, None] == L[None, :, 0]
        listed = hit.any(axis=1)
        k, row = k[listed], hit[listed].argmax(axis=1)
        sl = rl[k] + transmission_loss_db(np.asarray(range_m, dtype=np.float64)[k])
        ok[k] = (sl >= L[row, 1] - self.margin_db) & (sl <= L[row, 2] + self.margin_db)
        return ok
