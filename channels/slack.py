"""Slack channel: the staff triage queue (cards, actions, `/intake`, App Home, morning digest).

Two transports for Slack's requests, one Bolt app behind both (slack-bolt's own rule: every
transport builds one request and calls one dispatch):
- HTTP mode at `POST /slack/events` on our aiohttp server; Bolt verifies the `v0` signature
  and refuses stale timestamps (401, nothing changes) before any listener runs;
- Socket Mode when SLACK_APP_TOKEN is set (slack_sdk's aiohttp client), so a landlord behind
  a firewall needs no public URL.
Outbound, staff cards and digests are outbox rows delivered by `SlackTransport`. SLACK_API_URL
points the Web API client elsewhere (GovSlack, a proxy, the tests' fake Slack).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from email.utils import parseaddr
from typing import TYPE_CHECKING

from aiohttp import web

from intake.calendar import LONDON, WorkingCalendar
from intake.errors import ConfigError
from intake.plugins import ChannelContext, ChannelRuntime
from models import Channel

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

log = logging.getLogger("intake.channels.slack")

EVENTS_PATH = "/slack/events"
DEFAULT_API_URL = "https://slack.com/api/"


def parse_time_of_day(value: str) -> time:
    """'08:30' -> 08:30 (UK local time), with an error naming the setting."""
    try:
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ConfigError(f"SLACK_DIGEST_TIME: expected HH:MM (UK time), got {value!r}") from None


def next_digest_at(now: datetime, at: time, cal: WorkingCalendar) -> datetime:
    """The next working day's `at` (UK local time) strictly after `now`."""
    local = now.astimezone(LONDON)
    day = local.date()
    while True:
        candidate = datetime.combine(day, at, tzinfo=LONDON)
        if candidate > local and cal.is_working_day(day):
            return candidate.astimezone(now.tzinfo)
        day += timedelta(days=1)


class DigestSchedule:
    """Queues the morning digest each working day at the configured time."""

    def __init__(self, queue: Callable[[datetime], bool], at: time, cal: WorkingCalendar,
                 clock: Callable[[], datetime]) -> None:
        self.queue = queue
        self.at = at
        self.cal = cal
        self.clock = clock
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            now = self.clock()
            due = next_digest_at(now, self.at, self.cal)
            await asyncio.sleep(max(0.0, (due - now).total_seconds()))
            try:
                queued = await asyncio.to_thread(self.queue, self.clock())
                log.info("morning digest %s", "queued" if queued else "already queued today")
            except Exception:  # the schedule must survive a database hiccup
                log.exception("morning digest could not be queued; next one tomorrow")
                await asyncio.sleep(60)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="slack-digest")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def _events_route(app: AsyncApp) -> Callable[[web.Application], None]:
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

    async def events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    def add(web_app: web.Application) -> None:
        web_app.router.add_post(EVENTS_PATH, events)

    return add


def setup(ctx: ChannelContext) -> ChannelRuntime | None:
    """The Slack runtime, or None when SLACK_BOT_TOKEN is not set."""
    settings = ctx.settings
    if settings.slack_bot_token is None:
        return None
    token = settings.slack_bot_token.get_secret_value()
    channel = settings.slack_triage_channel
    if not channel:
        raise ConfigError("SLACK_TRIAGE_CHANNEL: required when SLACK_BOT_TOKEN is set (the "
                          "channel id of the staff triage queue, e.g. C0123456789)")
    secret = settings.slack_signing_secret.get_secret_value() \
        if settings.slack_signing_secret else None
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
    if not secret and not app_token:
        raise ConfigError("SLACK_SIGNING_SECRET: required for HTTP mode at POST /slack/events "
                          "(or set SLACK_APP_TOKEN for Socket Mode)")
    at = parse_time_of_day(settings.slack_digest_time)
    # Imported here so `intake serve` without Slack does not pay for loading slack-bolt.
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from channels.slack_cards import SlackCards, SlackTransport
    from channels.slack_handlers import SlackStaff
    from intake.actions import StaffActions
    from intake.staff_queue import queue_digest

    base_url = settings.slack_api_url or DEFAULT_API_URL
    client = AsyncWebClient(token=token, base_url=base_url.rstrip("/") + "/", timeout=15)
    app = AsyncApp(client=client, signing_secret=secret or "",
                   request_verification_enabled=bool(secret),
                   logger=logging.getLogger("intake.channels.slack.bolt"))
    cal = WorkingCalendar(ctx.profile.nation)
    cards = SlackCards(client, ctx.db, cal, ctx.clock)
    mail_domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "localhost"
    actions = StaffActions(ctx.db, ctx.profile, mail_domain=mail_domain, clock=ctx.clock,
                           give_up_after=timedelta(hours=settings.outbox_give_up_hours))
    SlackStaff(actions, cards, ctx.profile).register(app)
    schedule = DigestSchedule(
        lambda now: queue_digest(ctx.db, cal, Channel.SLACK, channel, now), at, cal, ctx.clock)
    socket = None
    if app_token:
        from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

        socket = AsyncSocketModeHandler(app, app_token)

    async def start() -> None:
        await schedule.start()
        if socket is not None:
            await socket.connect_async()
            log.info("slack: Socket Mode connected")

    async def stop() -> None:
        await schedule.stop()
        if socket is not None:
            await socket.close_async()

    log.info("slack: triage queue in %s; %s; digest at %s UK time on working days", channel,
             "HTTP mode at POST /slack/events" if secret else "Socket Mode only",
             at.strftime("%H:%M"))
    return ChannelRuntime(
        name="slack",
        routes=[_events_route(app)] if secret else [],
        transports={Channel.SLACK.value: SlackTransport(cards)},
        start=start,
        stop=stop,
    )
