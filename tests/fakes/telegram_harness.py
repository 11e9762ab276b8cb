"""In-process harness for the Telegram channel: the real PTB Application (through
`channels.telegram.setup`) against the fake Bot API, with the real receive door, pipeline and
outbox on a SQLite database. Triage is a small keyword function so these tests are fast and do
not depend on the model; the end-to-end tests use the real triage.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from intake.pipeline import Pipeline
from intake.plugins import ChannelContext, ChannelRuntime
from intake.profiles import load_profile
from intake.receive import Receiver
from intake.settings import Settings
from models import InboundMessage, PolicyProfile, Route, Triage
from storage import outbox, queue
from storage.db import Database
from storage.tables import CaseRow, InboundRow
from tests.fakes.telegram_api import FakeBotApi


def keyword_triage(message: InboundMessage, profile: PolicyProfile) -> Triage:
    """Deterministic stand-in for the model: enough to reach every reply the channel carries."""
    text = message.text.lower()
    if "formal complaint" in text or "complain" in text:
        route = Route.COMPLAINT
    elif "not happy" in text:
        route = Route.DISSATISFACTION
    elif "neighbour" in text:
        route = Route.ASB
    else:
        route = Route.COMMENT
    return Triage(route=route, confidence=0.95, reasons=("test keywords",))


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Harness:
    fake: FakeBotApi
    db: Database
    runtime: ChannelRuntime
    pipeline: Pipeline
    profile: PolicyProfile

    async def until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            await asyncio.sleep(0.05)

    async def stored(self, count: int, timeout: float = 10.0) -> None:
        await self.until(lambda: self.inbound_count() >= count, timeout)

    def inbound_count(self) -> int:
        with self.db.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(InboundRow)) or 0)

    def inbound(self) -> list[InboundRow]:
        with self.db.transaction() as session:
            return list(session.scalars(select(InboundRow).order_by(InboundRow.id)))

    def cases(self) -> list[CaseRow]:
        with self.db.transaction() as session:
            return list(session.scalars(select(CaseRow).order_by(CaseRow.id)))

    async def drain(self) -> int:
        """Process every stored message, then deliver every due telegram reply."""
        while True:
            ids = await asyncio.to_thread(queue.claim, self.db, utcnow(), timedelta(minutes=1),
                                          10)
            if not ids:
                break
            for inbound_id in ids:
                await asyncio.to_thread(self.pipeline.process, inbound_id)
        delivered = 0
        transport = self.runtime.transports["telegram"]
        while True:
            rows = await asyncio.to_thread(outbox.claim_due, self.db, utcnow(),
                                           timedelta(minutes=1), {"telegram"}, 20)
            if not rows:
                return delivered
            for row in rows:
                await transport.send(row)
                await asyncio.to_thread(outbox.mark_sent, self.db, row.id, utcnow())
                delivered += 1


def make_settings(fake: FakeBotApi, **env: Any) -> Settings:
    values: dict[str, Any] = {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_URL": fake.url}
    values.update(env)
    return Settings(**values)


@asynccontextmanager
async def running(db: Database, fake: FakeBotApi, receive: Any = None,
                  chat_merge: timedelta = timedelta(minutes=10),
                  **env: Any) -> AsyncIterator[Harness]:
    """The channel started as `intake serve` starts it, stopped cleanly afterwards."""
    from channels import telegram

    profile = load_profile("hos-2024")
    receiver = Receiver(db, clock=utcnow)
    ctx = ChannelContext(make_settings(fake, **env), profile, db, receive or receiver, utcnow)
    runtime = telegram.setup(ctx)
    assert runtime is not None
    pipeline = Pipeline(db, profile, mail_domain="localhost", triage_fn=keyword_triage,
                        clock=utcnow, chat_merge=chat_merge)
    assert runtime.start is not None and runtime.stop is not None
    await runtime.start()
    try:
        yield Harness(fake, db, runtime, pipeline, profile)
    finally:
        await runtime.stop()
