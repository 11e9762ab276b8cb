"""A local fake of Slack's Web API (and Socket Mode endpoint) for tests, in the manner of
bolt-python's tests/mock_web_api_server: a real aiohttp server on loopback that records every
call and answers with Slack's real response shapes. It can answer 429 with Retry-After (or any
status) on demand, to prove cards wait in the outbox and are not lost.

It runs in its own thread and event loop so it serves both in-process tests and `intake serve`
subprocesses (point SLACK_API_URL at `fake.api_url`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from tests.pg import free_port

TEAM_ID, BOT_USER, BOT_ID, APP_ID = "T0INTAKE1", "U0INTAKEBOT", "B0INTAKEBOT", "A0INTAKEAPP"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None


@dataclass
class Failure:
    method: str
    status: int
    count: int
    retry_after: int | None = None
    error: str = "ratelimited"


@dataclass
class FakeSlack:
    """Start with `start()`; `calls(method)` lists what our code asked Slack to do."""

    port: int = field(default_factory=free_port)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    _calls: list[Call] = field(default_factory=list)
    _failures: list[Failure] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self._views = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._sockets: list[web.WebSocketResponse] = []

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    # -- control ---------------------------------------------------------------------------

    def start(self) -> None:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            app = web.Application()
            app.router.add_route("*", "/api/{method}", self._api)
            app.router.add_get("/link/", self._websocket)
            self._runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(self._runner.setup())
            loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-slack", daemon=True)
        self._thread.start()
        assert ready.wait(10), "fake Slack did not start"

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def fail(self, method: str, *, status: int = 429, count: int = 1,
             retry_after: int | None = 1, error: str = "ratelimited") -> None:
        """Answer the next `count` calls of `method` with this failure."""
        with self._lock:
            self._failures.append(Failure(method, status, count, retry_after, error))

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 20.0,
                 where: Any = None) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [c for c in self.calls(method) if where is None or where(c)]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {count} {method} call(s), got "
                             f"{[c.method for c in self.calls()]}")

    def socket_send(self, envelope: dict[str, Any]) -> None:
        """Push a Socket Mode envelope to every connected client."""
        assert self._loop is not None

        async def send() -> None:
            for ws in list(self._sockets):
                await ws.send_str(json.dumps(envelope))

        asyncio.run_coroutine_threadsafe(send(), self._loop).result(5)

    def socket_connected(self) -> bool:
        return bool(self._sockets)

    # -- server ----------------------------------------------------------------------------

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        body = await request.read()
        if not body:
            return args
        if request.content_type == "application/json":
            args.update(json.loads(body))
        else:
            for key, value in parse_qsl(body.decode(), keep_blank_values=True):
                try:
                    args[key] = json.loads(value) if key in ("blocks", "view") else value
                except json.JSONDecodeError:
                    args[key] = value
        return args

    def _failure(self, method: str) -> Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.method == method and failure.count > 0:
                    failure.count -= 1
                    return failure
        return None

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.get("token")
        failure = self._failure(method)
        if failure is not None:
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            return web.json_response({"ok": False, "error": failure.error},
                                     status=failure.status, headers=headers)
        with self._lock:
            self._calls.append(Call(method, args, token))
        if not token or not str(token).startswith(("xoxb-", "xapp-")):
            return web.json_response({"ok": False, "error": "not_authed"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return web.json_response(handler(args))

    def _next_ts(self) -> str:
        return f"{1763800000 + next(self._ts)}.{next(self._ts):06d}"

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://intake-test.slack.com/", "team": "Intake Test",
                "user": "intake", "team_id": TEAM_ID, "user_id": BOT_USER, "bot_id": BOT_ID,
                "is_enterprise_install": False}

    def _message(self, args: dict[str, Any], ts: str) -> dict[str, Any]:
        return {"type": "message", "subtype": "bot_message", "text": args.get("text", ""),
                "ts": ts, "username": "Intake", "bot_id": BOT_ID, "app_id": APP_ID,
                "blocks": args.get("blocks", [])}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        return {"ok": True, "channel": args.get("channel"), "ts": ts,
                "message": self._message(args, ts)}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts"),
                "text": args.get("text", ""), "message": self._message(args, args.get("ts", ""))}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _view(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view") or {}
        number = next(self._views)
        return {"ok": True, "view": {
            "id": f"V0FAKE{number:05d}", "team_id": TEAM_ID, "type": view.get("type"),
            "blocks": view.get("blocks", []), "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""), "state": {"values": {}},
            "hash": f"1763800000.hash{number}", "title": view.get("title"),
            "clear_on_close": False, "notify_on_close": False, "close": view.get("close"),
            "submit": view.get("submit"), "previous_view_id": None,
            "root_view_id": f"V0FAKE{number:05d}", "app_id": APP_ID, "external_id": "",
            "app_installed_team_id": TEAM_ID, "bot_id": BOT_ID}}

    _views_open = _view
    _views_publish = _view
    _views_update = _view

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = args.get("user", "")
        known = self.users.get(user)
        if known is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": {
            "id": user, "team_id": TEAM_ID, "name": known.get("name", "staff"), "deleted": False,
            "real_name": known["real_name"], "tz": "Europe/London", "is_bot": False,
            "profile": {"title": known.get("title", ""), "real_name": known["real_name"],
                        "display_name": known.get("name", ""), "team": TEAM_ID}}}

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket=fake"}

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1,
                                      "debug_info": {"host": "fake",
                                                     "approximate_connection_time": 3600},
                                      "connection_info": {"app_id": APP_ID}}))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    with self._lock:
                        self.socket_acks.append(json.loads(msg.data))
        finally:
            self._sockets.remove(ws)
        return ws
