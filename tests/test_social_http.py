"""The social channel in the running service: signed Facebook webhooks and feed posts over real
HTTP to `intake serve`'s aiohttp app (started in-process), real workers and sender, and a local
fake Graph API recording what Intake calls."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from channels.facebook_graph import GraphClient, GraphTransport, split_text
from channels.social_signing import sign as hex_sign
from intake.errors import DeliveryError
from intake.outgoing import StaffChannel
from intake.service import Service
from intake.settings import Settings
from models import Channel
from storage.outbox import Claimed
from storage.tables import CaseRow, ChannelIdentityRow, ChannelRefRow, InboundRow, OutboxRow
from tests.fakes.graph_api import (
    APP_SECRET,
    PAGE_ID,
    PAGE_TOKEN,
    VERIFY_TOKEN,
    FakeGraphApi,
    comment_change,
    message_event,
    page_body,
    post_change,
    sign,
)
from tests.pg import free_port

FEED_SECRET = "feed-secret-for-tests"
PHONE = "07700 900123"
TENANCY = "HPG/123456/01"
COMPLAINT = (f"I have reported the leak in my kitchen ceiling four times since August and nobody "
             f"has come. I want to make a formal complaint. Call me on {PHONE}, my tenancy ref "
             f"is {TENANCY}.")


@pytest.fixture
def graph() -> Any:
    fake = FakeGraphApi()
    fake.start()
    yield fake
    fake.stop()


@dataclass
class Running:
    service: Service
    base: str
    http: aiohttp.ClientSession

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        async with self.http.post(self.base + path, data=body,
                                  headers={"Content-Type": "application/json", **headers}) as r:
            text = await r.text()
            try:
                return r.status, json.loads(text)
            except json.JSONDecodeError:
                return r.status, text

    async def facebook(self, payload: Any, secret: str = APP_SECRET) -> tuple[int, Any]:
        body = json.dumps(payload).encode()
        return await self.post("/webhooks/facebook", body,
                               {"X-Hub-Signature-256": sign(body, secret)})

    def query(self, fn: Callable[[Any], Any]) -> Any:
        with self.service.db.transaction() as session:
            return fn(session)

    def count(self, table: Any) -> int:
        return int(self.query(lambda s: s.scalar(select(func.count()).select_from(table))))

    def outbox(self, kind: str | None = None) -> list[OutboxRow]:
        query = select(OutboxRow).order_by(OutboxRow.id)
        if kind:
            query = query.where(OutboxRow.kind == kind)
        return list(self.query(lambda s: list(s.scalars(query))))

    async def until(self, predicate: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await asyncio.to_thread(predicate):
                return
            await asyncio.sleep(0.1)
        assert await asyncio.to_thread(predicate), "condition not reached in time"

    def settled(self) -> bool:
        """Every inbound processed and no reply still waiting for the sender."""
        inbound = self.query(lambda s: list(s.scalars(select(InboundRow.state))))
        states = [r.state for r in self.outbox() if r.kind != "staff_card"]
        return all(s == "done" for s in inbound) and not any(
            s in ("pending", "sending", "retry") for s in states)


@contextlib.asynccontextmanager
async def running(tmp_path: Path, graph: FakeGraphApi | None, policy: str = "hos-2024",
                  feed: bool = False) -> AsyncIterator[Running]:
    port = free_port()
    values: dict[str, Any] = {
        "INTAKE_DB_URL": f"sqlite:///{tmp_path / 'intake.sqlite3'}",
        "INTAKE_SMTP_LISTEN": f"127.0.0.1:{free_port()}",
        "INTAKE_HTTP_LISTEN": f"127.0.0.1:{port}",
        "INTAKE_WORKER_POLL_SECONDS": 0.05,
    }
    if graph is not None:
        values.update({"FACEBOOK_APP_SECRET": APP_SECRET, "FACEBOOK_PAGE_TOKEN": PAGE_TOKEN,
                       "FACEBOOK_VERIFY_TOKEN": VERIFY_TOKEN, "FACEBOOK_GRAPH_URL": graph.url})
    if feed:
        values["INTAKE_SOCIAL_SECRET"] = FEED_SECRET
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    service = Service(settings, policy)
    # The staff queue is Slack's; its card rows are what we check, so name a triage channel
    # without starting Slack (no transport: the cards are held in the outbox).
    service._staff_channel = lambda: StaffChannel(Channel.SLACK, "C0TRIAGE")  # type: ignore[method-assign]
    await service.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield Running(service, f"http://127.0.0.1:{port}", http)
    finally:
        await service.stop()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# -- handshake and signatures ----------------------------------------------------------------

def test_subscription_handshake(tmp_path: Path, graph: FakeGraphApi) -> None:
    async def scenario() -> None:
        async with running(tmp_path, graph) as app:
            url = app.base + "/webhooks/facebook"
            ok = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                  "hub.challenge": "1158201444"}
            async with app.http.get(url, params=ok) as r:
                assert (r.status, await r.text()) == (200, "1158201444")
            async with app.http.get(url, params={**ok, "hub.verify_token": "nope"}) as r:
                assert r.status == 403
            async with app.http.get(url, params={"hub.challenge": "1"}) as r:
                assert r.status == 400 and "hub.mode" in (await r.json())["error"]
    run(scenario())


def test_unsigned_or_wrongly_signed_posts_change_nothing(tmp_path: Path,
                                                         graph: FakeGraphApi) -> None:
    async def scenario() -> None:
        async with running(tmp_path, graph, feed=True) as app:
            body = json.dumps(page_body(changes=[comment_change(
                COMPLAINT, comment_id="900_1", post_id="104_900")])).encode()
            status, answer = await app.post("/webhooks/facebook", body, {})
            assert status == 401 and "X-Hub-Signature-256" in answer["error"]
            status, _ = await app.post("/webhooks/facebook", body,
                                       {"X-Hub-Signature-256": sign(body, "wrong-secret")})
            assert status == 403
            status, _ = await app.post("/webhooks/facebook", body,
                                       {"X-Hub-Signature-256": sign(body + b" ")})
            assert status == 403
            # The feed's secret does not open Facebook's door, nor the other way round.
            status, _ = await app.post("/webhooks/facebook", body,
                                       {"X-Hub-Signature-256": sign(body, FEED_SECRET)})
            assert status == 403
            feed = json.dumps({"platform": "x", "post_id": "1", "text": COMPLAINT}).encode()
            status, _ = await app.post("/webhooks/social", feed, {})
            assert status == 401
            status, _ = await app.post("/webhooks/social", feed,
                                       {"X-Intake-Signature": hex_sign(APP_SECRET, feed)})
            assert status == 403
            await asyncio.sleep(0.5)
            assert app.count(InboundRow) == 0 and app.count(OutboxRow) == 0
            assert graph.requests() == []
    run(scenario())


# -- the public comment journey ---------------------------------------------------------------

def test_public_comment_with_personal_data_under_hpg(tmp_path: Path, graph: FakeGraphApi) -> None:
    """Case, public reply free of personal data, private reply, hidden comment, redacted card,
    and the customer's later Messenger messages thread onto the same case."""
    async def scenario() -> None:
        async with running(tmp_path, graph, policy="hpg") as app:
            now = int(time.time())
            payload = page_body(changes=[comment_change(
                COMPLAINT, comment_id="555_777", post_id=f"{PAGE_ID}_555", created_time=now)])
            status, answer = await app.facebook(payload)
            assert status == 200 and len(answer["stored"]) == 1
            await app.until(lambda: len(graph.requests()) >= 3)
            await app.until(app.settled)

            cases = app.query(lambda s: list(s.scalars(select(CaseRow))))
            assert len(cases) == 1
            case = cases[0]
            assert case.ref.startswith("HPG-") and case.public and case.channel == "social"

            public = graph.requests("/555_777/comments")
            assert len(public) == 1
            reply = public[0].body["message"]
            assert PHONE not in reply and "900123" not in reply and "123456" not in reply
            assert "delete your post" in reply
            assert public[0].headers["Authorization"] == f"Bearer {PAGE_TOKEN}"
            assert public[0].query.get("appsecret_proof")

            private = graph.requests(f"/{PAGE_ID}/messages")
            assert len(private) == 1
            assert private[0].body["recipient"] == {"comment_id": "555_777"}
            assert case.ref in private[0].body["message"]["text"]

            hidden = [c for c in graph.requests("/555_777") if c.body.get("is_hidden")]
            assert len(hidden) == 1 and hidden[0].body == {"is_hidden": True}

            # No Slack transport in this test: the sender holds the card (kept, not sent).
            await app.until(lambda: app.outbox("staff_card")[0].state == "held")
            kinds = {r.kind: r.state for r in app.outbox()}
            assert kinds == {"public_reply": "sent", "private_reply": "sent",
                             "hide_post": "sent", "staff_card": "held"}
            card = json.loads(app.outbox("staff_card")[0].body)
            assert PHONE not in card["text"] and TENANCY not in card["text"]
            assert "[PHONE]" in card["text"] and "[ACCOUNT_REF]" in card["text"]
            assert card["sender"] == "[redacted: public post]" and card["public"] is True
            suggested = card["suggested_public_reply"]
            assert suggested and PHONE not in suggested and TENANCY not in suggested

            # The private reply opened a Messenger conversation: PSID tied to the case.
            psid = graph.psid_for("555_777")
            refs = app.query(lambda s: [(r.kind, r.value, r.case_id)
                                        for r in s.scalars(select(ChannelRefRow))])
            assert ("messenger_psid", psid, case.id) in refs
            owner = app.query(lambda s: s.scalar(select(ChannelIdentityRow.customer_id).where(
                ChannelIdentityRow.address == psid)))
            assert owner == case.customer_id

            # Facebook redelivers the same batch: stored once, nothing sent again.
            status, again = await app.facebook(payload)
            assert status == 200 and again["stored"] == [] and len(again["duplicates"]) == 1

            # The customer answers in Messenger: same case, no second case.
            status, _ = await app.facebook(page_body(messaging=[message_event(
                "Thanks. The leak is worse today, water is coming through the light fitting.",
                mid="m_follow_1", psid=psid, timestamp=now * 1000 + 5000)]))
            assert status == 200
            await app.until(app.settled)
            await asyncio.sleep(0.3)
            assert app.count(CaseRow) == 1
            dm_case = app.query(lambda s: s.scalar(select(InboundRow.case_id).where(
                InboundRow.external_id == "m_follow_1")))
            assert dm_case == case.id
            assert len(graph.requests("/comments")) == 1
            assert len([c for c in graph.requests() if c.body.get("is_hidden")]) == 1
    run(scenario())


def test_batched_comments_public_reply_cap_and_page_loops(tmp_path: Path,
                                                          graph: FakeGraphApi) -> None:
    """settle: at most two public replies per post; the page's own comments are not read."""
    async def scenario() -> None:
        async with running(tmp_path, graph, policy="settle") as app:
            now = int(time.time())
            post = f"{PAGE_ID}_42"
            text = ("Another week with no hot water and the repairs line just rings out. "
                    "This is not good enough, I want to complain.")
            changes = [comment_change(text, comment_id=f"42_{i}", post_id=post,
                                      user_id=f"60100{i}", name=f"Tenant {i}",
                                      created_time=now + i) for i in range(3)]
            changes.append(comment_change("Sorry to hear this, please message us.",
                                          comment_id="42_99", post_id=post, user_id=PAGE_ID))
            payload = page_body(changes=changes)
            payload["entry"].append({"id": PAGE_ID, "time": 1, "changes": [
                {"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": post,
                                            "reaction_type": "angry", "created_time": now}}]})
            status, answer = await app.facebook(payload)
            assert status == 200
            assert len(answer["stored"]) == 3 and len(answer["ignored"]) == 2
            await app.until(lambda: len(graph.requests(f"/{PAGE_ID}/messages")) == 3)
            await app.until(app.settled)
            assert app.count(InboundRow) == 3
            public = graph.requests("/comments")
            assert len(public) == 2, [c.path for c in public]
            assert {c.path.split("/")[1] for c in public} <= {"42_0", "42_1", "42_2"}
            # settle does not hide posts
            assert not [c for c in graph.requests() if c.body.get("is_hidden")]
            # Our own public replies come back as feed webhooks: ignored, no loop.
            echoes = [comment_change("Thank you for getting in touch.", comment_id=f"42_r{i}",
                                     post_id=post, user_id=PAGE_ID, parent_id=f"42_{i}")
                      for i in range(2)]
            status, answer = await app.facebook(page_body(changes=echoes))
            assert status == 200 and answer["stored"] == [] and len(answer["ignored"]) == 2
    run(scenario())


def test_graph_errors_retry_or_fail_permanently(tmp_path: Path, graph: FakeGraphApi) -> None:
    async def scenario() -> None:
        async with running(tmp_path, graph) as app:
            now = int(time.time())
            graph.fail_next("/comments", 503, 2, {"Retry-After": "0"})
            graph.fail_next("/comments", 400, 613, {"Retry-After": "0"})
            graph.fail_next("/messages", 400, 100)
            status, _ = await app.facebook(page_body(changes=[comment_change(
                COMPLAINT, comment_id="7_1", post_id=f"{PAGE_ID}_7", created_time=now)]))
            assert status == 200
            await app.until(app.settled)
            rows = {r.kind: r for r in app.outbox()}
            assert rows["public_reply"].state == "sent" and rows["public_reply"].attempts == 3
            assert len(graph.requests("/7_1/comments")) == 3
            assert rows["private_reply"].state == "dead"
            assert "code 100" in (rows["private_reply"].last_error or "")
            assert len(graph.requests("/messages")) == 1
    run(scenario())


def test_long_replies_go_in_parts_and_a_retry_resumes(sqlite_db: Any,
                                                      graph: FakeGraphApi) -> None:
    """Messenger takes 2000 characters per message: parts are recorded as they leave, so a
    failure on part 2 is retried from part 2; a long private reply continues to the PSID."""
    body = "\n\n".join(f"Paragraph {i}: " + "the repair is booked. " * 40 for i in range(6))

    def row(row_id: int, kind: str, recipient: str, public: bool) -> Claimed:
        return Claimed(row_id, "social", recipient, None, body, None, "31_9", (), 1,
                       datetime.now(UTC), public, kind,
                       {"platform": "facebook", "page_id": PAGE_ID, "post_id": "104_31"}, None)

    async def scenario() -> None:
        client = GraphClient(graph.url, PAGE_TOKEN, APP_SECRET)
        transport = GraphTransport(client, sqlite_db, lambda: datetime.now(UTC))
        try:
            graph.fail_next("/messages", 502, 1, skip=1)
            with pytest.raises(DeliveryError) as failed:
                await transport.send(row(1, "acknowledgement", "7300001", False))
            assert failed.value.temporary
            await transport.send(row(1, "acknowledgement", "7300001", False))
            calls = graph.requests("/messages")
            texts = [c.body["message"]["text"] for c in calls]
            assert len(parts := split_text(body)) >= 3
            assert texts == [parts[0], parts[1], parts[1], *parts[2:]]
            assert all(c.body["recipient"] == {"id": "7300001"} for c in calls)

            await transport.send(row(2, "private_reply", "6012345", True))
            private = graph.requests("/messages")[len(calls):]
            psid = graph.psid_for("31_9")
            assert [c.body["recipient"] for c in private] == [
                {"comment_id": "31_9"}, *[{"id": psid}] * (len(parts) - 1)]
        finally:
            await client.close()

    run(scenario())
    with sqlite_db.transaction() as session:
        assert session.scalar(select(ChannelRefRow.value).where(
            ChannelRefRow.kind == "messenger_psid")) == graph.psid_for("31_9")
        assert session.scalar(select(func.count()).select_from(ChannelRefRow).where(
            ChannelRefRow.kind == "outbox_part")) == 2 * len(split_text(body))


# -- bad input -----------------------------------------------------------------------------------

def test_bad_facebook_bodies_get_400_with_the_reason(tmp_path: Path,
                                                     graph: FakeGraphApi) -> None:
    async def scenario() -> None:
        async with running(tmp_path, graph) as app:
            body = b'{"object": "page", "entry": [ '
            status, answer = await app.post("/webhooks/facebook", body,
                                            {"X-Hub-Signature-256": sign(body)})
            assert status == 400 and "not valid JSON" in answer["error"]
            status, answer = await app.facebook({"object": "user", "entry": []})
            assert status == 400 and "unknown object type 'user'" in answer["error"]
            assert app.count(InboundRow) == 0
            broken = comment_change("The lift has been broken for a month and my mum cannot "
                                    "get out of the flat.", comment_id="x", post_id="104_5")
            del broken["value"]["comment_id"]
            status, answer = await app.facebook(page_body(changes=[broken]))
            assert status == 400 and "comment_id: missing" in answer["error"]
            assert len(answer["stored"]) == 1
            kept = app.query(lambda s: s.scalar(select(InboundRow)))
            assert kept.text.startswith("The lift") and "comment_id" in kept.parse_error
            # Facebook retries the 400: still stored once.
            status, answer = await app.facebook(page_body(changes=[broken]))
            assert status == 400 and answer["stored"] == [] and len(answer["duplicates"]) == 1
            assert app.count(InboundRow) == 1
    run(scenario())


# -- the social-listening feed ------------------------------------------------------------------

def test_feed_posts_are_stored_and_answered_with_a_suggested_reply(
        tmp_path: Path, graph: FakeGraphApi) -> None:
    async def scenario() -> None:
        async with running(tmp_path, graph, feed=True) as app:
            posts = [
                {"platform": "X", "post_id": "1861", "author": "@tenant_jo", "public": True,
                 "text": COMPLAINT, "url": "https://x.com/tenant_jo/status/1861",
                 "created_at": "2026-11-22T08:00:00Z", "in_reply_to": None},
                {"platform": "nextdoor", "post_id": "nd-9", "author": "Sam", "public": True,
                 "text": "Thank you to the caretaker who cleared the stairwell, brilliant job.",
                 "url": None, "created_at": None, "in_reply_to": None},
            ]
            body = json.dumps(posts).encode()
            status, answer = await app.post("/webhooks/social", body, {
                "X-Intake-Signature": "sha256=" + hex_sign(FEED_SECRET, body)})
            assert status == 200, answer
            first, second = answer["posts"]
            assert first["personal_data"] and {"PHONE", "ACCOUNT_REF"} <= set(first["pii_types"])
            assert PHONE not in first["suggested_public_reply"]
            assert "delete your post" in first["suggested_public_reply"]
            assert not second["personal_data"]
            assert "delete" not in second["suggested_public_reply"]
            # bare hex is accepted too, and a redelivery is recognised
            status, again = await app.post("/webhooks/social", body, {
                "X-Intake-Signature": hex_sign(FEED_SECRET, body)})
            assert status == 200 and again["stored"] == [] and len(again["duplicates"]) == 2
            await app.until(app.settled)
            rows = [r for r in app.outbox() if r.kind in ("public_reply", "private_reply",
                                                          "hide_post")]
            assert rows and all(r.state == "dead" for r in rows)
            assert all("kept for staff" in (r.last_error or "") for r in rows)
            assert all(r.attempts == 1 for r in rows)
            assert graph.requests() == []
            cards = [json.loads(r.body) for r in app.outbox("staff_card")]
            complaint = next(c for c in cards if "[PHONE]" in c["text"])
            assert PHONE not in complaint["text"] and complaint["suggested_public_reply"]
            # missing text: 400 naming it; other posts in the body are still stored
            bad = json.dumps([{"platform": "tiktok", "post_id": "t1"},
                              {"platform": "tiktok", "post_id": "t2", "text": "Rent query",
                               "public": "yes"}]).encode()
            status, answer = await app.post("/webhooks/social", bad, {
                "X-Intake-Signature": hex_sign(FEED_SECRET, bad)})
            assert status == 400
            assert "posts[0].text: missing" in answer["error"]
            assert "posts[1].public" in answer["error"] and len(answer["stored"]) == 1
            status, answer = await app.post("/webhooks/social", b"nope", {
                "X-Intake-Signature": hex_sign(FEED_SECRET, b"nope")})
            assert status == 400 and "not valid JSON" in answer["error"]
    run(scenario())


def test_feed_alone_needs_no_facebook_and_holds_replies(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, None, feed=True) as app:
            body = json.dumps({"platform": "instagram", "post_id": "ig1", "author": "jo",
                               "text": COMPLAINT}).encode()
            status, _ = await app.post("/webhooks/social", body,
                                       {"X-Intake-Signature": hex_sign(FEED_SECRET, body)})
            assert status == 200
            async with app.http.get(app.base + "/webhooks/facebook") as r:
                assert r.status in (404, 405)
            await app.until(lambda: bool(app.outbox("public_reply")) and all(
                r.state == "held" for r in app.outbox()))
    run(scenario())


def test_visitor_post_and_who_threads_onto_whose_case(tmp_path: Path,
                                                      graph: FakeGraphApi) -> None:
    """A visitor post is answered on the post itself; a reply under our public reply joins the
    case only when its author is the customer: another person's reply opens their own case."""
    async def scenario() -> None:
        async with running(tmp_path, graph) as app:
            now = int(time.time())
            post_id = f"{PAGE_ID}_3131"
            status, _ = await app.facebook(page_body(changes=[post_change(
                "The communal door has been broken for three weeks and anyone can walk in. "
                "I want to make a complaint about how long this is taking.",
                post_id=post_id, user_id="6020001", created_time=now)]))
            assert status == 200
            await app.until(lambda: len(graph.requests("/messages")) == 1)
            await app.until(app.settled)
            assert graph.requests("/messages")[0].body["recipient"] == {"post_id": post_id}
            assert len(graph.requests(f"/{post_id}/comments")) == 1
            ours = app.query(lambda s: s.scalar(select(ChannelRefRow.value).where(
                ChannelRefRow.kind == "page_comment")))
            assert ours
            case_id = app.query(lambda s: s.scalar(select(CaseRow.id)))
            follow = comment_change(
                "It is still broken this morning and a stranger was in the stairwell.",
                comment_id="3131_50", post_id=post_id, user_id="6020001", parent_id=ours,
                created_time=now + 60)
            other = comment_change(
                "Same problem in my block, the repairs team never turned up. I want to "
                "complain as well.", comment_id="3131_51", post_id=post_id,
                user_id="6020002", parent_id=ours, created_time=now + 90)
            status, _ = await app.facebook(page_body(changes=[follow, other]))
            assert status == 200
            await app.until(lambda: app.count(InboundRow) == 3)
            await app.until(app.settled)
            owner = app.query(lambda s: dict(s.execute(select(InboundRow.external_id,
                                                              InboundRow.case_id)).all()))
            assert owner["3131_50"] == case_id
            assert owner["3131_51"] not in (None, case_id)
    run(scenario())
