"""Which messages of a landlord's own IMAP mailbox are already stored (channel_refs rows).

Keys are "<mailbox>:<UIDVALIDITY>:<UID>": a UID means nothing once the server changes the
mailbox's UIDVALIDITY (a restore, a migration), so a new UIDVALIDITY makes every key new and
each message is fetched again; receipt then recognises it by Message-ID and sha256, so nothing
is processed twice. The key only spares downloading a big message again when moving it to the
processed folder failed the first time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.tables import ChannelRefRow

CHANNEL, KIND = "email", "imap_uid"


def uid_key(mailbox: str, uidvalidity: int, uid: int) -> str:
    return f"{mailbox}:{uidvalidity}:{uid}"[:512]


def stored_inbound(db: Database, key: str) -> int | None:
    """The inbound id a mailbox message was stored as, or None if not stored yet."""
    with db.transaction() as session:
        meta = session.scalar(
            select(ChannelRefRow.meta).where(ChannelRefRow.channel == CHANNEL,
                                             ChannelRefRow.kind == KIND,
                                             ChannelRefRow.value == key)
        )
    if meta is None:
        return None
    return int(meta.get("inbound_id", 0)) or None


def remember(db: Database, key: str, inbound_id: int, now: datetime) -> None:
    """Record that the mailbox message `key` is stored as `inbound_id` (idempotent)."""
    try:
        with db.transaction() as session:
            session.add(ChannelRefRow(case_id=None, channel=CHANNEL, kind=KIND, value=key,
                                      meta={"inbound_id": inbound_id}, created_at=now))
    except IntegrityError:
        return
