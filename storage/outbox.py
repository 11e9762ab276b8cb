"""The outbox: replies queued in the same transaction as the decision that caused them.

Each row has a unique idempotency key (`ack:<inbound id>`), so a retried decision never
queues a second reply. The sender claims due rows with a lease, marks them `sending`, delivers,
then marks them `sent`; failures back off exponentially with jitter until a give-up time, after
which the row is `dead` and staff can see it. States: pending, sending, sent, retry, dead,
held (no transport configured: kept, not sent), suppressed (reply cap reached), undelivered
(bounced after sending).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models import OutboundMessage
from storage.db import Database, is_postgres
from storage.tables import OutboxRow, ReplyQuotaRow

PENDING, SENDING, SENT, RETRY, DEAD = "pending", "sending", "sent", "retry", "dead"
HELD, SUPPRESSED, UNDELIVERED = "held", "suppressed", "undelivered"
DUE_STATES = (PENDING, RETRY, SENDING)


def message_id_for(key: str, domain: str) -> str:
    """A stable Message-ID per outbox row: a resend after a crash carries the same id."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return f"<intake.{digest}@{domain}>"


def enqueue(session: Session, message: OutboundMessage, now: datetime, *, case_id: int | None,
            inbound_id: int | None, give_up_after: timedelta, message_id: str | None = None,
            state: str = PENDING, note: str | None = None) -> OutboxRow | None:
    """Queue a reply unless one with the same idempotency key exists (then return None)."""
    existing = session.scalar(
        select(OutboxRow.id).where(OutboxRow.idempotency_key == message.idempotency_key)
    )
    if existing is not None:
        return None
    row = OutboxRow(
        idempotency_key=message.idempotency_key,
        channel=message.channel.value,
        kind=message.kind,
        recipient=message.recipient,
        subject=message.subject,
        body=message.body,
        public=message.public,
        case_id=case_id,
        inbound_id=inbound_id,
        message_id=message_id,
        in_reply_to=message.in_reply_to,
        references=list(message.references),
        meta=dict(message.metadata),
        state=state,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
        give_up_at=now + give_up_after,
        last_error=note,
    )
    session.add(row)
    session.flush()
    return row


def count_auto_reply(session: Session, sender_key: str, now: datetime) -> int:
    """Atomically count one more automatic reply to `sender_key` this hour; returns the count."""
    window = now.replace(minute=0, second=0, microsecond=0)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(ReplyQuotaRow)
        .values(sender_key=sender_key[:512], window_start=window, count=1)
        .on_conflict_do_update(
            index_elements=[ReplyQuotaRow.sender_key, ReplyQuotaRow.window_start],
            set_={"count": ReplyQuotaRow.count + 1},
        )
        .returning(ReplyQuotaRow.count)
    )
    return int(session.execute(statement).scalar_one())


@dataclass(frozen=True, slots=True)
class Claimed:
    """What the sender needs to deliver one row, detached from the session."""

    id: int
    channel: str
    recipient: str
    subject: str | None
    body: str
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    attempts: int
    give_up_at: datetime
    public: bool
    kind: str
    metadata: dict[str, object]
    case_id: int | None


def claim_due(db: Database, now: datetime, lease: timedelta, channels: set[str],
              limit: int = 20) -> list[Claimed]:
    """Lease due rows for the channels that have a working transport."""
    if not channels:
        return []
    with db.transaction() as session:
        query = (
            select(OutboxRow)
            .where(OutboxRow.state.in_(DUE_STATES), OutboxRow.channel.in_(sorted(channels)))
            .where(OutboxRow.next_attempt_at <= now)
            .where(or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now))
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(limit)
        )
        if is_postgres(db.engine):
            query = query.with_for_update(skip_locked=True)
        rows = list(session.scalars(query))
        claimed = []
        for row in rows:
            row.state = SENDING
            row.lease_until = now + lease
            row.attempts += 1
            claimed.append(
                Claimed(row.id, row.channel, row.recipient, row.subject, row.body, row.message_id,
                        row.in_reply_to, tuple(row.references or ()), row.attempts,
                        row.give_up_at, row.public, row.kind, dict(row.meta or {}), row.case_id)
            )
        return claimed


def backoff(attempts: int, rng: random.Random | None = None, base: float = 5.0,
            cap: float = 3600.0) -> timedelta:
    """Exponential backoff with full jitter (AWS architecture blog's recommendation)."""
    ceiling = min(cap, base * (2 ** max(0, attempts - 1)))
    return timedelta(seconds=(rng or random).uniform(ceiling / 2, ceiling))


def mark_sent(db: Database, row_id: int, now: datetime) -> None:
    with db.transaction() as session:
        session.execute(
            update(OutboxRow).where(OutboxRow.id == row_id)
            .values(state=SENT, sent_at=now, lease_until=None, last_error=None)
        )


def mark_failed(db: Database, row_id: int, now: datetime, error: str, temporary: bool,
                retry_after: timedelta | None = None, base_seconds: float = 5.0) -> str:
    """Back off a temporary failure; a permanent one, or one past give-up, is dead."""
    with db.transaction() as session:
        row = session.get(OutboxRow, row_id)
        if row is None:
            return "missing"
        row.last_error = error[-4000:]
        row.lease_until = None
        delay = retry_after if retry_after is not None else backoff(row.attempts,
                                                                     base=base_seconds)
        if not temporary or now + delay > row.give_up_at:
            row.state = DEAD
        else:
            row.state = RETRY
            row.next_attempt_at = now + delay
        return row.state


def hold(db: Database, row_id: int, reason: str) -> None:
    """No transport for this channel: keep the row, visibly, without sending."""
    with db.transaction() as session:
        session.execute(
            update(OutboxRow).where(OutboxRow.id == row_id)
            .values(state=HELD, lease_until=None, last_error=reason)
        )
