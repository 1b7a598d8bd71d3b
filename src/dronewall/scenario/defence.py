"""Scenario schema of the defence: effector sites (``effectors``) and rules of engagement
(``roe``). See ``docs/scenarios.md`` and ``docs/effectors.md``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from dronewall.catalog import EFFECTORS, PlatformClass
from dronewall.scenario.base import LatLon, Strict, ZoneKind, _check_latlon


class EffectorSpec(Strict):
    """An effector site: a catalogue ``type`` (``docs/effectors.md``) at ``position`` with
    ``count`` shots stocked there (missiles, interceptors, gun bursts, jamming engagements;
    default: the catalogue magazine x fire units). Optional overrides replace catalogue
    figures for this site only."""

    id: str = Field(min_length=1)
    type: str = Field(min_length=1, description="effector catalogue key (docs/effectors.md)")
    position: LatLon
    count: int | None = Field(default=None, ge=0, description=(
        "shots stocked at the site; default catalogue magazine x fire_units"))
    fire_units: int | None = Field(default=None, ge=1, le=1000, description=(
        "fire units (launchers, guns, crews, aircraft) at the site; default from the catalogue"))
    height_m: float = Field(default=0.0, ge=0, le=20_000, description="height above ground")
    max_range_m: float | None = Field(default=None, gt=0)
    min_range_m: float | None = Field(default=None, ge=0)
    max_alt_m: float | None = Field(default=None, gt=0)
    min_alt_m: float | None = Field(default=None, ge=0)
    reaction_time_s: float | None = Field(default=None, ge=0)
    cost_per_shot_eur: float | None = Field(default=None, ge=0)
    pk: dict[str, float] | None = Field(default=None, description=(
        "single-shot Pk override by class name (ATTACK_DRONE, DECOY, ...), each in [0, 1]"))

    @field_validator("position")
    @classmethod
    def _pos(cls, v: list[float]) -> list[float]:
        return _check_latlon(v, 2)

    @field_validator("type")
    @classmethod
    def _type(cls, v: str) -> str:
        if v not in EFFECTORS:
            raise ValueError(f"unknown effector type {v!r}; allowed: "
                             f"{', '.join(sorted(EFFECTORS))}")
        return v

    @field_validator("pk")
    @classmethod
    def _pk(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        return None if v is None else _class_map(v, "pk")

    @model_validator(mode="after")
    def _ranges(self) -> EffectorSpec:
        et = EFFECTORS[self.type]
        lo = et.min_range_m if self.min_range_m is None else self.min_range_m
        hi = et.max_range_m if self.max_range_m is None else self.max_range_m
        if lo >= hi:
            raise ValueError(f"min_range_m {lo} must be below max_range_m {hi}")
        lo = et.min_alt_m if self.min_alt_m is None else self.min_alt_m
        hi = et.max_alt_m if self.max_alt_m is None else self.max_alt_m
        if lo >= hi:
            raise ValueError(f"min_alt_m {lo} must be below max_alt_m {hi}")
        return self


#: Class names a scenario uses as keys (``roe.engage_classes``, ``pk``, ``classification.prior``).
CLASS_NAMES = tuple(c.name for c in PlatformClass)


def _class_map(v: dict[str, float], what: str) -> dict[str, float]:
    for k, p in v.items():
        if k not in CLASS_NAMES:
            raise ValueError(f"{what}: unknown class {k!r}; allowed: {', '.join(CLASS_NAMES)}")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{what}: {k} = {p} is not a probability in [0, 1]")
    return v


class RoeSpec(Strict):
    """Rules of engagement (``docs/engagement.md``). Defaults are the cautious setting:
    weapons tight, human approval, only tracks that violated own airspace."""

    weapons: Literal["free", "tight"] = Field(default="tight", description=(
        "tight: only tracks classified as an allowed class with enough confidence; free: also "
        "anything not assessed as manned aircraft or bird (p >= 0.5)"))
    approval: Literal["human", "auto"] = Field(default="human", description=(
        "auto: recommendations are approved automatically (only meaningful in simulation)"))
    engage_classes: dict[str, float] = Field(
        default={"ATTACK_DRONE": 0.6, "DECOY": 0.6, "RECON_UAV": 0.7, "MULTIROTOR": 0.8},
        description="class name -> minimum classification probability")
    require_violation: bool = Field(default=True, description=(
        "only tracks that violated own sovereign airspace or are inside an engagement zone"))
    engagement_zones_only: bool = False
    no_kinetic_kinds: list[ZoneKind] = Field(default=["no_fire", "airport"], description=(
        "zone kinds over which no kinetic intercept is planned"))
    approval_delay_s: list[float] = Field(default=[15.0, 30.0], min_length=2, max_length=2,
                                          description=(
        "simulated operator: decision time per recommendation, uniform in [low, high] s; a "
        "recommendation whose window closes first expires"))
    min_track_hits: int = Field(default=5, ge=1, le=1000, description=(
        "track maturity: detections associated before a track may be engaged"))
    min_track_age_s: float = Field(default=10.0, ge=0, le=3600, description=(
        "track maturity: seconds since the track was created"))
    max_track_stale_s: float = Field(default=15.0, gt=0, le=3600, description=(
        "track maturity: largest time since the track's last update, s"))
    expensive_effector_eur: float = Field(default=100_000.0, ge=0, description=(
        "effectors costing at least this per shot need one allowed class at its own "
        "threshold (not the summed look-alike classes)"))
    value_floor: Literal["none", "threat_cost"] = Field(default="none", description=(
        "threat_cost: a hostile track is worth at least its expected purchase cost (doctrine: "
        "destroy every violating hostile drone); none: its expected damage only"))
    require_crossing: bool = Field(default=True, description=(
        "a track violates own airspace only after an observed or inferred border crossing, "
        "not because it was first detected inside"))

    @field_validator("approval_delay_s")
    @classmethod
    def _delay(cls, v: list[float]) -> list[float]:
        if not 0 <= v[0] <= v[1] <= 3600:
            raise ValueError(f"approval_delay_s: got {v}; expected [low, high] with "
                             "0 <= low <= high <= 3600 s")
        return v

    @field_validator("engage_classes")
    @classmethod
    def _classes(cls, v: dict[str, float]) -> dict[str, float]:
        return _class_map(v, "engage_classes")
