"""`receive()`: the one door every channel uses. Store first, then let the channel confirm.

Invariant 1: a message is stored durably before its channel is told it was received (SMTP 250,
HTTP 200). Receipt is idempotent on (channel, external id): a redelivery of the same bytes is
recognised and not stored twice, while a different message reusing an id (broken clients and
test fixtures do this) is still kept, under a suffixed id.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select

from models import InboundMessage
from storage import queue
from storage.db import Database
from storage.tables import InboundRow

log = logging.getLogger("intake.receive")


def _digest(raw: bytes, text: str) -> str:
    return hashlib.sha256(raw or text.encode("utf-8", "surrogatepass")).hexdigest()


class Receiver:
    """Stores inbound messages; `wake` tells the workers there is something to do."""

    def __init__(self, db: Database, clock: Callable[[], datetime] | None = None,
                 wake: Callable[[], None] | None = None) -> None:
        self.db = db
        self.clock = clock or (lambda: datetime.now(UTC))
        self.wake = wake

    def store(self, message: InboundMessage, parse_error: str | None = None) -> queue.Stored:
        """Store synchronously (called from a worker thread)."""
        digest = _digest(message.raw, message.text)
        message = replace(message, metadata={**message.metadata, "sha256": digest})
        stored = queue.store_inbound(self.db, message, self.clock(), parse_error)
        if not stored.created and not self._same_content(stored.id, digest):
            suffixed = replace(message, external_id=f"{message.external_id}#{digest[:16]}")
            stored = queue.store_inbound(self.db, suffixed, self.clock(), parse_error)
        log.info("stored inbound=%s channel=%s new=%s", stored.id, message.channel.value,
                 stored.created)
        if stored.created and self.wake is not None:
            self.wake()
        return stored

    def _same_content(self, inbound_id: int, digest: str) -> bool:
        with self.db.transaction() as session:
            meta = session.scalar(select(InboundRow.meta).where(InboundRow.id == inbound_id))
        return isinstance(meta, dict) and meta.get("sha256") == digest

    async def __call__(self, message: InboundMessage,
                       parse_error: str | None = None) -> queue.Stored:
        """Store without blocking the event loop that serves SMTP and HTTP."""
        return await asyncio.to_thread(self.store, message, parse_error)
