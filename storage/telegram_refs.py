"""Telegram identifiers kept in `channel_refs` (no new table: it is unique on channel, kind,
value).

- `sent` rows (value `outbox:<row id>:<part>`): each part of an outbox row that Telegram
  accepted, so a resend after a crash between `sendMessage` and marking the row sent skips what
  the customer already has (Telegram has no idempotency key of its own);
- `bot_message` rows (value `<chat id>:<message id>`, with the case): the messages the bot sent,
  so a customer's "reply" to one of them later is filed on that case.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.tables import CaseRow, ChannelRefRow

CHANNEL, SENT, BOT_MESSAGE = "telegram", "sent", "bot_message"


def sent_parts(db: Database, outbox_id: int) -> set[int]:
    """Parts of this outbox row Telegram already accepted."""
    prefix = f"outbox:{outbox_id}:"
    with db.transaction() as session:
        values = session.scalars(select(ChannelRefRow.value).where(
            ChannelRefRow.channel == CHANNEL, ChannelRefRow.kind == SENT,
            ChannelRefRow.value.startswith(prefix, autoescape=True)))
        return {int(v.removeprefix(prefix)) for v in values if v.removeprefix(prefix).isdigit()}


def record_sent(db: Database, outbox_id: int, part: int, chat_id: str, message_id: int,
                case_id: int | None, now: datetime) -> None:
    """Remember one delivered part and the bot message it became (idempotent)."""
    rows = [(SENT, f"outbox:{outbox_id}:{part}"), (BOT_MESSAGE, f"{chat_id}:{message_id}")]
    with db.transaction() as session:
        for kind, value in rows:
            exists = session.scalar(select(ChannelRefRow.id).where(
                ChannelRefRow.channel == CHANNEL, ChannelRefRow.kind == kind,
                ChannelRefRow.value == value))
            if exists is not None:
                continue
            try:
                with session.begin_nested():
                    session.add(ChannelRefRow(case_id=case_id, channel=CHANNEL, kind=kind,
                                              value=value, meta={"outbox_id": outbox_id},
                                              created_at=now))
                    session.flush()
            except IntegrityError:
                continue


def case_ref_for_bot_message(db: Database, chat_id: str, message_id: int) -> str | None:
    """The reference of the case a bot message in this chat was about, if we know it."""
    with db.transaction() as session:
        return session.scalar(
            select(CaseRow.ref).join(ChannelRefRow, ChannelRefRow.case_id == CaseRow.id).where(
                ChannelRefRow.channel == CHANNEL, ChannelRefRow.kind == BOT_MESSAGE,
                ChannelRefRow.value == f"{chat_id}:{message_id}"))
