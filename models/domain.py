"""Typed domain objects that every package speaks in.

Plain frozen dataclasses: they cross thread and process boundaries, are cheap to build in the
hot triage path, and carry no behaviour beyond small derived views.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

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


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file the customer sent; the bytes are stored with the raw message, not duplicated."""

    filename: str
    content_type: str
    size: int


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One message as a channel adapter hands it to `intake.receive()`.

    `external_id` is the channel's own identifier (Message-ID, Telegram update id, Facebook
    comment id); together with `channel` it makes receipt idempotent.
    """

    channel: Channel
    external_id: str
    received_at: datetime
    text: str
    sender: str | None = None
    sender_name: str | None = None
    subject: str | None = None
    public: bool = False
    raw: bytes = b""
    recipient: str | None = None
    thread_ids: tuple[str, ...] = ()
    automated: str | None = None
    attachments: tuple[Attachment, ...] = ()
    conversation_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """A piece of personal data found in a text, with the recognizer that found it."""

    start: int
    end: int
    type: PiiType
    recognizer: str = ""
    score: float = 1.0

    def as_json(self) -> dict[str, Any]:
        """The `pii` entry of a triage output line."""
        return {"start": self.start, "end": self.end, "type": self.type.value}


@dataclass(frozen=True, slots=True)
class Triage:
    """What the triage layer concluded about one message, and why."""

    route: Route
    confidence: float
    flags: frozenset[Flag] = frozenset()
    pii: tuple[PiiSpan, ...] = ()
    incident_date: date | None = None
    recurring: bool = False
    needs_review: bool = False
    reasons: tuple[str, ...] = ()
    model_version: str = ""
    scores: dict[str, float] = field(default_factory=dict)

    def as_json(self, message_id: str) -> dict[str, Any]:
        """The `intake triage` output line (interfaces.md)."""
        return {
            "id": message_id,
            "route": self.route.value,
            "confidence": round(float(self.confidence), 4),
            "flags": sorted(f.value for f in self.flags),
            "pii": [span.as_json() for span in self.pii],
            "incident_date": self.incident_date.isoformat() if self.incident_date else None,
            "needs_review": self.needs_review,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True)
class Deadline:
    """A statutory clock on a stage, counted in working days by the policy calendar."""

    kind: DeadlineKind
    due: date
    working_days: int
    extended_by: int = 0
    met_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Stage:
    """One stage of a case; the Code allows stage 1 and stage 2 only."""

    name: StageName
    opened_at: datetime
    deadlines: tuple[Deadline, ...] = ()
    closed_at: datetime | None = None
    outcome: str | None = None


@dataclass(frozen=True, slots=True)
class Officer:
    """Who handles a case; Calico's acknowledgement must name them and their job title."""

    name: str
    title: str


@dataclass(frozen=True, slots=True)
class Case:
    """A case as staff and scripts read it."""

    ref: str
    route: Route
    status: CaseStatus
    channel: Channel
    opened_at: datetime
    customer: str | None
    summary: str
    policy: str
    flags: frozenset[Flag] = frozenset()
    stages: tuple[Stage, ...] = ()
    officer: Officer | None = None


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A reply the pipeline wants delivered; the outbox turns it into a row with a unique key."""

    channel: Channel
    recipient: str
    body: str
    idempotency_key: str
    subject: str | None = None
    public: bool = False
    kind: str = "reply"
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with a triaged message: the only output of `intake.decide()`.

    The pipeline applies it in one transaction; `reasons` are shown to staff and stored as
    events so every decision is explained (invariant 4).
    """

    kind: DecisionKind
    route: Route
    reasons: tuple[str, ...]
    case_ref: str | None = None
    stage: StageName | None = None
    needs_staff: bool = False
    reply_template: str | None = None
    officer: Officer | None = None
