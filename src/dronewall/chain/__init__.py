"""One typed stage chain for simulation, replay and live use (see :mod:`.chain`)."""

from dronewall.chain.approval import (
    ApproveAll,
    Approver,
    Decision,
    DelayedApprover,
    Proposal,
)
from dronewall.chain.chain import Chain
from dronewall.chain.engagement import (
    DueEngagement,
    Engagement,
    EngagementStage,
    EngagementStep,
    Predictor,
    TargetFix,
)
from dronewall.chain.records import Classified, Picture, StepRecord
from dronewall.chain.stages import (
    AirspaceStage,
    ClassificationFinal,
    ClassificationStage,
    Coverage,
    Stage,
    StrobeStage,
    ThreatStage,
    TrackingStage,
)

__all__ = [
    "AirspaceStage", "ApproveAll", "Approver", "Chain", "ClassificationFinal",
    "ClassificationStage", "Classified", "Coverage", "Decision", "DelayedApprover",
    "DueEngagement", "Engagement", "EngagementStage", "EngagementStep", "Picture", "Predictor",
    "Proposal", "Stage", "StepRecord", "StrobeStage", "TargetFix", "ThreatStage",
    "TrackingStage",
]
