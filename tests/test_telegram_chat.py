"""The Telegram channel in process: real PTB Application against the fake Bot API, real
receive/pipeline/outbox on SQLite and PostgreSQL (conftest's `db`). Covers the conversation a
customer has with the bot."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from channels import telegram_texts as texts
from storage.attachment_files import files_for_case
from storage.db import Database
from storage.migrate import upgrade
from storage.tables import CaseEventRow
from tests.fakes.telegram_api import FakeBotApi, user
from tests.fakes.telegram_fixtures import db, fake  # noqa: F401 (pytest fixtures)
from tests.fakes.telegram_harness import Harness, running

COMPLAINT = ("I want to make a formal complaint. The damp and mould in my son's bedroom has been "
             "reported four times since June and two repair appointments were missed. I want "
             "it treated properly and an apology.")
DISSATISFIED = ("I'm not happy that the repairs man didn't turn up this morning, I took the day "
                "off work for it. Can you rebook it please?")
ASB = "My neighbour plays loud music every night until 3am and shouts abuse at me."
REF = re.compile(r"CMP-\d{4}-\d{5}")


@pytest.fixture
def both_db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    upgrade(database.engine)
    yield database
    database.dispose()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def texts_to(fake: FakeBotApi, chat_id: int) -> list[str]:
    return [str(p["text"]) for p in fake.sent_to(chat_id)]


async def settle(h: Harness, chat_id: int, count: int) -> None:
    await h.until(lambda: len(h.fake.sent_to(chat_id)) >= count)


def test_complaint_gets_reference_and_response_date(fake: FakeBotApi, db: Database) -> None:
    async def scenario() -> None:
        async with running(db, fake) as h:
            update = fake.text(COMPLAINT)
            await h.stored(1)
            assert await h.drain() == 1
            [ack] = texts_to(fake, 555000111)
            case = h.cases()[0]
            assert case.ref in ack and case.route == "complaint"
            row = h.inbound()[0]
            assert row.external_id == f"555000111:{update['message']['message_id']}"
            assert row.conversation_id == "555000111" and row.sender == "555000111"
            assert row.sender_name == "Priya" and row.meta["username"] == "priya_s"
            assert row.text == COMPLAINT
            # the update is confirmed to Telegram only after it was stored
            await h.until(lambda: fake.confirmed_offset > update["update_id"])

    run(scenario())
    with db.transaction() as session:
        from storage.cases import load_case
        from storage.tables import CaseRow

        ref = session.scalar(select(CaseRow.ref))
        assert ref is not None
        case = load_case(session, ref)
        assert case is not None
        due = next(d.due for d in case.stages[0].deadlines if d.kind == "respond")
    ack = texts_to(fake, 555000111)[0]
    assert due.strftime("%A %d %B %Y") in ack
    assert fake.calls_to("deleteWebhook"), "long polling must clear any webhook first"


def test_burst_of_messages_becomes_one_case_with_one_reply(fake: FakeBotApi,
                                                           both_db: Database) -> None:
    async def scenario() -> None:
        async with running(both_db, fake) as h:
            fake.text(COMPLAINT)
            fake.text("It has been like this for three weeks now.")
            fake.text("And the extractor fan is broken too.")
            await h.stored(3)
            await h.drain()
            assert len(h.cases()) == 1
            assert {r.case_id for r in h.inbound()} == {h.cases()[0].id}
            await asyncio.sleep(0.3)
            assert len(fake.sent_to(555000111)) == 1

    run(scenario())


def test_dissatisfaction_button_makes_it_a_formal_complaint(fake: FakeBotApi,
                                                            db: Database) -> None:
    async def scenario() -> None:
        async with running(db, fake) as h:
            fake.text(DISSATISFIED)
            await h.stored(1)
            await h.drain()
            [offer] = fake.sent_to(555000111)
            ref = h.cases()[0].ref
            assert ref in offer["text"] and h.cases()[0].route == "dissatisfaction"
            keyboard = offer["reply_markup"]["inline_keyboard"]
            button = keyboard[0][0]
            assert button["text"] == texts.FORMAL_BUTTON
            assert button["callback_data"] == f"formal:{ref}"
            sent = fake.sent_message_result(555000111, offer["text"], offer["reply_markup"])
            fake.press(sent, button["callback_data"])
            await h.stored(2)
            await h.until(lambda: bool(fake.calls_to("answerCallbackQuery")))
            assert fake.calls_to("answerCallbackQuery")[0].params["text"] == \
                texts.button_thanks("formal_complaint")
            pressed = h.inbound()[1]
            assert pressed.meta["intent"] == {"action": "formal_complaint", "case_ref": ref}
            await h.drain()
            [case] = h.cases()
            assert case.route == "complaint" and case.current_stage == "stage_1"
            ack = fake.sent_to(555000111)[1]["text"]
            assert ref in ack and "formal complaint" in ack
            await h.until(lambda: bool(fake.calls_to("editMessageReplyMarkup")))

    run(scenario())


def test_exclusion_is_explained_with_where_it_goes_and_the_ombudsman(fake: FakeBotApi,
                                                                      db: Database) -> None:
    async def scenario() -> None:
        async with running(db, fake) as h:
            fake.text(ASB)
            await h.stored(1)
            await h.drain()
            [reply] = fake.sent_to(555000111)
            assert "anti-social behaviour" in reply["text"]
            assert "neighbourhood team" in reply["text"]
            assert "Housing Ombudsman" in reply["text"]
            assert "reply_markup" not in reply
            assert h.cases()[0].status == "declined"

    run(scenario())


def test_status_and_escalate_only_for_the_chat_that_owns_the_case(fake: FakeBotApi,
                                                                  both_db: Database) -> None:
    owner = user(555000111, "Priya")
    stranger = user(777000222, "Mallory", "mallory")

    async def scenario() -> None:
        async with running(both_db, fake) as h:
            fake.text(COMPLAINT, owner)
            await h.stored(1)
            await h.drain()
            ref = h.cases()[0].ref
            fake.text(f"/status {ref}", stranger)
            fake.text("/status CMP-2020-99999", stranger)
            fake.text(f"/escalate {ref}", stranger)
            await settle(h, 777000222, 3)
            theirs, missing, escalate = texts_to(fake, 777000222)
            assert theirs == texts.not_found(ref)
            assert missing == texts.not_found("CMP-2020-99999")
            assert escalate == texts.not_found(ref)
            assert h.inbound_count() == 1, "a stranger's command must store nothing"

            fake.text(f"/status {ref.lower()}", owner)
            await settle(h, 555000111, 2)
            status = texts_to(fake, 555000111)[1]
            assert ref in status and "Stage 1 (investigation)" in status
            assert re.search(r"by \w+day \d\d \w+ \d{4}", status)
            fake.text(f"/escalate {ref}", owner)
            await h.stored(2)
            await settle(h, 555000111, 3)
            assert texts_to(fake, 555000111)[2] == texts.escalate_received(ref)
            row = h.inbound()[1]
            assert row.meta["intent"] == {"action": "escalate", "case_ref": ref}
            await h.drain()
            with both_db.transaction() as session:
                events = list(session.scalars(select(CaseEventRow)
                                              .where(CaseEventRow.inbound_id == row.id)))
            assert events and "asks to escalate" in (events[0].reason or "")
            # A stranger pressing a button naming the case learns nothing and stores nothing.
            sent = fake.sent_message_result(777000222, "x")
            fake.press(sent, f"formal:{ref}", stranger)
            await h.until(lambda: bool(fake.calls_to("answerCallbackQuery")))
            assert fake.calls_to("answerCallbackQuery")[0].params["text"] == \
                texts.button_stale()
            assert h.inbound_count() == 2
            fake.text("/status", owner)
            await settle(h, 555000111, 4)
            assert "Please add your case reference" in texts_to(fake, 555000111)[3]

    run(scenario())


def test_photos_and_documents_are_kept_with_the_case(fake: FakeBotApi,
                                                     both_db: Database) -> None:
    picture = b"\xff\xd8\xff\xe0" + b"mould" * 400
    letter = b"%PDF-1.4 repair letter" * 20

    async def scenario() -> None:
        async with running(both_db, fake) as h:
            fake.photo(picture, caption=COMPLAINT)
            fake.document(letter, "letter.pdf", "application/pdf")
            await h.stored(2)
            await h.drain()
            [case] = h.cases()
            files = files_for_case(both_db, case.id)
            assert sorted((f.filename.split("_")[0], f.content_type, f.size) for f in files) == [
                ("letter.pdf", "application/pdf", len(letter)),
                ("photo", "image/jpeg", len(picture))]
            assert {bytes(f.data or b"") for f in files} == {picture, letter}
            first = h.inbound()[0]
            assert first.text == COMPLAINT
            assert first.attachments[0]["content_type"] == "image/jpeg"
            assert len(fake.calls_to("getFile")) == 2 and len(fake.calls_to("download")) == 2

    run(scenario())


def test_bad_input_gets_a_polite_answer_and_changes_nothing(fake: FakeBotApi,
                                                            db: Database) -> None:
    async def scenario() -> None:
        async with running(db, fake, TELEGRAM_MAX_FILE_BYTES="1000") as h:
            fake.sticker()
            fake.text("/frobnicate now")
            fake.document(b"x" * 50, "huge.pdf", "application/pdf", caption=COMPLAINT,
                          announced_size=5_000_000)
            fake.photo(b"y" * 50, announced_size=2_000_000)
            fake.document(b"z" * 5000, "liar.pdf", "application/pdf", announced_size=10)
            fake.text("   ")
            fake.text("/start")
            await settle(h, 555000111, 7)
            answers = texts_to(fake, 555000111)
            assert answers[0] == texts.sticker()
            assert answers[1] == texts.unknown_command("/frobnicate")
            assert answers[2] == answers[3] == answers[4] == texts.oversized(1000)
            assert answers[5] == texts.empty_message()
            assert h.profile.privacy_notice in answers[6]
            assert h.inbound_count() == 0 and h.cases() == []

    run(scenario())


def test_bots_are_never_answered(fake: FakeBotApi, db: Database) -> None:
    robot = user(888000333, "Echo", "echo_bot", is_bot=True)

    async def scenario() -> None:
        async with running(db, fake) as h:
            fake.text(COMPLAINT, robot)
            fake.text("/start", robot)
            await h.stored(1)
            await h.drain()
            await asyncio.sleep(0.3)
            assert fake.sent_to(888000333) == []
            assert h.inbound()[0].automated

    run(scenario())


def test_edit_updates_the_stored_text_and_is_recorded(fake: FakeBotApi,
                                                      both_db: Database) -> None:
    async def scenario() -> None:
        async with running(both_db, fake) as h:
            original = fake.text(COMPLAINT)
            await h.stored(1)
            await h.drain()
            edited = COMPLAINT.replace("four times", "five times")
            fake.edit(original, edited)
            fake.edit(original, edited)  # Telegram may deliver an identical edit again
            await h.until(lambda: h.inbound()[0].text == edited)
            await asyncio.sleep(0.3)
            row = h.inbound()[0]
            assert row.meta["edits"][0]["previous_text"] == COMPLAINT
            assert len(row.meta["edits"]) == 1
            with both_db.transaction() as session:
                actions = list(session.scalars(select(CaseEventRow.action)))
            assert actions.count("message_edited") == 1
            assert h.inbound_count() == 1

    run(scenario())


def test_an_update_is_fetched_again_until_it_is_stored(fake: FakeBotApi, db: Database) -> None:
    """Nothing lost: a storage failure leaves the update unconfirmed, and it comes back."""
    from intake.receive import Receiver
    from tests.fakes.telegram_harness import utcnow

    receiver = Receiver(db, clock=utcnow)
    attempts: list[str] = []

    async def flaky(message: Any, parse_error: str | None = None) -> Any:
        attempts.append(message.external_id)
        if len(attempts) == 1:
            raise OSError("database unavailable")
        return await receiver(message, parse_error)

    async def scenario() -> None:
        async with running(db, fake, receive=flaky) as h:
            update = fake.text(COMPLAINT)
            await h.stored(1, timeout=15)
            await h.until(lambda: fake.confirmed_offset > update["update_id"], timeout=15)
            assert len(attempts) == 2 and attempts[0] == attempts[1]
            assert h.inbound_count() == 1

    run(scenario())


def test_a_reply_to_our_message_is_filed_on_its_case(fake: FakeBotApi, both_db: Database) -> None:
    """Past the chat merge window, Telegram's "reply" on our acknowledgement still finds the
    case, as an email reply does; a message that is not a reply opens a new one."""

    async def scenario() -> None:
        async with running(both_db, fake, chat_merge=timedelta(0)) as h:
            fake.text(COMPLAINT)
            await h.stored(1)
            await h.drain()
            [ack] = fake.messages_to(555000111)
            fake.text("The extractor fan has stopped working as well.", reply_to_message=ack)
            await h.stored(2)
            await h.drain()
            assert len(h.cases()) == 1
            assert h.inbound()[1].subject == f"Re: {h.cases()[0].ref}"
            fake.text("I want to make a formal complaint about the bins as well.")
            await h.stored(3)
            await h.drain()
            assert len(h.cases()) == 2

    run(scenario())
