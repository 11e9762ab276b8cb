"""Store parsed social items through the one door, after finding what they continue.

Threading is translation, not decision: like an email's References header, a Messenger
conversation opened by our private reply, or a comment answering the same person's earlier
comment (or our reply to it), names the earlier message it continues. The pipeline then finds
the case from that message as it does for email.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from typing import Any

from channels.facebook_parse import Item
from intake.receive import Receiver
from models import InboundMessage
from storage import social_links
from storage.db import Database

log = logging.getLogger("intake.channels.social")


@dataclass(frozen=True)
class Stored:
    """One stored item: its inbound row id, and False when it was a redelivery."""

    item: Item
    message: InboundMessage
    inbound_id: int
    created: bool


def _thread(db: Database, item: Item, message: InboundMessage) -> InboundMessage:
    """Add the earlier message this one continues to `thread_ids` (read-only queries)."""
    with db.transaction() as session:
        found: str | None = None
        if item.psid:
            found = social_links.psid_thread(session, item.psid)
        elif item.parents:
            found = social_links.comment_thread(session, list(item.parents), message.sender)
            if found is not None and message.public:
                root = social_links.thread_root(session, found)
                if root:
                    message = replace(message, metadata={**message.metadata, "thread_id": root})
    if found is None or found in message.thread_ids:
        return message
    return replace(message, thread_ids=(*message.thread_ids, found))


async def store_items(db: Database, receive: Receiver, items: list[Item]) -> list[Stored]:
    """Store every readable item (with its problem as parse error); storage errors propagate
    so the endpoint answers 5xx and the sender retries: nothing is confirmed unstored."""
    stored: list[Stored] = []
    for item in items:
        if item.message is None:
            continue
        message = await asyncio.to_thread(_thread, db, item, item.message)
        result = await receive(message, item.problem)
        stored.append(Stored(item, message, result.id, result.created))
    return stored


def summary(items: list[Item], stored: list[Stored]) -> dict[str, Any]:
    """The JSON an endpoint answers with: ids only, never what anyone wrote."""
    return {
        "stored": [s.inbound_id for s in stored if s.created],
        "duplicates": [s.inbound_id for s in stored if not s.created],
        "ignored": [{"where": i.where, "reason": i.ignored} for i in items if i.ignored],
        "problems": [i.problem for i in items if i.problem],
    }
