"""One typed stage chain for simulation, replay and live use (see :mod:`.chain`)."""

from dronewall.chain.chain import Chain
from dronewall.chain.engagement import (
    ApproveAll,
    Approver,
    DueEngagement,
    Engagement,
    EngagementStage,
    EngagementStep,
    TargetFix,
)
from dronewall.chain.records import Classified, Picture, StepRecord
from dronewall.chain.stages import (
    AirspaceStage,
    ClassificationFinal,
    ClassificationStage,
    Coverage,
    Stage,
    ThreatStage,
    TrackingStage,
)

__all__ = [
    "AirspaceStage", "ApproveAll", "Approver", "Chain", "ClassificationFinal",
    "ClassificationStage", "Classified", "Coverage", "DueEngagement", "Engagement",
    "EngagementStage", "EngagementStep", "Picture", "Stage", "StepRecord", "TargetFix",
    "ThreatStage", "TrackingStage",
]
