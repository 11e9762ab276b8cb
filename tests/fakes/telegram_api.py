"""A local fake of the Telegram Bot API (aiohttp, on loopback), for tests that run the real
python-telegram-bot Application against it.

It speaks the Bot API's wire format: `POST /bot<token>/<method>` with form or JSON parameters,
answers `{"ok": true, "result": ...}` or `{"ok": false, "error_code", "description",
"parameters"}` with the matching HTTP status, serves files at `/file/bot<token>/<path>`, and
long-polls `getUpdates` with Telegram's offset semantics (an update is confirmed when a later
call asks for a higher offset). Update payloads follow the shapes of real updates recorded from
the Bot API documentation. Every call is recorded; failures can be injected per method.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.pg import free_port

TOKEN = "123456789:AAH-fake-token-for-tests_0123456789ab"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Intake", "username": "intake_test_bot",
            "can_join_groups": False, "can_read_all_group_messages": False,
            "supports_inline_queries": False}
# Parameters whose values are plain text even when they look like JSON.
TEXT_PARAMS = {"text", "caption", "callback_query_id", "file_id", "url", "secret_token"}


@dataclass
class Call:
    """One Bot API request as the fake received it."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


def user(user_id: int = 555000111, first_name: str = "Priya", username: str | None = "priya_s",
         is_bot: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"id": user_id, "is_bot": is_bot, "first_name": first_name,
                            "language_code": "en"}
    if username:
        data["username"] = username
    return data


def private_chat(who: dict[str, Any]) -> dict[str, Any]:
    chat = {"id": who["id"], "first_name": who["first_name"], "type": "private"}
    if "username" in who:
        chat["username"] = who["username"]
    return chat


class FakeBotApi:
    """The fake server, run in its own thread so sync tests and subprocesses can use it."""

    def __init__(self, token: str = TOKEN, max_poll_wait: float = 1.0) -> None:
        self.token = token
        self.port = free_port()
        self.max_poll_wait = max_poll_wait
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.confirmed_offset = 0
        self.files: dict[str, tuple[str, bytes]] = {}
        self.failures: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.webhook: dict[str, Any] | None = None
        self.results: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self._update_ids = itertools.count(700000001)
        self._message_ids = itertools.count(1001)
        self._bot_message_ids = itertools.count(9001)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()

    # -- server ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="fake-bot-api", daemon=True)
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("fake Bot API did not start")

    def stop(self) -> None:
        if self._loop is not None and self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(self._runner.setup())
        loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._started.set()
        loop.run_forever()
        loop.close()

    # -- failure injection ---------------------------------------------------------------------

    def fail(self, method: str, status: int, description: str, times: int = 1,
             parameters: dict[str, Any] | None = None) -> None:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        with self.lock:
            self.failures.setdefault(method, []).extend([(status, body)] * times)

    def flood(self, method: str, retry_after: int, times: int = 1) -> None:
        """Telegram's 429 answer with parameters.retry_after."""
        self.fail(method, 429, f"Too Many Requests: retry after {retry_after}", times,
                  {"retry_after": retry_after})

    # -- recorded calls ------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        """Parameters of every sendMessage to one chat, in order."""
        return [c.params for c in self.calls_to("sendMessage")
                if str(c.params.get("chat_id")) == str(chat_id)]

    def messages_to(self, chat_id: int) -> list[dict[str, Any]]:
        """The Message objects the fake returned for sendMessage to one chat (as the customer's
        app shows them), in order."""
        with self.lock:
            return [r for r in self.results if r["chat"]["id"] == chat_id]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return predicate()

    def pending_updates(self) -> int:
        with self.lock:
            return sum(1 for u in self.updates if u["update_id"] >= self.confirmed_offset)

    # -- building updates (shapes of real Bot API updates) ---------------------------------------

    def _message(self, who: dict[str, Any], **content: Any) -> dict[str, Any]:
        return {"message_id": next(self._message_ids), "from": who, "chat": private_chat(who),
                "date": int(time.time()), **content}

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.updates.append(update)
        return update

    def new_update(self, key: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"update_id": next(self._update_ids), key: payload}

    def text(self, text: str, who: dict[str, Any] | None = None, *,
             push: bool = True, **extra: Any) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text, **extra}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
        update = self.new_update("message", self._message(who or user(), **content))
        return self.push(update) if push else update

    def add_file(self, data: bytes, path: str) -> tuple[str, str]:
        """Register a downloadable file; returns (file_id, file_unique_id)."""
        unique = f"AQAD{len(self.files):04d}x"
        file_id = f"BQACAgQAAxkBAAI{len(self.files):04d}{unique}"
        with self.lock:
            self.files[file_id] = (path, data)
        return file_id, unique

    def photo(self, data: bytes, who: dict[str, Any] | None = None, caption: str | None = None,
              announced_size: int | None = None) -> dict[str, Any]:
        file_id, unique = self.add_file(data, f"photos/file_{len(self.files)}.jpg")
        thumb_id, thumb_unique = self.add_file(data[:64], f"photos/thumb_{len(self.files)}.jpg")
        sizes = [
            {"file_id": thumb_id, "file_unique_id": thumb_unique, "file_size": 64,
             "width": 90, "height": 67},
            {"file_id": file_id, "file_unique_id": unique,
             "file_size": announced_size if announced_size is not None else len(data),
             "width": 1280, "height": 960},
        ]
        if announced_size is not None:
            sizes[0]["file_size"] = announced_size
        content: dict[str, Any] = {"photo": sizes}
        if caption:
            content["caption"] = caption
        return self.push(self.new_update("message", self._message(who or user(), **content)))

    def document(self, data: bytes, file_name: str, mime_type: str,
                 who: dict[str, Any] | None = None, caption: str | None = None,
                 announced_size: int | None = None) -> dict[str, Any]:
        file_id, unique = self.add_file(data, f"documents/file_{len(self.files)}")
        content: dict[str, Any] = {"document": {
            "file_name": file_name, "mime_type": mime_type, "file_id": file_id,
            "file_unique_id": unique,
            "file_size": announced_size if announced_size is not None else len(data)}}
        if caption:
            content["caption"] = caption
        return self.push(self.new_update("message", self._message(who or user(), **content)))

    def sticker(self, who: dict[str, Any] | None = None) -> dict[str, Any]:
        file_id, unique = self.add_file(b"RIFF....WEBP", "stickers/file_1.webp")
        return self.push(self.new_update("message", self._message(who or user(), sticker={
            "file_id": file_id, "file_unique_id": unique, "type": "regular", "width": 512,
            "height": 512, "is_animated": False, "is_video": False, "emoji": "\U0001f44d",
            "set_name": "HotCherry", "file_size": 24586})))

    def edit(self, original: dict[str, Any], new_text: str) -> dict[str, Any]:
        message = dict(original["message"])
        message["text"] = new_text
        message["edit_date"] = int(time.time())
        return self.push(self.new_update("edited_message", message))

    def press(self, sent: dict[str, Any], data: str,
              who: dict[str, Any] | None = None) -> dict[str, Any]:
        """A callback_query for a button on one of the bot's own sent messages."""
        presser = who or user(int(sent["chat"]["id"]))
        query = {"id": f"{next(self._update_ids)}47290", "from": presser, "message": sent,
                 "chat_instance": "-8394001123456789012", "data": data}
        return self.push(self.new_update("callback_query", query))

    def sent_message_result(self, chat_id: int, text: str,
                            reply_markup: Any = None) -> dict[str, Any]:
        result: dict[str, Any] = {
            "message_id": next(self._bot_message_ids), "from": BOT_USER,
            "chat": {"id": chat_id, "first_name": "Customer", "type": "private"},
            "date": int(time.time()), "text": text}
        if reply_markup:
            result["reply_markup"] = reply_markup
        return result

    # -- handlers ------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            body = await request.json()
            return dict(body) if isinstance(body, dict) else {}
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if not isinstance(value, str) or key in TEXT_PARAMS:
                params[key] = value
                continue
            try:
                params[key] = json.loads(value)
            except ValueError:
                params[key] = value
        params.update({k: v for k, v in request.query.items() if k not in params})
        return params

    def _ok(self, result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    async def _method(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401,
                                      "description": "Unauthorized"}, status=401)
        params = await self._params(request)
        with self.lock:
            self.calls.append(Call(method, params))
            queued = self.failures.get(method)
            failure = queued.pop(0) if queued else None
        if failure is not None:
            return web.json_response(failure[1], status=failure[0])
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"},
                                     status=404)
        return await handler(params)

    async def _m_getMe(self, params: dict[str, Any]) -> web.Response:
        return self._ok(BOT_USER)

    async def _m_getUpdates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), self.max_poll_wait)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                if self.webhook is not None:
                    return web.json_response(
                        {"ok": False, "error_code": 409, "description":
                         "Conflict: can't use getUpdates method while webhook is active; use "
                         "deleteWebhook to delete the webhook first"}, status=409)
                if offset:
                    self.confirmed_offset = max(self.confirmed_offset, offset)
                ready = [u for u in self.updates if u["update_id"] >= self.confirmed_offset]
            if ready or time.monotonic() >= deadline:
                return self._ok(ready[:limit])
            await asyncio.sleep(0.02)

    async def _m_sendMessage(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        result = self.sent_message_result(chat_id, str(params.get("text", "")),
                                          params.get("reply_markup"))
        with self.lock:
            self.results.append(result)
        return self._ok(result)

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> web.Response:
        return self._ok(True)

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params.get("chat_id") or 0)
        result = self.sent_message_result(chat_id, "(edited)")
        result["message_id"] = int(params.get("message_id") or 0)
        return self._ok(result)

    async def _m_getFile(self, params: dict[str, Any]) -> web.Response:
        file_id = str(params.get("file_id"))
        with self.lock:
            entry = self.files.get(file_id)
        if entry is None:
            return web.json_response({"ok": False, "error_code": 400,
                                      "description": "Bad Request: invalid file_id"}, status=400)
        path, data = entry
        return self._ok({"file_id": file_id, "file_unique_id": f"u{file_id[-6:]}",
                         "file_size": len(data), "file_path": path})

    async def _m_setWebhook(self, params: dict[str, Any]) -> web.Response:
        with self.lock:
            self.webhook = params
        return self._ok(True)

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> web.Response:
        with self.lock:
            self.webhook = None
        return self._ok(True)

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        with self.lock:
            self.calls.append(Call("download", {"path": path}))
            data = next((d for p, d in self.files.values() if p == path), None)
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")
