"""Platform catalogue: sourced default performance and signature figures per platform type."""

from dronewall.catalog.effectors import (
    EFFECTORS,
    EffectorType,
    SideEffects,
    WeatherLimits,
    get_effector,
)
from dronewall.catalog.platforms import (
    PLATFORMS,
    AcousticClass,
    MicroDoppler,
    MotionModel,
    PlatformClass,
    PlatformSpec,
    RFProtocol,
    get_platform,
)

__all__ = [
    "EFFECTORS",
    "PLATFORMS",
    "AcousticClass",
    "EffectorType",
    "MicroDoppler",
    "MotionModel",
    "PlatformClass",
    "PlatformSpec",
    "RFProtocol",
    "SideEffects",
    "WeatherLimits",
    "get_effector",
    "get_platform",
]
