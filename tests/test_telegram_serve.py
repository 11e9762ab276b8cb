"""`intake serve` end to end over Telegram: the service runs as a subprocess (as an operator
runs it) with TELEGRAM_API_URL pointing at the fake Bot API, long-polls it, and answers on the
chat. Triage is the real model, so the messages are written the way tenants write."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.cases import case_events, load_case
from storage.db import Database
from storage.tables import InboundRow
from tests.fakes.telegram_api import FakeBotApi, user
from tests.helpers import ServiceProcess

pytestmark = pytest.mark.slow

REF = re.compile(r"CMP-\d{4}-\d{5}")
SECRET = "e2e-webhook-secret_0123"
COMPLAINT = ("I want to make a formal complaint. I have reported the damp and mould in my son's "
             "bedroom four times since June. Two repair appointments were missed and nobody "
             "called back. I want it treated properly and an apology for how this has been "
             "handled.")
DISSATISFIED = ("I'm not happy that the repairs man didn't turn up this morning, I took the day "
                "off work for it. Can you rebook it please?")


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    server = FakeBotApi(max_poll_wait=1.0)
    server.start()
    yield server
    server.stop()


class Counts:
    """Reads the service's database directly, so waiting does not spawn a CLI per poll."""

    def __init__(self, url: str) -> None:
        self.db = Database(url)

    def inbound_done(self) -> int:
        with self.db.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(InboundRow)
                                      .where(InboundRow.state == "done")) or 0)

    def inbound_total(self) -> int:
        with self.db.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(InboundRow)) or 0)

    def case(self, ref: str) -> dict[str, Any]:
        with self.db.transaction() as session:
            case = load_case(session, ref)
            assert case is not None, ref
            respond = [d.due for s in case.stages for d in s.deadlines if d.kind == "respond"]
            return {"route": case.route, "channel": case.channel, "stage": case.current_stage,
                    "respond": respond[-1] if respond else None,
                    "events": [e.action for e in case_events(session, case.id)]}

    def close(self) -> None:
        self.db.dispose()


def post_webhook(port: int, body: bytes, secret: str | None) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/telegram/webhook", data=body,
                                     method="POST", headers={"Content-Type": "application/json"})
    if secret is not None:
        request.add_header("X-Telegram-Bot-Api-Secret-Token", secret)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_serve_answers_complaints_and_the_formal_complaint_button(tmp_path: Path,
                                                                  fake: FakeBotApi) -> None:
    url = f"sqlite:///{tmp_path / 'intake.sqlite3'}"
    proc = ServiceProcess(tmp_path, url, None,
                          extra_env={"TELEGRAM_BOT_TOKEN": fake.token,
                                     "TELEGRAM_API_URL": fake.url,
                                     "TELEGRAM_WEBHOOK_SECRET": SECRET})
    proc.start()
    db = Counts(url)
    try:
        priya, sam, jo = user(555000111, "Priya"), user(555000222, "Sam", "sam_w"), \
            user(555000333, "Jo", None)

        # A complaint: acknowledged on the chat with its reference and response date.
        fake.text(COMPLAINT, priya)
        assert fake.wait_for(lambda: len(fake.sent_to(555000111)) == 1, 60), proc.log.read_text()
        ack = fake.sent_to(555000111)[0]["text"]
        match = REF.search(ack)
        assert match, ack
        detail = db.case(match.group(0))
        assert detail["route"] == "complaint" and detail["channel"] == "telegram"
        assert detail["respond"].strftime("%A %d %B %Y") in ack

        # Dissatisfaction: the reply offers the choice as a button; pressing it opens a
        # formal complaint on the same case and acknowledges it.
        fake.text(DISSATISFIED, sam)
        assert fake.wait_for(lambda: len(fake.sent_to(555000222)) == 1, 30)
        offer = fake.sent_to(555000222)[0]
        ref = REF.search(offer["text"])
        assert ref, offer["text"]
        button = offer["reply_markup"]["inline_keyboard"][0][0]
        assert button["callback_data"] == f"formal:{ref.group(0)}"
        assert db.case(ref.group(0))["route"] == "dissatisfaction"
        sent = fake.sent_message_result(555000222, offer["text"], offer["reply_markup"])
        fake.press(sent, button["callback_data"], sam)
        assert fake.wait_for(lambda: len(fake.sent_to(555000222)) == 2, 30)
        assert fake.calls_to("answerCallbackQuery")
        formal = fake.sent_to(555000222)[1]["text"]
        assert ref.group(0) in formal and "formal complaint" in formal
        converted = db.case(ref.group(0))
        assert converted["route"] == "complaint" and converted["stage"] == "stage_1"
        assert "converted_to_complaint" in converted["events"]

        # A burst of messages from one chat: one case, one acknowledgement.
        fake.text(COMPLAINT.replace("son's", "daughter's"), jo)
        fake.text("It has been like this since June and the smell is awful.", jo)
        fake.text("The extractor fan in the bathroom has stopped working as well.", jo)
        assert fake.wait_for(lambda: db.inbound_done() == 6, 30)
        assert fake.wait_for(lambda: len(fake.sent_to(555000333)) >= 1, 30)
        cases = proc.cli_json("cases", "list", "--json")
        assert len(cases) == 3, cases
        assert {c["route"] for c in cases} == {"complaint"}
        assert {c["channel"] for c in cases} == {"telegram"}

        # The webhook endpoint refuses updates without the right secret token.
        body = json.dumps(fake.text("Please log this complaint about my boiler.", priya,
                                    push=False)).encode()
        assert post_webhook(proc.http_port, body, None) == 401
        assert post_webhook(proc.http_port, body, "nope") == 403
        assert db.inbound_total() == 6, "a refused webhook stores nothing"
        assert len(fake.sent_to(555000333)) == 1, "a burst gets one reply"
    finally:
        db.close()
        assert proc.stop() == 0
    log = proc.log.read_text()
    assert "telegram channel: enabled" in log
    assert fake.token.split(":")[1] not in log, "the bot token must never be logged"
    assert "damp and mould" not in log and "repairs man" not in log, "no message text in logs"
