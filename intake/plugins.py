"""How a chat or social channel plugs into `intake serve` without the service knowing it.

Each channel module under `channels/` exposes `setup(ctx) -> ChannelRuntime | None`. It
returns None when its settings are absent (the service logs one line saying it was skipped),
otherwise the HTTP routes it serves, the outbox transports it delivers, and optional
start/stop hooks for background work such as long polling. Channels only translate: they call
`ctx.receive(InboundMessage)` and deliver outbox rows; decisions stay in `intake/`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from intake.http import RouteAdder
from intake.receive import Receiver
from intake.sender import Transport
from intake.settings import Settings
from models import PolicyProfile
from storage.db import Database

Hook = Callable[[], Awaitable[None]]


@dataclass
class ChannelContext:
    """What a channel adapter may use: settings, profile, database (read-only queries such as
    a customer's own case status), the receive door, and the clock."""

    settings: Settings
    profile: PolicyProfile
    db: Database
    receive: Receiver
    clock: Callable[[], datetime]


@dataclass
class ChannelRuntime:
    """What a configured channel contributes to the running service."""

    name: str
    routes: list[RouteAdder] = field(default_factory=list)
    transports: dict[str, Transport] = field(default_factory=dict)
    start: Hook | None = None
    stop: Hook | None = None


ChannelSetup = Callable[[ChannelContext], ChannelRuntime | None]

# Channel modules `intake serve` loads, in order; each must define `setup`.
CHANNEL_MODULES = ("channels.slack", "channels.telegram", "channels.social", "channels.imap")
