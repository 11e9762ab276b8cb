"""`intake serve` end to end with the hpg profile (INTAKE_POLICY=hpg), on SQLite and PostgreSQL:
a public Facebook comment holding a phone number and a tenancy reference, signed as Facebook
signs it, yields a case, a public reply free of personal data, a private reply and the comment
hidden, as the fake Graph API records; the customer's Messenger reply joins the same case."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.tables import CaseRow, InboundRow, OutboxRow
from tests.fakes.graph_api import (
    APP_SECRET,
    PAGE_ID,
    PAGE_TOKEN,
    VERIFY_TOKEN,
    FakeGraphApi,
    comment_change,
    message_event,
    page_body,
    sign,
)
from tests.helpers import ServiceProcess, wait_until

pytestmark = pytest.mark.slow

PHONE = "07700 900123"
TENANCY = "HPG/123456/01"
COMPLAINT = ("Third time asking: the bathroom extractor fan has not worked since September and "
             "the black mould is back. I want to complain about how long this is taking. "
             f"Ring me on {PHONE}, tenancy {TENANCY}.")


def post(port: int, payload: Any, signature: str | None = None) -> tuple[int, Any]:
    body = json.dumps(payload).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/facebook", data=body, method="POST",
        headers={"Content-Type": "application/json",
                 "X-Hub-Signature-256": signature or sign(body)})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_public_comment_journey_with_hpg(tmp_path: Path, db_url: str) -> None:
    graph = FakeGraphApi()
    graph.start()
    service = ServiceProcess(tmp_path, db_url, relay=None, extra_env={
        "INTAKE_POLICY": "hpg", "FACEBOOK_APP_SECRET": APP_SECRET,
        "FACEBOOK_PAGE_TOKEN": PAGE_TOKEN, "FACEBOOK_VERIFY_TOKEN": VERIFY_TOKEN,
        "FACEBOOK_GRAPH_URL": graph.url})
    service.start()
    db = Database(db_url)
    try:
        payload = page_body(changes=[comment_change(
            COMPLAINT, comment_id="8801_1", post_id=f"{PAGE_ID}_8801",
            created_time=int(time.time()))])
        status, _ = post(service.http_port, payload, sign(b"tampered"))
        assert status == 403
        status, answer = post(service.http_port, payload)
        assert status == 200 and len(answer["stored"]) == 1
        hidden = lambda: [c for c in graph.requests("/8801_1") if c.body.get("is_hidden")]  # noqa: E731
        assert wait_until(lambda: bool(graph.requests("/8801_1/comments"))
                          and bool(graph.requests("/messages")) and bool(hidden()), timeout=60)

        reply = graph.requests("/8801_1/comments")[0].body["message"]
        assert "900123" not in reply and "123456" not in reply
        private = graph.requests(f"/{PAGE_ID}/messages")[0].body
        assert private["recipient"] == {"comment_id": "8801_1"}
        with db.transaction() as session:
            case = session.scalar(select(CaseRow))
            assert case is not None and case.ref.startswith("HPG-")
            assert case.ref in private["message"]["text"]
        assert wait_until(lambda: _states(db) == {"public_reply": "sent",
                                                  "private_reply": "sent",
                                                  "hide_post": "sent"}, timeout=10)

        psid = graph.psid_for("8801_1")
        status, _ = post(service.http_port, page_body(messaging=[message_event(
            "Thank you. I am in all week if someone can come.", mid="m_8801_a", psid=psid,
            timestamp=int(time.time() * 1000))]))
        assert status == 200
        assert wait_until(lambda: _case_of(db, "m_8801_a") is not None, timeout=60)
        assert _case_of(db, "m_8801_a") == case.id
        with db.transaction() as session:
            assert [c.ref for c in session.scalars(select(CaseRow))] == [case.ref]
        assert len(graph.requests("/comments")) == 1
        assert service.stop() == 0
    finally:
        service.kill()
        graph.stop()
        db.dispose()


def _states(db: Database) -> dict[str, str]:
    with db.transaction() as session:
        return {r.kind: r.state for r in session.scalars(select(OutboxRow))}


def _case_of(db: Database, external_id: str) -> int | None:
    with db.transaction() as session:
        return session.scalar(select(InboundRow.case_id).where(
            InboundRow.external_id == external_id))
