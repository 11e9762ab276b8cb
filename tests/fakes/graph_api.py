"""A local fake of the Facebook Graph API (aiohttp on loopback) and builders of real webhook
payload shapes, for tests of the social channel.

The fake answers the three calls Intake makes with the shapes the Graph API documents:
`POST /{object-id}/comments` -> `{"id": "<post>_<comment>"}`, `POST /{page-id}/messages`
(Send API, incl. private replies with `recipient.comment_id`) -> `{"recipient_id": PSID,
"message_id": "m_..."}`, `POST /{object-id}` with `is_hidden` -> `{"success": true}`. Errors
use Graph's envelope `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`.
It runs in its own thread, so a service in another process or loop can call it. Every request
is recorded; failures can be queued per path.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.pg import free_port

PAGE_ID = "104729384756123"
APP_SECRET = "fake-app-secret-for-tests"
PAGE_TOKEN = "EAAfakePageTokenForTests"
VERIFY_TOKEN = "verify-me-please"
PSID_BASE = 7100000000000000


@dataclass
class Call:
    """One Graph API request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Failure:
    """A scripted answer for the next request whose path ends with `suffix`."""

    suffix: str
    status: int
    code: int
    headers: dict[str, str] = field(default_factory=dict)
    skip: int = 0


class FakeGraphApi:
    """The fake server; `url` is what FACEBOOK_GRAPH_URL should be set to."""

    def __init__(self) -> None:
        self.port = free_port()
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        self._psids: dict[str, str] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v26.0"

    def psid_for(self, target: str) -> str:
        """The PSID the Send API reports for the author of comment/post `target`."""
        with self.lock:
            if target not in self._psids:
                self._psids[target] = str(PSID_BASE + len(self._psids) + 1)
            return self._psids[target]

    def fail_next(self, suffix: str, status: int, code: int,
                  headers: dict[str, str] | None = None, skip: int = 0) -> None:
        """Answer the next matching request (after `skip` that succeed) with a Graph error."""
        with self.lock:
            self.failures.append(Failure(suffix, status, code, headers or {}, skip))

    def requests(self, suffix: str | None = None) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if suffix is None or c.path.endswith(suffix)]

    # -- server ----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = dict((await request.post()).items())
        path = request.path.removeprefix("/v26.0")
        call = Call(request.method, path, dict(request.query), dict(request.headers), body)
        with self.lock:
            self.calls.append(call)
            failure = next((f for f in self.failures if path.endswith(f.suffix)), None)
            if failure is not None and failure.skip > 0:
                failure.skip -= 1
                failure = None
            elif failure is not None:
                self.failures.remove(failure)
        if failure is not None:
            return web.json_response({"error": {
                "message": f"(#{failure.code}) scripted failure", "type": "OAuthException",
                "code": failure.code, "error_subcode": 0, "fbtrace_id": "AfakeTrace"}},
                status=failure.status, headers=failure.headers)
        if request.headers.get("Authorization") != f"Bearer {PAGE_TOKEN}":
            return web.json_response({"error": {
                "message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190,
                "fbtrace_id": "AfakeTrace"}}, status=400)
        parts = [p for p in path.split("/") if p]
        if len(parts) == 2 and parts[1] == "comments":
            return web.json_response({"id": f"{parts[0].split('_')[0]}_{next(self._ids)}9"})
        if len(parts) == 2 and parts[1] == "messages":
            recipient = body.get("recipient") or {}
            target = recipient.get("comment_id") or recipient.get("post_id")
            psid = self.psid_for(str(target)) if target else str(recipient.get("id"))
            return web.json_response({"recipient_id": psid,
                                      "message_id": f"m_fake{next(self._ids)}"})
        if len(parts) == 1 and "is_hidden" in body:
            return web.json_response({"success": True})
        return web.json_response({"error": {
            "message": "Unsupported post request.", "type": "GraphMethodException",
            "code": 100, "error_subcode": 33, "fbtrace_id": "AfakeTrace"}}, status=400)

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(self._runner.setup())
        loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._runner.cleanup())
        loop.close()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="fake-graph", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake Graph API did not start")

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)


# -- webhook payloads in Facebook's shapes -----------------------------------------------------

def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def comment_change(text: str, *, comment_id: str, post_id: str, user_id: str = "6012345678901",
                   name: str = "Priya Shah", verb: str = "add", parent_id: str | None = None,
                   created_time: int = 1795860000) -> dict[str, Any]:
    """`entry[].changes[]` for a comment (Webhooks for Pages, field `feed`, item `comment`)."""
    return {"field": "feed", "value": {
        "from": {"id": user_id, "name": name},
        "post": {"status_type": "added_photos", "is_published": True,
                 "updated_time": "2026-11-23T10:00:00+0000", "permalink_url":
                 f"https://www.facebook.com/{post_id}", "promotion_status": "inactive",
                 "id": post_id},
        "message": text, "post_id": post_id, "comment_id": comment_id,
        "created_time": created_time, "item": "comment", "parent_id": parent_id or post_id,
        "verb": verb,
    }}


def post_change(text: str, *, post_id: str, user_id: str = "6012345678902",
                name: str = "Sam Jones", verb: str = "add",
                created_time: int = 1795860000) -> dict[str, Any]:
    """`entry[].changes[]` for a visitor post on the page (item `status`)."""
    return {"field": "feed", "value": {
        "from": {"id": user_id, "name": name}, "message": text, "post_id": post_id,
        "created_time": created_time, "item": "status", "published": 1, "verb": verb,
    }}


def message_event(text: str, *, mid: str, psid: str, timestamp: int = 1795860000123,
                  page_id: str = PAGE_ID) -> dict[str, Any]:
    """`entry[].messaging[]` for a Messenger text message."""
    return {"sender": {"id": psid}, "recipient": {"id": page_id}, "timestamp": timestamp,
            "message": {"mid": mid, "text": text}}


def page_body(changes: list[dict[str, Any]] | None = None,
              messaging: list[dict[str, Any]] | None = None,
              page_id: str = PAGE_ID) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": page_id, "time": 1795860001000}
    if changes is not None:
        entry["changes"] = changes
    if messaging is not None:
        entry["messaging"] = messaging
    return {"object": "page", "entry": [entry]}
