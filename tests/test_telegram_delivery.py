"""Replies on the chat: the Telegram transport under the real outbox sender, against the fake
Bot API, including flood control (429 with retry_after), outages and refusals."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram import Bot

from channels.telegram_outbound import TelegramTransport, split_text
from intake.errors import DeliveryError
from intake.sender import Sender
from models import Channel, OutboundMessage
from storage import outbox
from storage.db import Database
from storage.tables import OutboxRow
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_fixtures import db, fake  # noqa: F401 (pytest fixtures)
from tests.fakes.telegram_harness import running
from tests.pg import free_port

CHAT = 555000111


def queue_reply(db: Database, body: str, kind: str = "acknowledgement",
                key: str = "ack:1") -> int:
    now = datetime.now(UTC)
    with db.transaction() as session:
        row = outbox.enqueue(session, OutboundMessage(
            channel=Channel.TELEGRAM, recipient=str(CHAT), body=body, idempotency_key=key,
            kind=kind, metadata={"case_ref": "CMP-2026-00007"}),
            now, case_id=None, inbound_id=None, give_up_after=timedelta(hours=1))
        assert row is not None
        return row.id


def outbox_row(db: Database, row_id: int) -> OutboxRow:
    with db.transaction() as session:
        row = session.get(OutboxRow, row_id)
        assert row is not None
        return row


async def deliver_with_sender(db: Database, fake: FakeBotApi, until: Any,
                              timeout: float = 15.0) -> None:
    connected = len(fake.calls_to("deleteWebhook"))
    async with running(db, fake) as h:
        await h.until(lambda: len(fake.calls_to("deleteWebhook")) > connected)
        sender = Sender(db, h.runtime.transports, clock=lambda: datetime.now(UTC),
                        poll_seconds=0.1)
        sender.start()
        try:
            await h.until(until, timeout)
        finally:
            await sender.stop()


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_flood_control_delays_the_reply_by_retry_after_without_losing_it(
        fake: FakeBotApi, db: Database) -> None:
    row_id = queue_reply(db, "Your reference is CMP-2026-00007.")
    fake.flood("sendMessage", retry_after=1)
    asyncio.run(deliver_with_sender(db, fake, lambda: outbox_row(db, row_id).state == "sent"))
    row = outbox_row(db, row_id)
    assert row.attempts == 2
    first, second = fake.calls_to("sendMessage")
    assert second.at - first.at >= 0.9, "the retry must wait Telegram's retry_after"
    assert len(fake.sent_to(CHAT)) == 2 and fake.sent_to(CHAT)[1]["text"].endswith("00007.")


def test_server_errors_are_retried_and_a_blocked_bot_is_final(fake: FakeBotApi,
                                                              db: Database) -> None:
    retried = queue_reply(db, "first", key="ack:1")
    fake.fail("sendMessage", 502, "Bad Gateway")
    asyncio.run(deliver_with_sender(db, fake, lambda: outbox_row(db, retried).state != "sending"
                                    and outbox_row(db, retried).attempts >= 1))
    assert outbox_row(db, retried).state == "retry"
    assert "unreachable or failing" in (outbox_row(db, retried).last_error or "")

    blocked = queue_reply(db, "second", key="ack:2")
    with db.transaction() as session:  # keep the retried row out of the way
        row = session.get(OutboxRow, retried)
        assert row is not None
        row.next_attempt_at = datetime.now(UTC) + timedelta(hours=1)
    fake.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    asyncio.run(deliver_with_sender(db, fake, lambda: outbox_row(db, blocked).state == "dead"))
    assert "blocked" in (outbox_row(db, blocked).last_error or "")


def test_unreachable_telegram_is_a_temporary_failure() -> None:
    closed = free_port()
    bot = Bot("123:abc", base_url=f"http://127.0.0.1:{closed}/bot")
    transport = TelegramTransport(bot, lambda: True)
    now = datetime.now(UTC)
    row = outbox.Claimed(1, "telegram", str(CHAT), None, "hello", None, None, (), 1,
                         now + timedelta(hours=1), False, "acknowledgement", {}, None)
    with pytest.raises(DeliveryError) as info:
        asyncio.run(transport.send(row))
    assert info.value.temporary


def test_not_yet_connected_is_temporary_and_sends_nothing(fake: FakeBotApi) -> None:
    bot = Bot(fake.token, base_url=f"{fake.url}/bot")
    transport = TelegramTransport(bot, lambda: False)
    now = datetime.now(UTC)
    row = outbox.Claimed(1, "telegram", str(CHAT), None, "hello", None, None, (), 1,
                         now + timedelta(hours=1), False, "acknowledgement", {}, None)
    with pytest.raises(DeliveryError) as info:
        asyncio.run(transport.send(row))
    assert info.value.temporary and fake.calls_to("sendMessage") == []


def test_long_replies_are_split_with_the_button_on_the_last_part(fake: FakeBotApi,
                                                                 db: Database) -> None:
    body = "\n\n".join(f"Paragraph {i}: " + "words " * 150 for i in range(8))
    assert len(body) > 4096
    row_id = queue_reply(db, body, kind="dissatisfaction")
    asyncio.run(deliver_with_sender(db, fake, lambda: outbox_row(db, row_id).state == "sent"))
    parts = fake.sent_to(CHAT)
    assert len(parts) == len(split_text(body)) >= 2
    assert all(len(p["text"]) <= 4096 for p in parts)
    assert " ".join(p["text"] for p in parts).split() == body.split()
    assert all("reply_markup" not in p for p in parts[:-1])
    button = parts[-1]["reply_markup"]["inline_keyboard"][0][0]
    assert button["callback_data"] == "formal:CMP-2026-00007"


def test_token_never_reaches_the_logs(fake: FakeBotApi, db: Database,
                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    queue_reply(db, "Your reference is CMP-2026-00007.")
    fake.fail("getMe", 401, "Unauthorized")  # first connection attempt: token rejected
    asyncio.run(deliver_with_sender(db, fake, lambda: len(fake.sent_to(CHAT)) == 1,
                                    timeout=20))
    assert "rejected" in caplog.text
    assert fake.token not in caplog.text
    assert fake.token.split(":")[1] not in caplog.text


def test_service_starts_and_stops_while_telegram_is_unreachable(db: Database) -> None:
    """An outage at start-up must not stop the service: the channel keeps trying quietly."""
    from channels import telegram
    from intake.plugins import ChannelContext
    from intake.profiles import load_profile
    from intake.receive import Receiver
    from intake.settings import Settings

    closed = free_port()
    values: dict[str, Any] = {"TELEGRAM_BOT_TOKEN": "123:abc",
                              "TELEGRAM_API_URL": f"http://127.0.0.1:{closed}"}
    settings = Settings(**values)

    async def scenario() -> None:
        clock = lambda: datetime.now(UTC)  # noqa: E731
        ctx = ChannelContext(settings, load_profile("hos-2024"), db, Receiver(db, clock=clock),
                             clock)
        runtime = telegram.setup(ctx)
        assert runtime is not None and runtime.start and runtime.stop
        await asyncio.wait_for(runtime.start(), timeout=2)
        await asyncio.sleep(1.5)
        now = datetime.now(UTC)
        row = outbox.Claimed(1, "telegram", str(CHAT), None, "hello", None, None, (), 1,
                             now + timedelta(hours=1), False, "acknowledgement", {}, None)
        with pytest.raises(DeliveryError) as info:
            await runtime.transports["telegram"].send(row)
        assert info.value.temporary
        await asyncio.wait_for(runtime.stop(), timeout=10)

    asyncio.run(scenario())


def test_a_resend_after_a_crash_does_not_repeat_what_telegram_accepted(
        fake: FakeBotApi, db: Database) -> None:
    """Nothing sent twice: the row is delivered, then (as after a crash before it was marked
    sent) handed to the sender again; Telegram gets no second copy."""
    row_id = queue_reply(db, "Your reference is CMP-2026-00007.")
    asyncio.run(deliver_with_sender(db, fake, lambda: outbox_row(db, row_id).state == "sent"))
    with db.transaction() as session:
        row = session.get(OutboxRow, row_id)
        assert row is not None
        row.state = "sending"
        row.lease_until = None
    asyncio.run(deliver_with_sender(db, fake, lambda: outbox_row(db, row_id).state == "sent"
                                    and outbox_row(db, row_id).attempts == 2))
    assert len(fake.sent_to(CHAT)) == 1
