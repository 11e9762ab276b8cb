"""Cases, stages, deadlines, events and customers: the writes a decision makes, and the reads
staff and scripts make (`intake cases list|show`)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from storage.tables import (
    CaseEventRow,
    CaseRow,
    ChannelIdentityRow,
    CustomerRow,
    DeadlineRow,
    InboundRow,
    OutboxRow,
    StageRow,
)


def customer_for(session: Session, channel: str, address: str | None, display_name: str | None,
                 now: datetime) -> int | None:
    """The customer owning this channel address, created on first contact (race-safe)."""
    if not address:
        return None
    address = address.strip().lower()[:512]
    found = session.scalar(
        select(ChannelIdentityRow.customer_id).where(
            ChannelIdentityRow.channel == channel, ChannelIdentityRow.address == address
        )
    )
    if found is not None:
        return int(found)
    try:
        with session.begin_nested():
            customer = CustomerRow(display_name=display_name, created_at=now)
            session.add(customer)
            session.flush()
            session.add(ChannelIdentityRow(customer_id=customer.id, channel=channel,
                                           address=address))
            session.flush()
            return int(customer.id)
    except IntegrityError:
        found = session.scalar(
            select(ChannelIdentityRow.customer_id).where(
                ChannelIdentityRow.channel == channel, ChannelIdentityRow.address == address
            )
        )
        return int(found) if found is not None else None


def add_event(session: Session, case_id: int, now: datetime, actor: str, action: str,
              reason: str | None = None, detail: dict[str, Any] | None = None,
              inbound_id: int | None = None) -> None:
    """Append to the audit trail (the table refuses updates and deletes)."""
    session.add(CaseEventRow(case_id=case_id, at=now, actor=actor, action=action, reason=reason,
                             detail=detail or {}, inbound_id=inbound_id))


def add_stage(session: Session, case: CaseRow, name: str, now: datetime, officer_name: str,
              officer_title: str, deadlines: list[tuple[str, date, date, int]]) -> StageRow:
    """Open a stage with its deadlines: (kind, start, due, working days)."""
    stage = StageRow(case_id=case.id, name=name, opened_at=now, officer_name=officer_name,
                     officer_title=officer_title)
    session.add(stage)
    session.flush()
    for kind, start, due, working_days in deadlines:
        session.add(DeadlineRow(stage_id=stage.id, kind=kind, start=start, due=due,
                                working_days=working_days))
    case.current_stage = name
    case.officer_name = officer_name
    case.officer_title = officer_title
    session.flush()
    return stage


def find_by_ref(session: Session, ref: str) -> CaseRow | None:
    return session.scalar(select(CaseRow).where(CaseRow.ref == ref.upper()))


def find_by_message_ids(session: Session, message_ids: list[str]) -> CaseRow | None:
    """The case one of our own replies (by Message-ID) belongs to."""
    ids = [m.strip() for m in message_ids if m and m.strip()]
    if not ids:
        return None
    case_id = session.scalar(
        select(OutboxRow.case_id)
        .where(OutboxRow.message_id.in_(ids), OutboxRow.case_id.is_not(None))
        .order_by(OutboxRow.id.desc())
        .limit(1)
    )
    return session.get(CaseRow, case_id) if case_id is not None else None


def find_by_inbound_external_ids(session: Session, channel: str,
                                 external_ids: list[str]) -> CaseRow | None:
    """The case an earlier inbound message (quoted in References) was filed on."""
    if not external_ids:
        return None
    case_id = session.scalar(
        select(InboundRow.case_id).where(
            InboundRow.channel == channel, InboundRow.external_id.in_(external_ids),
            InboundRow.case_id.is_not(None),
        ).order_by(InboundRow.id.desc()).limit(1)
    )
    return session.get(CaseRow, case_id) if case_id is not None else None


def load_case(session: Session, ref: str) -> CaseRow | None:
    """A case with its stages and deadlines loaded, for display."""
    return session.scalar(
        select(CaseRow).where(CaseRow.ref == ref.upper()).options(
            selectinload(CaseRow.stages).selectinload(StageRow.deadlines)
        )
    )


def case_events(session: Session, case_id: int) -> list[CaseEventRow]:
    return list(session.scalars(
        select(CaseEventRow).where(CaseEventRow.case_id == case_id).order_by(CaseEventRow.id)
    ))


def case_outbox(session: Session, case_id: int) -> list[OutboxRow]:
    return list(session.scalars(
        select(OutboxRow).where(OutboxRow.case_id == case_id).order_by(OutboxRow.id)
    ))


def list_cases(session: Session, status: str | None = None, limit: int = 200) -> list[CaseRow]:
    query = select(CaseRow).options(
        selectinload(CaseRow.stages).selectinload(StageRow.deadlines)
    ).order_by(CaseRow.id.desc()).limit(limit)
    if status:
        query = query.where(CaseRow.status == status)
    return list(session.scalars(query))


def owns(session: Session, case: CaseRow, channel: str, address: str | None) -> bool:
    """Whether this channel address belongs to the customer who owns the case."""
    if not address or case.customer_id is None:
        return False
    customer = session.scalar(
        select(ChannelIdentityRow.customer_id).where(
            ChannelIdentityRow.channel == channel,
            ChannelIdentityRow.address == address.strip().lower()[:512],
        )
    )
    return customer is not None and int(customer) == case.customer_id


def recent_case_for(session: Session, channel: str, reply_to: str,
                    since: datetime) -> CaseRow | None:
    """The newest case opened on this conversation since `since` (chat bursts merge into it)."""
    return session.scalar(
        select(CaseRow).where(CaseRow.channel == channel, CaseRow.reply_to == reply_to,
                              CaseRow.opened_at >= since)
        .order_by(CaseRow.id.desc()).limit(1)
    )


def lock_conversation(session: Session, channel: str, conversation: str) -> None:
    """PostgreSQL transaction-scoped advisory lock on one conversation."""
    digest = hashlib.sha256(f"{channel}:{conversation}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
