"""Shared pieces of the scenario schema: the strict base model and WGS84 position lists."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_latlon(v: list[float], n_max: int) -> list[float]:
    if not 2 <= len(v) <= n_max:
        raise ValueError(f"expected [lat_deg, lon_deg{', alt_m' if n_max == 3 else ''}], "
                         f"got {len(v)} numbers")
    if not -90.0 <= v[0] <= 90.0:
        raise ValueError(f"latitude {v[0]} outside [-90, 90] degrees")
    if not -180.0 <= v[1] <= 180.0:
        raise ValueError(f"longitude {v[1]} outside [-180, 180] degrees")
    return v


LatLon = Annotated[list[float], Field(description="[lat_deg, lon_deg]")]
LatLonAlt = Annotated[list[float],
                     Field(description="[lat_deg, lon_deg] or [lat_deg, lon_deg, alt_m]")]


ZoneKind = Literal["sovereign", "airport", "infrastructure", "no_fire", "engagement", "custom"]
