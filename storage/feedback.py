"""Staff corrections as training data: the `feedback_labels` table, written and read.

Every route a member of staff sets or confirms on a message is a label a person vouched for,
so `intake train --include-feedback` can learn from it (triage/feedback.py is the hook that
asks for these lines). Lines come out in the interfaces.md labelled-line format. Public posts
are redacted with `triage.pii.redact` before the text leaves for training: a model's training
set is a copy of the data, and personal data posted in public must not be copied (invariant 3).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import PiiSpan, PiiType
from storage.tables import FeedbackLabelRow, InboundRow

FEEDBACK_ID_PREFIX = "feedback-"


def record_label(session: Session, *, inbound_id: int | None, case_id: int | None, at: datetime,
                 actor: str, old_route: str | None, new_route: str,
                 flags: list[str]) -> FeedbackLabelRow:
    """Store one correction (or confirmation) in the caller's transaction."""
    row = FeedbackLabelRow(inbound_id=inbound_id, case_id=case_id, at=at, actor=actor[:200],
                           old_route=old_route, new_route=new_route, flags=sorted(set(flags)))
    session.add(row)
    session.flush()
    return row


def latest_labels(session: Session) -> list[FeedbackLabelRow]:
    """The newest label for each labelled inbound message (a later correction wins)."""
    latest: dict[int, FeedbackLabelRow] = {}
    for row in session.scalars(
        select(FeedbackLabelRow).where(FeedbackLabelRow.inbound_id.is_not(None))
        .order_by(FeedbackLabelRow.id)
    ):
        latest[int(row.inbound_id)] = row  # type: ignore[arg-type]
    return [latest[key] for key in sorted(latest)]


def _stored_spans(inbound: InboundRow) -> list[PiiSpan]:
    spans = []
    for raw in (inbound.triage or {}).get("pii", []) or []:
        try:
            spans.append(PiiSpan(int(raw["start"]), int(raw["end"]), PiiType(raw["type"])))
        except (KeyError, ValueError, TypeError):
            continue
    return spans


def training_text(inbound: InboundRow) -> str:
    """The text as it may be kept for training: public posts redacted, private ones as sent.

    Redaction uses the spans triage found when the message arrived plus a fresh detection, so a
    detector improved since then still protects old posts.
    """
    text = inbound.text or ""
    if not inbound.public:
        return text
    from triage.pii import detect_pii, redact

    return redact(text, [*_stored_spans(inbound), *detect_pii(text)])


def labelled_line(label: FeedbackLabelRow, inbound: InboundRow) -> dict[str, Any]:
    """One interfaces.md labelled line for a correction.

    `pii` in `gold` is empty: staff vouch for the route and flags, not for span offsets, and a
    redacted public text no longer contains the spans anyway.
    """
    return {
        "id": f"{FEEDBACK_ID_PREFIX}{inbound.id}",
        "channel": inbound.channel,
        "public": bool(inbound.public),
        "received_at": inbound.received_at.isoformat(),
        "subject": None if inbound.public else inbound.subject,
        "sender": None,
        "text": training_text(inbound),
        "gold": {"route": label.new_route, "flags": list(label.flags or []), "pii": []},
        "feedback": {"old_route": label.old_route, "actor": label.actor,
                     "at": label.at.isoformat()},
    }


def labelled_lines(session: Session) -> Iterator[dict[str, Any]]:
    """Every stored correction as a labelled line, one per message, oldest message first."""
    for label in latest_labels(session):
        inbound = session.get(InboundRow, label.inbound_id)
        if inbound is None or not (inbound.text or "").strip():
            continue
        yield labelled_line(label, inbound)
