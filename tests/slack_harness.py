"""The Slack channel running in-process for tests: the real Bolt app mounted on our real
aiohttp server, the real pipeline and outbox sender, and a fake Slack Web API on loopback.

Triage is a small keyword function (the triage models are tested elsewhere), so each test
controls the route and flags of the messages it sends.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import select

from channels import slack
from intake.http import make_app
from intake.outgoing import StaffChannel
from intake.pipeline import Pipeline
from intake.plugins import ChannelContext, ChannelRuntime
from intake.profiles import load_profile
from intake.receive import Receiver
from intake.sender import Sender
from intake.settings import Settings
from intake.worker import drain
from models import Channel, Flag, InboundMessage, PiiSpan, PiiType, PolicyProfile, Route, Triage
from storage.db import Database
from storage.migrate import upgrade
from storage.tables import ChannelRefRow, OutboxRow
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import sign
from tests.pg import free_port

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TRIAGE_CHANNEL = "C0TRIAGE01"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def keyword_triage(message: InboundMessage, profile: PolicyProfile) -> Triage:
    """Deterministic stand-in for the triage models: the route is named by a keyword."""
    text = message.text.lower()
    route = Route.COMPLAINT
    for word, candidate in (("unhappy", Route.DISSATISFACTION), ("neighbour", Route.ASB),
                            ("repair please", Route.SERVICE_REQUEST)):
        if word in text:
            route = candidate
    flags = frozenset({Flag.HEALTH_SAFETY} if "gas" in text else set())
    pii = []
    if "07700 900123" in message.text:
        start = message.text.index("07700 900123")
        pii.append(PiiSpan(start, start + 12, PiiType.PHONE))
    return Triage(route=route, confidence=0.87, flags=flags, pii=tuple(pii),
                  reasons=(f"keyword rule: {route.value}",))


async def until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.05)
    assert predicate(), "condition not met in time"


class Harness:
    """Start with `async with Harness(...) as h:`."""

    def __init__(self, tmp_path: Path, fake: FakeSlack, *, profile: str = "hos-2024",
                 clock: Clock | None = None, app_token: str | None = None,
                 signing_secret: str | None = SECRET) -> None:
        self.fake = fake
        self.clock = clock or Clock()
        self.db = Database(f"sqlite:///{tmp_path / 'slack.sqlite3'}")
        upgrade(self.db.engine)
        self.profile = load_profile(profile)
        values: dict[str, Any] = {
            "slack_bot_token": "xoxb-test-token", "slack_triage_channel": TRIAGE_CHANNEL,
            "slack_api_url": fake.api_url, "db_url": self.db.url,
        }
        if signing_secret:
            values["slack_signing_secret"] = signing_secret
        if app_token:
            values["slack_app_token"] = app_token
        self.settings = Settings(**values)
        self.port = free_port()
        self.runtime: ChannelRuntime | None = None
        self.sender: Sender | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ids = 0

    async def __aenter__(self) -> Harness:
        self.receiver = Receiver(self.db, clock=self.clock)
        ctx = ChannelContext(self.settings, self.profile, self.db, self.receiver, self.clock)
        runtime = slack.setup(ctx)
        assert runtime is not None
        self.runtime = runtime
        self.pipeline = Pipeline(self.db, self.profile, mail_domain="localhost",
                                 triage_fn=keyword_triage, clock=self.clock,
                                 staff=StaffChannel(Channel.SLACK, TRIAGE_CHANNEL))
        self._runner = web.AppRunner(make_app(self.db, runtime.routes), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self.sender = Sender(self.db, runtime.transports, clock=self.clock, poll_seconds=0.05)
        self.sender.start()
        if runtime.start is not None:
            await runtime.start()
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.runtime is not None
        if self.runtime.stop is not None:
            await self.runtime.stop()
        if self.sender is not None:
            await self.sender.stop()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()
        self.db.dispose()

    # -- customers write in ----------------------------------------------------------------

    async def email(self, text: str, *, subject: str = "Repairs", public: bool = False,
                    sender: str = "jo@example.com") -> None:
        self._ids += 1
        message = InboundMessage(
            channel=Channel.SOCIAL if public else Channel.EMAIL,
            external_id=f"<m{self._ids}@example.com>", received_at=self.clock(), text=text,
            sender=sender, sender_name="Jo Bloggs", subject=None if public else subject,
            public=public, raw=text.encode(),
            conversation_id=f"post-{self._ids}" if public else None)
        await asyncio.to_thread(self.receiver.store, message)
        await asyncio.to_thread(drain, self.pipeline, self.clock, timedelta(seconds=60))

    async def card(self, number: int = 1) -> tuple[str, str, list[dict[str, Any]]]:
        """(channel, ts, blocks) of the number-th card posted."""
        await until(lambda: len(self.fake.calls("chat.postMessage")) >= number)
        call = self.fake.calls("chat.postMessage")[number - 1]
        ts = await self.ts_for_card(number)
        return str(call.args["channel"]), ts, list(call.args["blocks"])

    async def ts_for_card(self, number: int) -> str:
        def refs() -> list[ChannelRefRow]:
            with self.db.transaction() as s:
                return list(s.scalars(select(ChannelRefRow).where(ChannelRefRow.kind == "card")
                                      .order_by(ChannelRefRow.id)))
        await until(lambda: len(refs()) >= number)
        return refs()[number - 1].value

    # -- Slack calls us ----------------------------------------------------------------------

    async def post(self, body: str, *, content_type: str = "application/x-www-form-urlencoded",
                   headers: dict[str, str] | None = None,
                   signed: bool = True) -> tuple[int, str]:
        assert self._session is not None
        all_headers = {"Content-Type": content_type, **(sign(SECRET, body) if signed else {}),
                       **(headers or {})}
        async with self._session.post(f"http://127.0.0.1:{self.port}/slack/events", data=body,
                                      headers=all_headers) as resp:
            return resp.status, await resp.text()

    # -- reading state -----------------------------------------------------------------------

    def outbox(self, kind: str | None = None) -> list[OutboxRow]:
        with self.db.transaction() as s:
            query = select(OutboxRow).order_by(OutboxRow.id)
            if kind:
                query = query.where(OutboxRow.kind == kind)
            return list(s.scalars(query))

    def detail(self, ref: str) -> dict[str, Any]:
        from intake.views import case_detail
        from storage import cases as store

        with self.db.transaction() as s:
            case = store.load_case(s, ref)
            assert case is not None
            return json.loads(json.dumps(case_detail(s, case), default=str))


def run(coro: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(coro())  # type: ignore[arg-type]


def card_text(blocks: list[dict[str, Any]]) -> str:
    """Every text in a list of blocks, for assertions."""
    return json.dumps(blocks, ensure_ascii=False)


def ref_of(blocks: list[dict[str, Any]]) -> str:
    for block in blocks:
        if block.get("type") == "actions" and block["block_id"].startswith("intake_case:"):
            return str(block["block_id"].split(":", 1)[1])
    raise AssertionError("no actions block on the card")
