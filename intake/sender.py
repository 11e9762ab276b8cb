"""The outbound sender: delivers outbox rows through channel transports, at most once each.

Rows are claimed with a lease and marked `sending` before delivery and `sent` right after, so
a crash can only ever leave a row in `sending`; its lease then runs out and it is retried with
the same Message-ID (receivers deduplicate on it). Temporary failures (SMTP 4xx, HTTP 429/5xx,
unreachable) back off with jitter; permanent ones and those past the give-up time are `dead`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update

from intake.errors import DeliveryError
from storage import outbox
from storage.db import Database
from storage.tables import DeadlineRow, OutboxRow, StageRow

log = logging.getLogger("intake.sender")

ACK_KINDS = {"acknowledgement", "escalation_ack"}


class Transport(Protocol):
    """A channel adapter's outbound half."""

    async def send(self, row: outbox.Claimed) -> None: ...


def record_acknowledged(db: Database, row_id: int, now: datetime) -> None:
    """An acknowledgement left: the stage's acknowledge deadline is met."""
    with db.transaction() as session:
        row = session.get(OutboxRow, row_id)
        if row is None or row.kind not in ACK_KINDS or row.case_id is None:
            return
        stage_name = "stage_2" if row.kind == "escalation_ack" else "stage_1"
        stage = session.scalar(
            select(StageRow).where(StageRow.case_id == row.case_id, StageRow.name == stage_name)
            .order_by(StageRow.id.desc()).limit(1)
        )
        if stage is None:
            return
        if stage.acknowledged_at is None:
            stage.acknowledged_at = now
        session.execute(
            update(DeadlineRow)
            .where(DeadlineRow.stage_id == stage.id, DeadlineRow.kind == "acknowledge",
                   DeadlineRow.met_at.is_(None))
            .values(met_at=now)
        )


class Sender:
    """One loop delivering every channel that has a transport; others are held, not lost."""

    def __init__(self, db: Database, transports: dict[str, Transport], *,
                 clock: Callable[[], datetime], lease: timedelta = timedelta(minutes=5),
                 poll_seconds: float = 0.5, concurrency: int = 8,
                 retry_base_seconds: float = 5.0, hold_every_seconds: float = 5.0) -> None:
        self.db = db
        self.transports = transports
        self.clock = clock
        self.lease = lease
        self.poll_seconds = poll_seconds
        self.concurrency = concurrency
        self.retry_base_seconds = retry_base_seconds
        self.hold_every_seconds = hold_every_seconds
        self._next_hold = 0.0
        self._stopping = False
        self._event = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._task: asyncio.Task[None] | None = None
        self.sent = 0

    def wake(self) -> None:
        self._loop.call_soon_threadsafe(self._event.set)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sender")

    async def stop(self) -> None:
        self._stopping = True
        self._event.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                rows = await asyncio.to_thread(outbox.claim_due, self.db, self.clock(), self.lease,
                                               set(self.transports), self.concurrency)
            except Exception:
                log.exception("sender could not claim outbox rows; retrying")
                rows = []
            if rows:
                await asyncio.gather(*(self._deliver(row) for row in rows))
                continue
            if time.monotonic() >= self._next_hold:
                # A write transaction: on SQLite it takes the database lock, so not every poll.
                self._next_hold = time.monotonic() + self.hold_every_seconds
                held = await asyncio.to_thread(hold_untransported, self.db,
                                               set(self.transports))
                if held:
                    log.info("%s replies kept in the outbox: no transport configured for "
                             "their channel (set INTAKE_SMTP_RELAY to send email)", held)
            self._event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), timeout=self.poll_seconds)

    async def _deliver(self, row: outbox.Claimed) -> None:
        transport = self.transports[row.channel]
        try:
            await transport.send(row)
        except DeliveryError as exc:
            state = await asyncio.to_thread(outbox.mark_failed, self.db, row.id, self.clock(),
                                            str(exc), exc.temporary,
                                            getattr(exc, "retry_after", None),
                                            self.retry_base_seconds)
            log.warning("outbox=%s channel=%s attempt=%s failed: %s -> %s", row.id, row.channel,
                        row.attempts, exc, state)
            return
        except Exception as exc:  # a bug in a transport must not kill the sender
            state = await asyncio.to_thread(outbox.mark_failed, self.db, row.id, self.clock(),
                                            f"{type(exc).__name__}: {exc}", True, None,
                                            self.retry_base_seconds)
            log.exception("outbox=%s unexpected error -> %s", row.id, state)
            return
        now = self.clock()
        await asyncio.to_thread(outbox.mark_sent, self.db, row.id, now)
        await asyncio.to_thread(record_acknowledged, self.db, row.id, now)
        self.sent += 1
        log.info("outbox=%s channel=%s kind=%s sent", row.id, row.channel, row.kind)


def hold_untransported(db: Database, channels_with_transport: set[str]) -> int:
    """Mark pending rows for channels with no transport as held (kept, visibly, not sent)."""
    with db.transaction() as session:
        result = session.execute(
            update(OutboxRow)
            .where(OutboxRow.state == outbox.PENDING,
                   OutboxRow.channel.not_in(sorted(channels_with_transport) or [""]))
            .values(state=outbox.HELD, last_error="no transport configured for this channel")
        )
        return int(getattr(result, "rowcount", 0) or 0)


SendFn = Callable[[outbox.Claimed], Awaitable[None]]
