"""Webhook mode: `POST /telegram/webhook` on our real aiohttp server, verifying Telegram's
secret token before anything is stored; and the channel's settings."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from intake.errors import ConfigError
from intake.http import make_app
from intake.plugins import ChannelContext
from intake.profiles import load_profile
from intake.receive import Receiver
from storage.db import Database
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_fixtures import db, fake  # noqa: F401 (pytest fixtures)
from tests.fakes.telegram_harness import Harness, make_settings, running, utcnow
from tests.pg import free_port

SECRET = "s3cret-Token_for-webhooks"
HOOK = "https://intake.example.org/telegram/webhook"
COMPLAINT = ("I want to make a formal complaint about the missed repair appointments for my "
             "leaking bathroom ceiling.")


@asynccontextmanager
async def serving(db: Database, fake: FakeBotApi,
                  **env: Any) -> AsyncIterator[tuple[Harness, str]]:
    async with running(db, fake, **env) as h:
        runner = web.AppRunner(make_app(db, h.runtime.routes))
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield h, f"http://127.0.0.1:{port}/telegram/webhook"
        finally:
            await runner.cleanup()


async def post(url: str, body: bytes, secret: str | None) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    async with aiohttp.ClientSession() as session, \
            session.post(url, data=body, headers=headers) as resp:
        return resp.status, await resp.text()


def test_webhook_verifies_the_secret_token_before_storing(fake: FakeBotApi,
                                                          db: Database) -> None:
    update = fake.text(COMPLAINT, push=False)
    body = json.dumps(update).encode()

    async def scenario() -> None:
        async with serving(db, fake, TELEGRAM_WEBHOOK_URL=HOOK,
                           TELEGRAM_WEBHOOK_SECRET=SECRET) as (h, url):
            await h.until(lambda: bool(fake.calls_to("setWebhook")))
            registered = fake.calls_to("setWebhook")[0].params
            assert registered["url"] == HOOK and registered["secret_token"] == SECRET
            assert registered["allowed_updates"] == ["message", "edited_message",
                                                     "callback_query"]
            status, text = await post(url, body, None)
            assert status == 401 and "X-Telegram-Bot-Api-Secret-Token" in text
            status, text = await post(url, body, "wrong-secret")
            assert status == 403 and "wrong" in text
            status, _ = await post(url, body, SECRET[:-1])
            assert status == 403
            assert h.inbound_count() == 0

            status, text = await post(url, b"{not json", SECRET)
            assert status == 400 and "JSON" in text
            status, text = await post(url, b'{"message": {}}', SECRET)
            assert status == 400 and "update_id" in text
            assert h.inbound_count() == 0

            status, _ = await post(url, body, SECRET)
            assert status == 200 and h.inbound_count() == 1
            status, _ = await post(url, body, SECRET)  # Telegram redelivers: stored once
            assert status == 200 and h.inbound_count() == 1
            row = h.inbound()[0]
            assert row.text == COMPLAINT and row.conversation_id == "555000111"
            await h.drain()
            assert h.cases()[0].ref in fake.sent_to(555000111)[0]["text"]
            assert fake.calls_to("getUpdates") == [], "webhook mode must not poll"

    asyncio.run(scenario())


def test_webhook_refuses_everything_when_no_secret_is_configured(fake: FakeBotApi,
                                                                 db: Database) -> None:
    body = json.dumps(fake.text(COMPLAINT, push=False)).encode()

    async def scenario() -> None:
        async with serving(db, fake) as (h, url):
            status, text = await post(url, body, "anything")
            assert status == 403 and "TELEGRAM_WEBHOOK_SECRET" in text
            status, _ = await post(url, body, None)
            assert status == 403
            assert h.inbound_count() == 0

    asyncio.run(scenario())


def test_channel_is_off_without_a_token_and_webhook_needs_a_secret(fake: FakeBotApi,
                                                                   db: Database) -> None:
    from channels import telegram

    async def scenario() -> None:
        profile = load_profile("hos-2024")
        receiver = Receiver(db, clock=utcnow)
        off = make_settings(fake, TELEGRAM_BOT_TOKEN=None)
        assert telegram.setup(ChannelContext(off, profile, db, receiver, utcnow)) is None
        unsafe = make_settings(fake, TELEGRAM_WEBHOOK_URL=HOOK)
        with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
            telegram.setup(ChannelContext(unsafe, profile, db, receiver, utcnow))
        bad_url = make_settings(fake, TELEGRAM_API_URL="127.0.0.1:8081")
        with pytest.raises(ConfigError, match="TELEGRAM_API_URL"):
            telegram.setup(ChannelContext(bad_url, profile, db, receiver, utcnow))

    asyncio.run(scenario())


def test_api_url_forms() -> None:
    from channels.telegram_runtime import api_urls

    assert api_urls(None) is None
    assert api_urls("http://127.0.0.1:8081/") == ("http://127.0.0.1:8081/bot",
                                                  "http://127.0.0.1:8081/file/bot")
    assert api_urls("https://tg.example.org/bot") == ("https://tg.example.org/bot",
                                                      "https://tg.example.org/file/bot")
