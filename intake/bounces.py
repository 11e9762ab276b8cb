"""A bounce of our own reply marks that reply undelivered, on its case, for staff to act on.

The email channel reads a delivery report into `metadata["bounce"]` (ids of the returned
message, our X-Intake-Case header, action and status); this decides what it means, inside the
pipeline's transaction so the outbox row, the case event and the message state commit together:
- the outbox row whose Message-ID the report returns (or, failing that, the newest email reply
  on the case named by X-Intake-Case) becomes `undelivered`, with the status as its last error;
- the case gets a `reply_undelivered` event and is flagged for staff, because an
  acknowledgement the customer never received is not an acknowledgement (Code 5.6);
- a report that delivery is only delayed is recorded on the case, and changes nothing else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import InboundMessage
from storage import cases as case_store
from storage import outbox as outbox_store
from storage.tables import CaseRow, InboundRow, OutboxRow

_LEFT_STATES = (outbox_store.SENT, outbox_store.SENDING)  # handed to a relay at least once


def _find_row(session: Session, bounce: dict[str, Any]) -> OutboxRow | None:
    ids = [str(i) for i in bounce.get("message_ids") or [] if str(i).startswith("<")]
    if ids:
        row = session.scalar(
            select(OutboxRow).where(OutboxRow.message_id.in_(ids), OutboxRow.channel == "email")
            .order_by(OutboxRow.id.desc()).limit(1)
        )
        if row is not None:
            return row
    ref = bounce.get("case_ref")
    if not ref:
        return None
    case = case_store.find_by_ref(session, str(ref))
    if case is None:
        return None
    query = (select(OutboxRow)
             .where(OutboxRow.case_id == case.id, OutboxRow.channel == "email",
                    OutboxRow.state.in_(_LEFT_STATES))
             .order_by(OutboxRow.id.desc()).limit(1))
    recipients = [str(r).lower() for r in bounce.get("recipients") or []]
    if recipients:
        matched = session.scalar(query.where(OutboxRow.recipient.in_(recipients)))
        if matched is not None:
            return matched
    return session.scalar(query)


def record_bounce(session: Session, row: InboundRow, message: InboundMessage,
                  now: datetime) -> OutboxRow | None:
    """Apply the delivery report carried by `message`, if any; returns the reply it was about."""
    bounce = message.metadata.get("bounce")
    if not isinstance(bounce, dict):
        return None
    reply = _find_row(session, bounce)
    if reply is None:
        return None
    status = bounce.get("status") or "no status"
    detail = {"outbox_id": reply.id, "kind": reply.kind, "status": status,
              "action": bounce.get("action"), "message_id": reply.message_id}
    if not bounce.get("permanent"):
        if reply.case_id is not None:
            case_store.add_event(session, reply.case_id, now, "intake", "reply_delayed",
                                 f"delivery report: {reply.kind} delayed ({status})", detail,
                                 inbound_id=row.id)
        return reply
    if reply.state in _LEFT_STATES:
        reply.state = outbox_store.UNDELIVERED
        reply.lease_until = None
        reply.last_error = f"bounced: {status} (delivery report inbound {row.id})"[:4000]
    if reply.case_id is not None:
        case_store.add_event(session, reply.case_id, now, "intake", "reply_undelivered",
                             f"{reply.kind} to the customer bounced ({status}): contact them "
                             "another way", detail, inbound_id=row.id)
        case = session.get(CaseRow, reply.case_id)
        if case is not None:
            case.needs_staff = True
    return reply
