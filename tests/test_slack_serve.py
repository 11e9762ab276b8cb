"""`intake serve` with Slack on, end to end: an email becomes a card in the triage channel, a
signed "change route" click changes the case, updates the card and queues the customer's reply;
Slack answering 429 delays the card without losing it."""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import slack_requests as rq
from tests.fakes.slack_api import FakeSlack
from tests.helpers import ServiceProcess, make_email, wait_until

pytestmark = pytest.mark.slow

SECRET = "e2e-signing-secret-0123456789abcdef"
CHANNEL = "C0E2ETRIAGE"
COMPLAINT = ("I have reported the damp and mould in my son's bedroom four times since June. "
             "Two appointments were missed and nobody called back. I want it treated properly "
             "and an apology for how this has been handled.")


@pytest.fixture
def service(tmp_path: Path, fake_slack: FakeSlack) -> Iterator[ServiceProcess]:
    fake_slack.fail("chat.postMessage", status=429, count=1, retry_after=1)
    proc = ServiceProcess(tmp_path, f"sqlite:///{tmp_path / 'e2e.sqlite3'}", None, extra_env={
        "SLACK_API_URL": fake_slack.api_url, "SLACK_BOT_TOKEN": "xoxb-e2e-token",
        "SLACK_SIGNING_SECRET": SECRET, "SLACK_TRIAGE_CHANNEL": CHANNEL,
    })
    proc.start()
    yield proc
    if proc.proc is not None and proc.proc.poll() is None:
        proc.stop()


def post_signed(port: int, body: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events", data=body.encode(), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", **rq.sign(SECRET, body)})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_email_to_card_then_change_route_from_slack(service: ServiceProcess,
                                                    fake_slack: FakeSlack) -> None:
    with smtplib.SMTP("127.0.0.1", service.smtp_port, timeout=30) as client:
        client.send_message(make_email(body=COMPLAINT, subject="Mould in bedroom"))
    post = fake_slack.wait_for("chat.postMessage", timeout=60)[0]  # after one 429 and a retry
    assert post.args["channel"] == CHANNEL and post.token == "xoxb-e2e-token"
    blocks = post.args["blocks"]
    ref = next(b["block_id"].split(":", 1)[1] for b in blocks if b["type"] == "actions"
               and b["block_id"].startswith("intake_case:"))
    assert "damp and mould" in json.dumps(blocks)
    # The 429 lost nothing and sent nothing twice.
    assert len(fake_slack.calls("chat.postMessage")) == 1
    before = service.cli_json("cases", "show", ref, "--json")
    card = next(r for r in before["replies"] if r["kind"] == "staff_card")
    assert card["state"] == "sent" and card["attempts"] == 2

    # Staff decide it is an ASB report: hos-2024 declines ASB with its reasons.
    target = "asb" if before["route"] != "asb" else "complaint"
    ts = "1763800001.000002"
    from sqlalchemy import create_engine, text

    engine = create_engine(service.env["INTAKE_DB_URL"])
    with engine.connect() as conn:
        ts = conn.execute(text("SELECT value FROM channel_refs WHERE kind='card'")).scalar_one()
    engine.dispose()
    payload = rq.block_actions(rq.route_select(ref, target), channel=CHANNEL, message_ts=ts)
    assert post_signed(service.http_port, rq.form(payload)) == 200
    update = fake_slack.wait_for("chat.update", timeout=20)[0]
    assert update.args["ts"] == ts and update.args["channel"] == CHANNEL
    assert wait_until(lambda: service.cli_json("cases", "show", ref, "--json")["route"] == target,
                      timeout=10)
    after = service.cli_json("cases", "show", ref, "--json")
    expected = "decline" if target == "asb" else "acknowledgement"
    assert after["status"] == ("declined" if target == "asb" else "open")
    assert expected in [r["kind"] for r in after["replies"]]
    assert any(e["action"] == "route_changed" and e["actor"].startswith("slack:U0STAFF01")
               for e in after["events"])
    # A request with a bad signature changes nothing.
    bad = rq.form(rq.block_actions(rq.route_select(ref, "compliment"), channel=CHANNEL,
                                   message_ts=ts))
    request = urllib.request.Request(
        f"http://127.0.0.1:{service.http_port}/slack/events", data=bad.encode(), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 **rq.sign("wrong-secret", bad)})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    assert service.cli_json("cases", "show", ref, "--json")["route"] == target
