"""The running Telegram channel (python-telegram-bot 22), built by `channels.telegram.setup`.

It builds a PTB `Application` (pointed at TELEGRAM_API_URL when set: a self-hosted Bot API
server, or the tests' fake) and contributes:
- `POST /telegram/webhook`, verifying `X-Telegram-Bot-Api-Secret-Token` against
  TELEGRAM_WEBHOOK_SECRET (401 missing, 403 wrong or not configured; nothing is stored);
- a transport delivering outbox rows with channel "telegram" through `sendMessage`;
- start/stop hooks that connect to the Bot API (retrying while it is unreachable) and then
  either register the webhook (TELEGRAM_WEBHOOK_URL set) or long-poll `getUpdates`.

Why our own polling loop rather than PTB's `Updater`: the Updater confirms an update to
Telegram (by asking for the next offset) as soon as it is queued, before any handler has stored
it, so a database outage or a crash would lose messages. Here an update's offset is confirmed
only after its handler has returned, i.e. after `ctx.receive()` stored it (invariant 1); a
failure fetches the same updates again and receipt is idempotent. The Application, its
handlers and `process_update` are PTB's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from typing import Any

from aiohttp import web
from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application

from channels.telegram_inbound import InboundHandlers
from channels.telegram_outbound import TelegramTransport, retry_delay
from intake.errors import ConfigError
from intake.plugins import ChannelContext, ChannelRuntime

log = logging.getLogger("intake.channels.telegram")

ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
POLL_TIMEOUT = 25
MAX_BACKOFF = 30.0
MAX_WEBHOOK_BODY = 1024 * 1024


class UpdateFailed(Exception):
    """A handler could not store an update: it must not be confirmed to Telegram."""


def api_urls(api_url: str | None) -> tuple[str, str] | None:
    """(base_url, base_file_url) for PTB from TELEGRAM_API_URL ('http://host:8081')."""
    if not api_url:
        return None
    base = api_url.strip().rstrip("/")
    base = base.removesuffix("/bot")
    if not base.startswith(("http://", "https://")):
        raise ConfigError(f"TELEGRAM_API_URL: expected an http(s) URL, got {api_url!r}")
    return f"{base}/bot", f"{base}/file/bot"


class TelegramChannel:
    """The running channel: PTB Application, connection, polling or webhook, transport."""

    def __init__(self, ctx: ChannelContext, token: str) -> None:
        self.ctx = ctx
        settings = ctx.settings
        self.webhook_url = settings.telegram_webhook_url
        secret = settings.telegram_webhook_secret
        self.secret = secret.get_secret_value() if secret is not None else None
        if self.webhook_url and not self.secret:
            raise ConfigError("TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_WEBHOOK_URL is set "
                              "(Telegram sends it with every update so we can verify them)")
        builder = Application.builder().token(token).updater(None)
        urls = api_urls(settings.telegram_api_url)
        if urls is not None:
            builder = builder.base_url(urls[0]).base_file_url(urls[1])
        self.app = builder.build()
        self.handlers = InboundHandlers(ctx)
        self.handlers.register(self.app)
        self.transport = TelegramTransport(self.app.bot, lambda: self.ready, ctx.db, ctx.clock)
        self.ready = False
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._fetching = False
        self._offset: int | None = None

    @property
    def bot(self) -> Bot:
        return self.app.bot

    # -- one update --------------------------------------------------------------------------

    async def handle(self, update: Update) -> None:
        """Run PTB's handlers on one update; raise UpdateFailed if it was not stored."""
        self.handlers.failures.pop(update.update_id, None)
        await self.app.process_update(update)
        error = self.handlers.failures.pop(update.update_id, None)
        if error is not None:
            raise UpdateFailed(type(error).__name__) from error

    # -- lifecycle ---------------------------------------------------------------------------

    def runtime(self) -> ChannelRuntime:
        return ChannelRuntime(name="telegram", routes=[self.add_routes],
                              transports={"telegram": self.transport}, start=self.start,
                              stop=self.stop)

    async def start(self) -> None:
        """Connect in the background: an unreachable Telegram must not stop the service."""
        self._task = asyncio.create_task(self._run(), name="telegram")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            if self._fetching:
                self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.ready and self._offset is not None and not self.webhook_url:
            # Confirm what we stored, so a restart does not see those updates again.
            with contextlib.suppress(TelegramError, TimeoutError):
                await asyncio.wait_for(
                    self.bot.get_updates(offset=self._offset, timeout=0, limit=1,
                                         allowed_updates=ALLOWED_UPDATES), timeout=3)
        self.ready = False
        with contextlib.suppress(Exception):
            if self.app.running:
                await self.app.stop()
            await self.app.shutdown()
        log.info("telegram channel stopped")

    async def _run(self) -> None:
        if not await self._connect():
            return
        if self.webhook_url:
            await self._retrying("setWebhook", lambda: self.bot.set_webhook(
                url=self.webhook_url or "", secret_token=self.secret,
                allowed_updates=ALLOWED_UPDATES))
            log.info("telegram: webhook registered; updates arrive at POST /telegram/webhook")
            return
        await self._retrying("deleteWebhook",
                             lambda: self.bot.delete_webhook(drop_pending_updates=False))
        log.info("telegram: long polling")
        await self._poll()

    async def _connect(self) -> bool:
        delay = 1.0
        while not self._stopping.is_set():
            try:
                await self.app.initialize()
                await self.app.start()
                self.ready = True
                log.info("telegram: connected as bot id %s", self.bot.id)
                return True
            except InvalidToken:
                # PTB's message contains the token: never log it.
                log.error("telegram: TELEGRAM_BOT_TOKEN was rejected by the Bot API; retrying")
            except TelegramError as exc:
                log.warning("telegram: Bot API unreachable (%s); retrying in %.0fs",
                            type(exc).__name__, delay)
            await self._sleep(delay)
            delay = min(MAX_BACKOFF, delay * 2)
        return False

    async def _retrying(self, what: str, call: Any) -> None:
        delay = 1.0
        while not self._stopping.is_set():
            try:
                await call()
                return
            except TelegramError as exc:
                log.warning("telegram: %s failed (%s); retrying in %.0fs", what,
                            type(exc).__name__, delay)
            await self._sleep(delay)
            delay = min(MAX_BACKOFF, delay * 2)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    # -- long polling ------------------------------------------------------------------------

    async def _poll(self) -> None:
        delay = 1.0
        store_delay = 1.0
        while not self._stopping.is_set():
            try:
                self._fetching = True
                updates = await self.bot.get_updates(offset=self._offset, timeout=POLL_TIMEOUT,
                                                     allowed_updates=ALLOWED_UPDATES)
            except RetryAfter as exc:
                await self._sleep(retry_delay(exc).total_seconds())
                continue
            except Conflict:
                log.error("telegram: another client is polling this bot, or a webhook is set; "
                          "retrying in %.0fs", delay)
                await self._sleep(delay)
                delay = min(MAX_BACKOFF, delay * 2)
                continue
            except Exception as exc:  # TelegramError, or an update PTB cannot parse
                log.warning("telegram: getUpdates failed (%s); retrying in %.0fs",
                            type(exc).__name__, delay)
                await self._sleep(delay)
                delay = min(MAX_BACKOFF, delay * 2)
                continue
            finally:
                self._fetching = False
            delay = 1.0
            for update in updates:
                try:
                    await self.handle(update)
                except Exception as exc:  # UpdateFailed, or a bug: never confirm it unstored
                    log.error("telegram update=%s not stored (%s); fetching it again in %.0fs",
                              update.update_id,
                              exc if isinstance(exc, UpdateFailed) else type(exc).__name__,
                              store_delay)
                    await self._sleep(store_delay)
                    store_delay = min(MAX_BACKOFF, store_delay * 2)
                    break
                store_delay = 1.0
                self._offset = update.update_id + 1

    # -- webhook -----------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/telegram/webhook", self.webhook)

    async def webhook(self, request: web.Request) -> web.Response:
        """Verify the secret token, then store the update before answering 200."""
        if not self.secret:
            return web.Response(status=403, text="telegram webhook is disabled: "
                                "TELEGRAM_WEBHOOK_SECRET is not set\n")
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return web.Response(status=401, text=f"missing {SECRET_HEADER} header\n")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("telegram webhook: wrong secret token; refused")
            return web.Response(status=403, text=f"wrong {SECRET_HEADER}\n")
        if request.content_length is not None and request.content_length > MAX_WEBHOOK_BODY:
            return web.Response(status=413, text="update too large\n")
        if not self.ready:
            return web.Response(status=503, text="not connected to the Bot API yet; retry\n")
        try:
            data = await request.json()
        except ValueError:
            return web.Response(status=400, text="body is not JSON\n")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400, text="not a Telegram Update: update_id (integer) "
                                "is missing\n")
        try:
            update = Update.de_json(data, self.bot)
        except (KeyError, TypeError, ValueError) as exc:
            return web.Response(status=400, text=f"not a valid Telegram Update: "
                                f"{type(exc).__name__} {str(exc)[:120]}\n")
        try:
            await self.handle(update)
        except UpdateFailed:
            return web.Response(status=500, text="could not store the update; Telegram will "
                                "retry\n")
        return web.json_response({"ok": True})
