"""The morning digest (injected clock), its schedule, feedback lines for training, and
Socket Mode against the fake Slack's WebSocket endpoint."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest

from channels.slack import next_digest_at
from intake.calendar import WorkingCalendar
from intake.staff_queue import build_digest, queue_digest
from models import Channel
from storage import feedback
from tests.fakes import slack_requests as rq
from tests.fakes.slack_api import FakeSlack
from tests.slack_harness import NOW, TRIAGE_CHANNEL, Harness, ref_of, run, until

COMPLAINT = "Nobody fixed the leak in my ceiling after three visits. I want it repaired now."
CAL = WorkingCalendar("england")


def test_next_digest_skips_weekends_and_bank_holidays() -> None:
    at = time(8, 30)
    # Friday 25 Dec 2026 is Christmas, 26-27 a weekend, Mon 28 Dec the Boxing Day substitute.
    thursday = datetime(2026, 12, 24, 9, 0, tzinfo=UTC)
    assert next_digest_at(thursday, at, CAL) == datetime(2026, 12, 29, 8, 30, tzinfo=UTC)
    early = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday, before 08:30 UK time
    assert next_digest_at(early, at, CAL) == datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    summer = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # 07:00 BST
    assert next_digest_at(summer, at, CAL) == datetime(2026, 6, 1, 7, 30, tzinfo=UTC)


def test_digest_lists_due_soon_and_overdue_and_posts_once_a_day(tmp_path: Path,
                                                                fake_slack: FakeSlack) -> None:
    async def body() -> None:
        async with Harness(tmp_path, fake_slack) as h:
            await h.email(COMPLAINT, subject="Leak")
            _, _, blocks = await h.card()
            ref = ref_of(blocks)
            # Fri 27 Nov: the acknowledgement (due Mon 30 Nov) is due within 2 working days.
            with h.db.transaction() as s:
                soon = build_digest(s, CAL, datetime(2026, 11, 27).date())
                late = build_digest(s, CAL, datetime(2026, 12, 2).date())
                quiet = build_digest(s, CAL, NOW.date())
            assert [i.ref for i in soon.due_soon] == [ref] and not soon.overdue
            assert [i.ref for i in late.overdue] == [ref] and late.overdue[0].overdue
            assert late.overdue[0].working_days_left == -2
            assert not quiet.due_soon and not quiet.overdue
            h.clock.advance(days=4, hours=-1.5)  # Fri 27 Nov 08:30
            assert queue_digest(h.db, CAL, Channel.SLACK, TRIAGE_CHANNEL, h.clock())
            assert not queue_digest(h.db, CAL, Channel.SLACK, TRIAGE_CHANNEL, h.clock())
            await until(lambda: len(fake_slack.calls("chat.postMessage")) == 2)
            digest = fake_slack.calls("chat.postMessage")[1].args
            assert digest["channel"] == TRIAGE_CHANNEL
            assert ref in json.dumps(digest["blocks"])
            assert "Due within 2 working days" in json.dumps(digest["blocks"])
            assert digest["text"].endswith("0 overdue, 1 due soon")
    run(body)


def test_route_changes_become_redacted_labelled_lines(tmp_path: Path, fake_slack: FakeSlack,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    async def body() -> None:
        async with Harness(tmp_path, fake_slack) as h:
            await h.email("Boiler broken for weeks, ring me on 07700 900123 please",
                          public=True, sender="fb:999")
            channel, ts, blocks = await h.card()
            ref = ref_of(blocks)
            await h.post(rq.form(rq.block_actions(rq.route_select(ref, "service_request"),
                                                  channel=channel, message_ts=ts)))
            await until(lambda: h.detail(ref)["route"] == "service_request")
            with h.db.transaction() as s:
                lines = list(feedback.labelled_lines(s))
            assert len(lines) == 1
            line = lines[0]
            assert line["gold"] == {"route": "service_request", "flags": [], "pii": []}
            assert "07700 900123" not in line["text"] and "[PHONE]" in line["text"]
            assert line["public"] is True and line["sender"] is None
            assert line["feedback"]["old_route"] == "complaint"
            # The hook `intake train --include-feedback` uses reads the same lines.
            monkeypatch.setenv("INTAKE_DB_URL", h.db.url)
            from triage.data import example_from_line
            from triage.feedback import feedback_lines

            hooked = feedback_lines()
            assert [example_from_line(r, "feedback").route.value for r in hooked] == [
                "service_request"]
    run(body)


def test_socket_mode_handles_a_card_action_without_public_url(tmp_path: Path,
                                                              fake_slack: FakeSlack) -> None:
    async def body() -> None:
        async with Harness(tmp_path, fake_slack, app_token="xapp-1-test", signing_secret=None) as h:
            assert h.runtime is not None and not h.runtime.routes  # no HTTP endpoint
            await until(fake_slack.socket_connected)
            await h.email("I am unhappy that the repair was left half done.")
            channel, ts, blocks = await h.card()
            ref = ref_of(blocks)
            payload = rq.block_actions(rq.route_select(ref, "complaint"), channel=channel,
                                       message_ts=ts)
            fake_slack.socket_send({"envelope_id": "57d6a792-4d35-4d0b-b6aa-3361493e1caf",
                              "payload": payload, "type": "interactive",
                              "accepts_response_payload": False})
            await until(lambda: any(a.get("envelope_id") == "57d6a792-4d35-4d0b-b6aa-"
                                    "3361493e1caf" for a in fake_slack.socket_acks))
            await until(lambda: h.detail(ref)["route"] == "complaint")
            assert len(h.outbox("acknowledgement")) == 1
            assert fake_slack.calls("apps.connections.open")[0].token == "xapp-1-test"
    run(body)


def test_setup_is_off_without_token_and_refuses_half_configurations(tmp_path: Path) -> None:
    from channels import slack
    from intake.errors import ConfigError
    from intake.plugins import ChannelContext
    from intake.profiles import load_profile
    from intake.receive import Receiver
    from intake.settings import Settings
    from storage.db import Database

    db = Database(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    profile = load_profile("hos-2024")

    def ctx(**values: Any) -> ChannelContext:
        return ChannelContext(Settings(**values), profile, db, Receiver(db), lambda: NOW)

    assert slack.setup(ctx()) is None
    with pytest.raises(ConfigError, match="SLACK_TRIAGE_CHANNEL"):
        slack.setup(ctx(slack_bot_token="xoxb-1", slack_signing_secret="s"))
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        slack.setup(ctx(slack_bot_token="xoxb-1", slack_triage_channel="C1"))
    with pytest.raises(ConfigError, match="SLACK_DIGEST_TIME"):
        slack.setup(ctx(slack_bot_token="xoxb-1", slack_triage_channel="C1",
                        slack_signing_secret="s", slack_digest_time="8h"))
    db.dispose()


def test_slack_failures_are_classified_for_the_outbox() -> None:
    from datetime import timedelta

    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.slack_response import SlackResponse

    from channels.slack_cards import delivery_error

    def error(status: int, data: dict[str, object], headers: dict[str, str]) -> SlackApiError:
        response = SlackResponse(client=None, http_verb="POST", api_url="chat.postMessage",
                                 req_args={}, data=data, headers=headers, status_code=status)
        return SlackApiError("failed", response)

    limited = delivery_error(error(429, {"ok": False, "error": "ratelimited"},
                                   {"retry-after": "12"}), "chat.postMessage")
    assert limited.temporary and limited.retry_after == timedelta(seconds=12)  # type: ignore[attr-defined]
    assert delivery_error(error(503, {}, {}), "chat.update").temporary
    assert delivery_error(error(200, {"ok": False, "error": "fatal_error"}, {}), "x").temporary
    gone = delivery_error(error(200, {"ok": False, "error": "channel_not_found"}, {}), "x")
    assert not gone.temporary and "channel_not_found" in str(gone)
