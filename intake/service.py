"""`intake serve`: SMTP listener, HTTP server, triage workers and sender in one asyncio process.

Shutdown on SIGINT/SIGTERM stops accepting first (SMTP and HTTP listeners close), then lets
workers finish the message in hand and gives back unstarted leases, then stops the sender
after its in-flight deliveries. Whatever is interrupted is still pending in the database.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import parseaddr

from aiohttp import web

from channels.email import InboundHandler, SmtpSender, make_smtp
from intake.errors import ConfigError
from intake.http import make_app
from intake.outgoing import StaffChannel
from intake.pipeline import Pipeline, utcnow
from intake.plugins import CHANNEL_MODULES, ChannelContext, ChannelRuntime
from intake.profiles import load_profile
from intake.receive import Receiver
from intake.sender import Sender, Transport
from intake.settings import Settings, parse_host_port
from intake.worker import Workers
from models import Channel, InboundMessage
from storage.db import Database, default_url
from storage.migrate import upgrade

log = logging.getLogger("intake.serve")


class Service:
    """Everything `intake serve` runs, started and stopped in the right order."""

    def __init__(self, settings: Settings, policy: str | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.profile = load_profile(policy or settings.policy)
        self.clock = clock
        self.db = Database(settings.db_url or default_url())
        self._smtp_server: asyncio.base_events.Server | None = None
        self._http_runner: web.AppRunner | None = None
        self.workers: Workers | None = None
        self.sender: Sender | None = None
        self.channels: list[ChannelRuntime] = []

    def _email_transports(self) -> dict[str, Transport]:
        if self.settings.smtp_relay:
            host, port = parse_host_port(self.settings.smtp_relay, "INTAKE_SMTP_RELAY")
            return {"email": SmtpSender(host, port, self.settings.mail_from)}
        log.info("email replies: INTAKE_SMTP_RELAY is not set, so replies are kept in the "
                 "outbox and not sent")
        return {}

    def _load_channels(self, receiver: Receiver) -> list[ChannelRuntime]:
        """Every chat/social channel whose settings are present; one log line per skipped one."""
        ctx = ChannelContext(self.settings, self.profile, self.db, receiver, self.clock)
        runtimes = []
        for module_name in CHANNEL_MODULES:
            short = module_name.rpartition(".")[2]
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name != module_name:
                    raise
                log.info("%s channel: not installed in this build", short)
                continue
            runtime = module.setup(ctx)
            if runtime is None:
                log.info("%s channel: skipped (no settings)", short)
                continue
            log.info("%s channel: enabled", runtime.name)
            runtimes.append(runtime)
        return runtimes

    def _staff_channel(self) -> StaffChannel | None:
        if self.settings.slack_bot_token and self.settings.slack_triage_channel:
            return StaffChannel(Channel.SLACK, self.settings.slack_triage_channel)
        if self.settings.slack_bot_token:
            raise ConfigError("SLACK_TRIAGE_CHANNEL: required when SLACK_BOT_TOKEN is set "
                              "(the channel id of the staff triage queue)")
        return None

    def _warm_up(self) -> None:
        """Load the triage models before listening, so the first customer does not wait."""
        from triage import triage_message

        probe = InboundMessage(channel=Channel.EMAIL, external_id="warm-up",
                               received_at=self.clock(), text="warm up")
        triage_message(probe, self.profile)

    async def start(self) -> None:
        await asyncio.to_thread(upgrade, self.db.engine)
        await asyncio.to_thread(self._warm_up)
        mail_domain = parseaddr(self.settings.mail_from)[1].rpartition("@")[2] or "localhost"
        pipeline = Pipeline(self.db, self.profile, mail_domain=mail_domain, clock=self.clock,
                            give_up_after=timedelta(hours=self.settings.outbox_give_up_hours),
                            staff=self._staff_channel(),
                            chat_merge=timedelta(minutes=self.settings.chat_merge_minutes))
        self.workers = Workers(pipeline, count=self.settings.workers,
                               lease=timedelta(seconds=self.settings.lease_seconds),
                               max_attempts=self.settings.max_attempts,
                               poll_seconds=self.settings.worker_poll_seconds, clock=self.clock)
        receiver = Receiver(self.db, clock=self.clock, wake=self.workers.wake)
        self.channels = self._load_channels(receiver)
        transports = self._email_transports()
        for runtime in self.channels:
            transports.update(runtime.transports)
        # One lease for both queues: a reply claimed by a process that then died is retried
        # as soon as a message would be (it used to wait a fixed five minutes).
        self.sender = Sender(self.db, transports, clock=self.clock,
                             lease=timedelta(seconds=self.settings.lease_seconds),
                             retry_base_seconds=self.settings.retry_base_seconds)
        own = frozenset({parseaddr(self.settings.mail_from)[1].lower()})
        handler = InboundHandler(receiver, self.settings.inbox(), own, clock=self.clock,
                                 db=self.db,
                                 max_attachment_bytes=self.settings.max_attachment_bytes)
        host, port = parse_host_port(self.settings.smtp_listen, "INTAKE_SMTP_LISTEN")
        loop = asyncio.get_running_loop()
        try:
            self._smtp_server = await loop.create_server(
                lambda: make_smtp(handler, self.settings.max_message_bytes), host, port)
        except OSError as exc:
            raise ConfigError(f"INTAKE_SMTP_LISTEN {host}:{port}: cannot listen: {exc}") from exc
        log.info("SMTP listening on %s:%s for %s", host, port, ", ".join(sorted(handler.inbox)))
        http_host, http_port = parse_host_port(self.settings.http_listen, "INTAKE_HTTP_LISTEN")
        routes = [adder for runtime in self.channels for adder in runtime.routes]
        self._http_runner = web.AppRunner(make_app(self.db, routes), access_log=None)
        await self._http_runner.setup()
        try:
            await web.TCPSite(self._http_runner, http_host, http_port).start()
        except OSError as exc:
            raise ConfigError(f"INTAKE_HTTP_LISTEN {http_host}:{http_port}: cannot listen: "
                              f"{exc}") from exc
        log.info("HTTP listening on %s:%s", http_host, http_port)
        self.workers.start()
        self.sender.start()
        for runtime in self.channels:
            if runtime.start is not None:
                await runtime.start()
        self.workers.wake()
        log.info("intake serving with policy %s (%s workers)", self.profile.name,
                 self.settings.workers)

    async def stop(self) -> None:
        log.info("stopping: no new messages accepted; finishing work in hand")
        if self._smtp_server is not None:
            self._smtp_server.close()
        for runtime in reversed(self.channels):
            if runtime.stop is not None:
                try:
                    await runtime.stop()
                except Exception:
                    log.exception("%s channel did not stop cleanly", runtime.name)
        if self._http_runner is not None:
            await self._http_runner.cleanup()
        if self.workers is not None:
            await self.workers.stop()
        if self.sender is not None:
            await self.sender.stop()
        if self._smtp_server is not None:
            await asyncio.wait_for(self._smtp_server.wait_closed(), timeout=5)
        self.db.dispose()
        log.info("stopped cleanly")


async def serve(settings: Settings, policy: str | None = None) -> None:
    """Run until SIGINT or SIGTERM."""
    service = Service(settings, policy)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await service.start()
    try:
        await stop.wait()
    finally:
        await service.stop()
