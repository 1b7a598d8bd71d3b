"""Platform catalogue: sourced default performance and signature figures per platform type."""

from dronewall.catalog.platforms import (
    PLATFORMS,
    AcousticClass,
    MotionModel,
    PlatformClass,
    PlatformSpec,
    RFProtocol,
    get_platform,
)

__all__ = [
    "PLATFORMS",
    "AcousticClass",
    "MotionModel",
    "PlatformClass",
    "PlatformSpec",
    "RFProtocol",
    "get_platform",
]
