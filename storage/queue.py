"""The inbound queue: store once, claim with a lease, finish, or move to dead letters.

Claiming uses `FOR UPDATE SKIP LOCKED` on PostgreSQL so workers on many machines never take the
same message; on SQLite the claim is one UPDATE inside a BEGIN IMMEDIATE transaction, which
serialises writers. A lease that runs out (the worker died) makes the message claimable again;
`attempts` counts claims so a poison message ends in the dead-letter state instead of blocking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import InboundMessage
from storage.db import Database, is_postgres
from storage.tables import InboundRow

PENDING, DONE, DEAD = "pending", "done", "dead"


@dataclass(frozen=True, slots=True)
class Stored:
    """Result of storing a message: its row id and whether it was new (False: a redelivery)."""

    id: int
    created: bool


def store_inbound(db: Database, message: InboundMessage, now: datetime,
                  parse_error: str | None = None) -> Stored:
    """Insert the raw message idempotently (unique channel + external id)."""
    row = InboundRow(
        channel=message.channel.value,
        external_id=message.external_id[:512],
        received_at=message.received_at,
        stored_at=now,
        sender=message.sender,
        sender_name=message.sender_name,
        recipient=message.recipient,
        subject=message.subject,
        text=message.text,
        public=message.public,
        raw=message.raw,
        thread_ids=list(message.thread_ids),
        automated=message.automated,
        conversation_id=message.conversation_id,
        attachments=[
            {"filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in message.attachments
        ],
        meta=dict(message.metadata),
        parse_error=parse_error,
        state=PENDING,
        attempts=0,
    )
    try:
        with db.transaction() as session:
            session.add(row)
            session.flush()
            return Stored(id=row.id, created=True)
    except IntegrityError:
        with db.transaction() as session:
            existing = session.scalar(
                select(InboundRow.id).where(
                    InboundRow.channel == message.channel.value,
                    InboundRow.external_id == message.external_id[:512],
                )
            )
        if existing is None:
            raise
        return Stored(id=existing, created=False)


def claim(db: Database, now: datetime, lease: timedelta, limit: int = 1) -> list[int]:
    """Lease up to `limit` pending messages whose lease is free; counts one attempt each."""
    with db.transaction() as session:
        candidates = (
            select(InboundRow.id)
            .where(InboundRow.state == PENDING)
            .where(or_(InboundRow.lease_until.is_(None), InboundRow.lease_until < now))
            .order_by(InboundRow.id)
            .limit(limit)
        )
        if is_postgres(db.engine):
            candidates = candidates.with_for_update(skip_locked=True)
        ids = list(session.scalars(candidates))
        if not ids:
            return []
        session.execute(
            update(InboundRow)
            .where(InboundRow.id.in_(ids))
            .values(lease_until=now + lease, attempts=InboundRow.attempts + 1)
        )
        return ids


def lock_for_processing(session: Session, inbound_id: int, postgres: bool) -> InboundRow | None:
    """Re-read a claimed row inside the processing transaction (row-locked on PostgreSQL)."""
    query = select(InboundRow).where(InboundRow.id == inbound_id, InboundRow.state == PENDING)
    if postgres:
        query = query.with_for_update()
    return session.scalar(query)


def fail(db: Database, inbound_id: int, stage: str, error: str, max_attempts: int,
         retry_at: datetime) -> str:
    """Record a failure; after `max_attempts` the message goes to dead letters (Mailman's shunt)."""
    with db.transaction() as session:
        row = session.get(InboundRow, inbound_id)
        if row is None:
            return "missing"
        row.last_error = error[-8000:]
        row.dead_stage = stage
        if row.attempts >= max_attempts:
            row.state = DEAD
            row.lease_until = None
        else:
            row.lease_until = retry_at
        return row.state


def release(db: Database, inbound_ids: list[int]) -> None:
    """Give leases back on clean shutdown so another worker can start at once."""
    if not inbound_ids:
        return
    with db.transaction() as session:
        session.execute(
            update(InboundRow)
            .where(InboundRow.id.in_(inbound_ids), InboundRow.state == PENDING)
            .values(lease_until=None, attempts=func.max(InboundRow.attempts - 1, 0)
                    if not is_postgres(db.engine)
                    else func.greatest(InboundRow.attempts - 1, 0))
        )


def requeue_dead(db: Database, inbound_ids: list[int] | None = None) -> int:
    """Move dead letters back to pending (after a fix), resetting their attempts."""
    with db.transaction() as session:
        query = update(InboundRow).where(InboundRow.state == DEAD)
        if inbound_ids:
            query = query.where(InboundRow.id.in_(inbound_ids))
        result = session.execute(
            query.values(state=PENDING, attempts=0, lease_until=None, dead_stage=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def counts(db: Database) -> dict[str, Any]:
    """Messages per state, for `intake status` and tests."""
    with db.transaction() as session:
        rows = session.execute(
            select(InboundRow.state, func.count()).group_by(InboundRow.state)
        ).all()
    return {state: int(n) for state, n in rows}
