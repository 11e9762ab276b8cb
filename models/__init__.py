"""Plain typed domain objects shared by every package (design.md: models/)."""

from models.domain import (
    Attachment,
    Case,
    Deadline,
    Decision,
    InboundMessage,
    Officer,
    OutboundMessage,
    PiiSpan,
    Stage,
    Triage,
)
from models.policy import PolicyProfile
from models.vocabulary import (
    CaseStatus,
    Channel,
    DeadlineKind,
    DecisionKind,
    Flag,
    PiiType,
    Route,
    StageName,
)

__all__ = [
    "Attachment",
    "Case",
    "CaseStatus",
    "Channel",
    "Deadline",
    "DeadlineKind",
    "Decision",
    "DecisionKind",
    "Flag",
    "InboundMessage",
    "Officer",
    "OutboundMessage",
    "PiiSpan",
    "PiiType",
    "PolicyProfile",
    "Route",
    "Stage",
    "StageName",
    "Triage",
]
