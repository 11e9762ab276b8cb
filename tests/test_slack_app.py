"""The Slack triage queue in-process: real Bolt app on our aiohttp server, fake Slack API."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.tables import CaseEventRow, FeedbackLabelRow
from tests.fakes import slack_requests as rq
from tests.fakes.slack_api import FakeSlack
from tests.slack_harness import TRIAGE_CHANNEL, Harness, card_text, ref_of, run, until

COMPLAINT = ("I have reported the damp and mould in my son's bedroom four times since June and "
             "nobody came. I want it treated properly and an apology.")
UNHAPPY = "I am unhappy that the bins were not collected again this week, please sort it."


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack(users={"U0OFFICER1": {"real_name": "Sam Patel", "name": "sam.patel",
                                             "title": "Senior Complaints Officer"}})
    server.start()
    yield server
    server.stop()


def test_card_posted_to_triage_channel_and_ts_stored(tmp_path: Path, fake: FakeSlack) -> None:
    async def body() -> None:
        async with Harness(tmp_path, fake) as h:
            await h.email(COMPLAINT, subject="Mould")
            channel, ts, blocks = await h.card()
            assert channel == TRIAGE_CHANNEL
            text = card_text(blocks)
            ref = ref_of(blocks)
            assert ref.startswith("CMP-2026-")
            assert "damp and mould" in text and "87%" in text
            assert "keyword rule: complaint" in text
            assert "Mon 30 Nov 2026" in text  # acknowledge: 5 working days
            assert "working days" in text.lower()
            call = fake.calls("chat.postMessage")[0]
            assert call.token == "xoxb-test-token"
            assert ref in call.args["text"] and "mould" not in call.args["text"].lower()
            assert ts.count(".") == 1  # the posted message's ts, kept in channel_refs
    run(body)


def test_change_route_makes_complaint_acks_updates_card_and_labels(tmp_path: Path,
                                                                     fake: FakeSlack) -> None:
    async def body() -> None:
        async with Harness(tmp_path, fake) as h:
            await h.email(UNHAPPY, subject="Bins")
            channel, ts, blocks = await h.card()
            ref = ref_of(blocks)
            assert h.detail(ref)["status"] == "recorded"
            payload = rq.block_actions(rq.route_select(ref, "complaint"), channel=channel,
                                       message_ts=ts)
            status, _ = await h.post(rq.form(payload))
            assert status == 200
            await until(lambda: bool(fake.calls("chat.update")))
            update = fake.calls("chat.update")[0]
            assert update.args["ts"] == ts and update.args["channel"] == channel
            assert "Route now*\\ncomplaint" in json.dumps(update.args["blocks"])
            detail = h.detail(ref)
            assert detail["route"] == "complaint" and detail["status"] == "open"
            assert detail["stage"] == "stage_1"
            dues = {d["kind"]: d["due"] for d in detail["stages"][0]["deadlines"]}
            assert dues == {"acknowledge": "2026-11-30", "respond": "2026-12-07"}
            changed = [e for e in detail["events"] if e["action"] == "route_changed"]
            assert len(changed) == 1 and changed[0]["actor"] == "slack:U0STAFF01 (sam.patel)"
            kinds = [r["kind"] for r in detail["replies"] if r["channel"] != "slack"]
            assert kinds == ["dissatisfaction", "acknowledgement"]
            ack = h.outbox("acknowledgement")[0]
            assert ref in ack.body and "Monday 07 December 2026" in ack.body
            # Slack retries the same delivery: same action_ts, nothing happens twice.
            status, _ = await h.post(rq.form(payload))
            assert status == 200
            with h.db.transaction() as s:
                labels = list(s.scalars(select(FeedbackLabelRow)))
                assert [(lb.old_route, lb.new_route, lb.actor) for lb in labels] == [
                    ("dissatisfaction", "complaint", "slack:U0STAFF01 (sam.patel)")]
                events = list(s.scalars(select(CaseEventRow.action)))
            card_payload = json.loads(h.outbox("staff_card")[0].body)
            assert labels[0].inbound_id == card_payload["inbound_id"]
            assert events.count("route_changed") == 1
            assert len(h.outbox("acknowledgement")) == 1
    run(body)


def test_unsigned_wrongly_signed_and_stale_requests_get_401(tmp_path: Path,
                                                            fake: FakeSlack) -> None:
    async def body() -> None:
        async with Harness(tmp_path, fake) as h:
            await h.email(UNHAPPY)
            channel, ts, blocks = await h.card()
            ref = ref_of(blocks)
            before = h.detail(ref)
            calls = len(fake.calls())
            form = rq.form(rq.block_actions(rq.route_select(ref, "complaint"), channel=channel,
                                            message_ts=ts))
            assert (await h.post(form, signed=False))[0] == 401
            wrong = rq.sign("not-the-secret", form)
            assert (await h.post(form, signed=False, headers=wrong))[0] == 401
            stale = rq.sign("8f742231b10e8888abcd99yyyzzz85a5", form, int(time.time()) - 600)
            assert (await h.post(form, signed=False, headers=stale))[0] == 401
            tampered = rq.sign("8f742231b10e8888abcd99yyyzzz85a5", form)
            assert (await h.post(form.replace("complaint", "asb"), signed=False,
                                 headers=tampered))[0] == 401
            after = h.detail(ref)
            for key in ("route", "status", "stage", "stages", "events", "officer"):
                assert after[key] == before[key]
            assert len(after["replies"]) == len(before["replies"])
            assert len(fake.calls()) == calls
            challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
            status, text = await h.post(rq.url_verification(challenge),
                                        content_type="application/json")
            assert status == 200 and challenge in text
    run(body)


def _modal_values(days: str, reason: str) -> dict[str, dict[str, str]]:
    return {"days": {"type": "number_input", "value": days},
            "reason": {"type": "plain_text_input", "value": reason}}


def test_assign_extend_close_escalate_from_the_card(tmp_path: Path, fake: FakeSlack) -> None:
    async def body() -> None:
        async with Harness(tmp_path, fake) as h:
            await h.email(COMPLAINT, subject="Mould")
            channel, ts, blocks = await h.card()
            ref = ref_of(blocks)

            # Assign: users.info gives the name, the Slack profile the title.
            await h.post(rq.form(rq.block_actions(rq.users_select(ref, "U0OFFICER1"),
                                                  channel=channel, message_ts=ts)))
            await until(lambda: h.detail(ref)["officer"]["name"] == "Sam Patel")
            assert h.detail(ref)["officer"]["title"] == "Senior Complaints Officer"
            assert fake.calls("users.info")[0].args["user"] == "U0OFFICER1"
            await until(lambda: bool(fake.calls("views.publish")))  # assignee's App Home

            # Extend: the button opens a modal; the submission extends within the policy cap.
            await h.post(rq.form(rq.block_actions(rq.button("intake_extend", ref),
                                                  channel=channel, message_ts=ts)))
            opened = (await _wait_views(fake, 1))[0]
            assert opened.args["view"]["callback_id"] == "intake_extend_view"
            meta = opened.args["view"]["private_metadata"]
            too_many = rq.view_submission("intake_extend_view", "V0EXT1", meta,
                                          _modal_values("11", "Waiting for a surveyor"))
            status, text = await h.post(rq.form(too_many))
            assert status == 200 and json.loads(text)["response_action"] == "errors"
            assert "10" in json.loads(text)["errors"]["days"]
            ok = rq.view_submission("intake_extend_view", "V0EXT2", meta,
                                    _modal_values("5", "Waiting for a damp surveyor's report"))
            status, text = await h.post(rq.form(ok))
            assert status == 200 and not text.strip()
            respond = next(d for d in h.detail(ref)["stages"][0]["deadlines"]
                           if d["kind"] == "respond")
            assert respond["due"] == "2026-12-14" and respond["extended_by"] == 5
            assert "surveyor" in respond["extension_reason"]
            extension = h.outbox("extension")
            assert len(extension) == 1 and "Monday 14 December 2026" in extension[0].body
            # The same submission delivered again changes nothing.
            await h.post(rq.form(ok))
            assert len(h.outbox("extension")) == 1

            # Close stage 1: outcome, reasons, remedy, learning; the response goes out.
            close = rq.view_submission("intake_close_view", "V0CLOSE1",
                                       json.dumps({"ref": ref}), {
                "outcome": {"type": "static_select",
                            "selected_option": {"text": {"type": "plain_text",
                                                         "text": "Partly upheld"},
                                                "value": "partly_upheld"}},
                "reasons": {"type": "plain_text_input", "value": "Two visits were missed."},
                "remedy": {"type": "plain_text_input", "value": "Mould wash and £50."},
                "learning": {"type": "plain_text_input", "value": "Text reminders."}})
            status, _ = await h.post(rq.form(close))
            assert status == 200
            detail = h.detail(ref)
            assert detail["status"] == "closed"
            stage1 = detail["stages"][0]
            assert stage1["outcome"] == "partly_upheld" and stage1["closed_at"]
            window = next(d for d in stage1["deadlines"] if d["kind"] == "escalation_window")
            assert window["due"] == "2027-11-23"  # hos-2024: 12 months
            response = h.outbox("stage1_response")[0]
            assert "partly upheld" in response.body and "Mould wash" in response.body

            # Escalate: stage 2 with a different officer; a second click changes nothing.
            for _ in range(2):
                await h.post(rq.form(rq.block_actions(rq.button("intake_escalate", ref),
                                                      channel=channel, message_ts=ts)))
            await until(lambda: h.detail(ref)["stage"] == "stage_2")
            await until(lambda: len(fake.calls("chat.postEphemeral")) >= 1)
            detail = h.detail(ref)
            assert [s["name"] for s in detail["stages"]] == ["stage_1", "stage_2"]
            assert detail["stages"][1]["officer"]["name"] == "Complaints Review Panel"
            assert len(h.outbox("escalation_ack")) == 1
            assert "already at stage 2" in fake.calls("chat.postEphemeral")[-1].args["text"]
            actions = [e["action"] for e in detail["events"]]
            for expected in ("assigned", "deadline_extended", "stage_closed", "escalated"):
                assert expected in actions
            # Closing stage 2 sends the final response, with the Ombudsman as the next step.
            final = json.loads(json.dumps(close))
            final["view"]["id"] = "V0CLOSE2"
            final["view"]["state"]["values"]["outcome"]["value"]["selected_option"]["value"] = \
                "not_upheld"
            status, _ = await h.post(rq.form(final))
            assert status == 200
            detail = h.detail(ref)
            assert detail["stages"][1]["outcome"] == "not_upheld"
            assert detail["status"] == "closed"
            assert not any(d["kind"] == "escalation_window"
                           for d in detail["stages"][1]["deadlines"])
            stage2 = h.outbox("stage2_response")
            assert len(stage2) == 1 and "final (stage 2) response" in stage2[0].body
            # Every action (assign, extend, close, escalate, close) updated the card in place.
            await until(lambda: len(fake.calls("chat.update")) >= 5)
            assert all(c.args["ts"] == ts for c in fake.calls("chat.update"))
    run(body)


async def _wait_views(fake: FakeSlack, count: int) -> list:
    await until(lambda: len(fake.calls("views.open")) >= count)
    return fake.calls("views.open")


def test_flags_mention_on_call_and_long_text_opens_in_a_modal(tmp_path: Path,
                                                             fake: FakeSlack) -> None:
    long_text = ("I can smell gas in the kitchen again. " + "The engineer never came. " * 80
                 + "THE VERY END.")

    async def body() -> None:
        async with Harness(tmp_path, fake) as h:
            await h.email(long_text, subject="Gas")
            channel, ts, blocks = await h.card()
            text = card_text(blocks)
            assert "Health & safety" in text and "@complaints-oncall" in text
            assert "THE VERY END" not in text and "Show full text" in text
            button = next(e for b in blocks if b["type"] == "actions"
                          for e in b["elements"] if e["action_id"] == "intake_full_text")
            await h.post(rq.form(rq.block_actions(
                {**rq.button("intake_full_text", "x", button["value"]),
                 "block_id": "intake_text:x"}, channel=channel, message_ts=ts)))
            view = (await _wait_views(fake, 1))[0].args["view"]
            assert "THE VERY END." in json.dumps(view)
    run(body)


def test_public_post_card_is_redacted(tmp_path: Path, fake: FakeSlack) -> None:
    async def body() -> None:
        async with Harness(tmp_path, fake) as h:
            await h.email("My boiler is broken for weeks, call me on 07700 900123 now",
                          public=True, sender="fb:12345")
            _, _, blocks = await h.card()
            text = card_text(blocks)
            assert "07700 900123" not in text and "[PHONE]" in text
            assert "Suggested public reply" in text
    run(body)


def test_slash_command_and_app_home_list_cases_by_due_date(tmp_path: Path,
                                                           fake: FakeSlack) -> None:
    async def body() -> None:
        async with Harness(tmp_path, fake) as h:
            await h.email(COMPLAINT, subject="first")
            await h.email(COMPLAINT + " Again.", subject="second", sender="al@example.com")
            _, _, first = await h.card(1)
            ref = ref_of(first)
            h.clock.advance(days=10)  # Thu 3 Dec: acknowledgements (due 30 Nov) overdue
            status, text = await h.post(rq.slash_command("queue"))
            assert status == 200
            reply = json.loads(text)
            assert "OVERDUE" in json.dumps(reply["blocks"]) and ref in json.dumps(reply)
            status, text = await h.post(rq.slash_command(f"case {ref}"))
            assert ref in text and "Deadlines" in text
            status, text = await h.post(rq.slash_command("case CMP-1999-00001"))
            assert "no case" in text.lower()
            status, text = await h.post(rq.slash_command("help"))
            assert "/intake queue" in text
            status, _ = await h.post(rq.app_home_opened(), content_type="application/json")
            assert status == 200
            await until(lambda: bool(fake.calls("views.publish")))
            home = fake.calls("views.publish")[0].args
            assert home["user_id"] == rq.STAFF["id"] and home["view"]["type"] == "home"
            assert ref in json.dumps(home["view"])
    run(body)


def test_slack_429_delays_cards_but_loses_none(tmp_path: Path, fake: FakeSlack) -> None:
    async def body() -> None:
        fake.fail("chat.postMessage", status=429, count=2, retry_after=7)
        async with Harness(tmp_path, fake) as h:
            await h.email(COMPLAINT)
            await until(lambda: (h.outbox("staff_card")[0].state == "retry"))
            row = h.outbox("staff_card")[0]
            assert "ratelimited" in (row.last_error or "")
            assert (row.next_attempt_at - h.clock()).total_seconds() == 7
            assert not fake.calls("chat.postMessage")
            h.clock.advance(seconds=8)
            await until(lambda: h.outbox("staff_card")[0].attempts >= 2
                        and h.outbox("staff_card")[0].state == "retry")
            h.clock.advance(seconds=8)
            await until(lambda: h.outbox("staff_card")[0].state == "sent")
            assert len(fake.calls("chat.postMessage")) == 1
            fake.fail("chat.postMessage", status=200, count=1, retry_after=None,
                      error="channel_not_found")
            await h.email(UNHAPPY, sender="x@example.com")
            await until(lambda: h.outbox("staff_card")[-1].state == "dead")
    run(body)
