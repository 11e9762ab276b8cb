"""Staff-side identifiers kept in `channel_refs`: action keys, posted cards, assignees.

No new table is needed: `channel_refs` is unique on (channel, kind, value), which gives
- `action` rows: one per staff action idempotency key (a Slack `action_ts` or view id), so a
  double delivery of the same click is refused by the database itself, atomically;
- `card` rows: the ts of each posted staff card (meta: Slack channel, outbox row), so a card
  can be updated in place later;
- `assignee:<user>` rows (value = case id): the chat user a case is assigned to, for the
  officer's own queue (Slack App Home).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.tables import ChannelRefRow

ACTION, CARD, ASSIGNEE = "action", "card", "assignee"


def claim_action(session: Session, channel: str, key: str, case_id: int | None,
                 now: datetime, detail: dict[str, Any] | None = None) -> bool:
    """Record an action key; False when it was already recorded (a retried delivery)."""
    exists = session.scalar(select(ChannelRefRow.id).where(
        ChannelRefRow.channel == channel, ChannelRefRow.kind == ACTION,
        ChannelRefRow.value == key[:512]))
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ChannelRefRow(case_id=case_id, channel=channel, kind=ACTION,
                                      value=key[:512], meta=detail or {}, created_at=now))
            session.flush()
    except IntegrityError:
        return False
    return True


def add_card(session: Session, channel: str, ts: str, case_id: int | None, now: datetime,
             meta: dict[str, Any]) -> None:
    """Remember a posted card (idempotent on its ts)."""
    exists = session.scalar(select(ChannelRefRow.id).where(
        ChannelRefRow.channel == channel, ChannelRefRow.kind == CARD, ChannelRefRow.value == ts))
    if exists is None:
        session.add(ChannelRefRow(case_id=case_id, channel=channel, kind=CARD, value=ts,
                                  meta=meta, created_at=now))
        session.flush()


def card_for_outbox(session: Session, channel: str, outbox_id: int) -> ChannelRefRow | None:
    """The card an outbox row already posted (a resend after a crash updates it instead)."""
    for ref in session.scalars(select(ChannelRefRow).where(
            ChannelRefRow.channel == channel, ChannelRefRow.kind == CARD)
            .order_by(ChannelRefRow.id.desc()).limit(500)):
        if (ref.meta or {}).get("outbox_id") == outbox_id:
            return ref
    return None


def cards_for_case(session: Session, channel: str, case_id: int) -> list[ChannelRefRow]:
    return list(session.scalars(select(ChannelRefRow).where(
        ChannelRefRow.channel == channel, ChannelRefRow.kind == CARD,
        ChannelRefRow.case_id == case_id).order_by(ChannelRefRow.id)))


def card_by_ts(session: Session, channel: str, ts: str) -> ChannelRefRow | None:
    return session.scalar(select(ChannelRefRow).where(
        ChannelRefRow.channel == channel, ChannelRefRow.kind == CARD, ChannelRefRow.value == ts))


def set_assignee(session: Session, channel: str, user: str, case_id: int,
                 now: datetime) -> None:
    """Make `user` the one assignee of the case on this channel."""
    session.execute(delete(ChannelRefRow).where(
        ChannelRefRow.channel == channel, ChannelRefRow.kind.like(f"{ASSIGNEE}:%"),
        ChannelRefRow.value == str(case_id)))
    session.add(ChannelRefRow(case_id=case_id, channel=channel, kind=f"{ASSIGNEE}:{user}"[:64],
                              value=str(case_id), meta={"user": user}, created_at=now))
    session.flush()


def assigned_case_ids(session: Session, channel: str, user: str) -> list[int]:
    return [int(v) for v in session.scalars(select(ChannelRefRow.case_id).where(
        ChannelRefRow.channel == channel, ChannelRefRow.kind == f"{ASSIGNEE}:{user}"[:64]))
        if v is not None]
