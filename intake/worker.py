"""Triage workers: claim stored messages, process them, and never let one message block.

Each worker loops: claim one message (with a lease), process it in a thread (triage is CPU
work, the database is blocking I/O), record success or failure. A failing message is retried
with backoff and after `max_attempts` claims it goes to the dead-letter state with the failing
stage and traceback; `intake requeue` brings it back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta

from intake.pipeline import Outcome, Pipeline
from storage import queue
from storage.outbox import backoff

log = logging.getLogger("intake.worker")


class Workers:
    """A pool of asyncio tasks sharing one pipeline; `wake()` is safe from any thread."""

    def __init__(self, pipeline: Pipeline, *, count: int, lease: timedelta, max_attempts: int,
                 poll_seconds: float, clock: Callable[[], datetime]) -> None:
        self.pipeline = pipeline
        self.count = count
        self.lease = lease
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self.clock = clock
        self._event = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []
        self.processed = 0

    def wake(self) -> None:
        self._loop.call_soon_threadsafe(self._event.set)

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run(i), name=f"worker-{i}")
                       for i in range(self.count)]

    async def stop(self) -> None:
        """Finish the message in hand, then stop; unstarted leases are released."""
        self._stopping = True
        self._event.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, index: int) -> None:
        db = self.pipeline.db
        while not self._stopping:
            try:
                ids = await asyncio.to_thread(queue.claim, db, self.clock(), self.lease, 1)
            except Exception:
                log.exception("worker-%s could not claim; retrying", index)
                await asyncio.sleep(1.0)
                continue
            if not ids:
                self._event.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._event.wait(), timeout=self.poll_seconds)
                continue
            for inbound_id in ids:
                if self._stopping:
                    await asyncio.to_thread(queue.release, db, [inbound_id])
                    continue
                await self._process(inbound_id)

    async def _process(self, inbound_id: int) -> Outcome | None:
        try:
            outcome = await asyncio.to_thread(self.pipeline.process, inbound_id)
            self.processed += 1
            return outcome
        except Exception as exc:
            stage = "triage" if "triage" in "".join(traceback.format_tb(exc.__traceback__)) \
                else "pipeline"
            trace = traceback.format_exc()
            state = await asyncio.to_thread(
                queue.fail, self.pipeline.db, inbound_id, stage, trace, self.max_attempts,
                self.clock() + backoff(1),
            )
            log.error("inbound=%s failed at %s (%s): now %s", inbound_id, stage,
                      type(exc).__name__, state)
            return None


def drain(pipeline: Pipeline, clock: Callable[[], datetime], lease: timedelta,
          max_attempts: int = 5, limit: int = 100_000) -> int:
    """Process everything pending in this thread (tests, `intake process`); returns the count."""
    done = 0
    while done < limit:
        ids = queue.claim(pipeline.db, clock(), lease, 10)
        if not ids:
            return done
        for inbound_id in ids:
            try:
                pipeline.process(inbound_id)
            except Exception:
                queue.fail(pipeline.db, inbound_id, "pipeline", traceback.format_exc(),
                           max_attempts, clock())
            done += 1
    return done
