"""What the staff queue shows: open cases by due date, overdue ones marked, the morning digest.

Read-only views over cases, computed for a given day with the policy's working-day calendar, so
they are plain functions of (database, today) and tests pass the day in. The digest is queued
in the outbox with a key per destination and day: a restart, a second worker or a retry can
never post the same morning's digest twice, and Slack being down delays it without losing it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from intake.calendar import WorkingCalendar
from models import Channel, OutboundMessage
from storage import outbox as outbox_store
from storage.db import Database
from storage.tables import CaseRow, StageRow

QUEUE_STATUSES = ("open", "review")
DIGEST_KIND = "staff_digest"


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One line of the queue: the case's next unmet deadline and how close it is."""

    ref: str
    route: str
    status: str
    stage: str | None
    flags: tuple[str, ...]
    officer: str | None
    needs_staff: bool
    due: date | None
    due_kind: str | None
    working_days_left: int | None
    overdue: bool

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["due"] = self.due.isoformat() if self.due else None
        data["flags"] = list(self.flags)
        return data


def queue_item(case: CaseRow, cal: WorkingCalendar, today: date) -> QueueItem:
    """The queue line for one case on `today`."""
    unmet = sorted(
        ((d.due, d.kind) for s in case.stages if s.closed_at is None for d in s.deadlines
         if d.met_at is None),
    )
    due, kind = unmet[0] if unmet else (None, None)
    left = cal.working_days_between(today, due) if due is not None else None
    return QueueItem(
        ref=case.ref, route=case.route, status=case.status, stage=case.current_stage,
        flags=tuple(case.flags or ()), officer=case.officer_name,
        needs_staff=bool(case.needs_staff), due=due, due_kind=kind, working_days_left=left,
        overdue=due is not None and due < today,
    )


def _sort_key(item: QueueItem) -> tuple[int, date, str]:
    return (item.due is None, item.due or date.max, item.ref)


def open_queue(session: Session, cal: WorkingCalendar, today: date,
               case_ids: list[int] | None = None, limit: int = 50) -> list[QueueItem]:
    """Open cases (or those waiting for staff) by due date, soonest first."""
    query = select(CaseRow).options(
        selectinload(CaseRow.stages).selectinload(StageRow.deadlines))
    if case_ids is not None:
        if not case_ids:
            return []
        query = query.where(CaseRow.id.in_(case_ids))
    query = query.where(
        (CaseRow.status.in_(QUEUE_STATUSES)) | (CaseRow.needs_staff.is_(True)))
    items = [queue_item(case, cal, today) for case in session.scalars(query)]
    items.sort(key=_sort_key)
    return items[:limit]


@dataclass(frozen=True, slots=True)
class Digest:
    """The morning list: overdue cases and those due within `within` working days."""

    day: date
    within: int
    overdue: list[QueueItem]
    due_soon: list[QueueItem]

    def as_json(self) -> dict[str, Any]:
        return {"date": self.day.isoformat(), "within_working_days": self.within,
                "overdue": [i.as_json() for i in self.overdue],
                "due_soon": [i.as_json() for i in self.due_soon]}


def build_digest(session: Session, cal: WorkingCalendar, today: date,
                 within: int = 2) -> Digest:
    """Overdue and due-soon cases on `today` (due soon: within `within` working days)."""
    items = open_queue(session, cal, today, limit=1000)
    horizon = cal.add_working_days(today, within)
    overdue = [i for i in items if i.overdue]
    due_soon = [i for i in items if i.due is not None and not i.overdue and i.due <= horizon]
    return Digest(today, within, overdue, due_soon)


def queue_digest(db: Database, cal: WorkingCalendar, channel: Channel, destination: str,
                 now: datetime, within: int = 2) -> bool:
    """Queue today's digest for `destination`; False if it was already queued today."""
    today = cal.local_date(now)
    with db.transaction() as session:
        digest = build_digest(session, cal, today, within)
        outbound = OutboundMessage(
            channel=channel, recipient=destination, kind=DIGEST_KIND,
            body=json.dumps(digest.as_json()),
            idempotency_key=f"digest:{destination}:{today.isoformat()}")
        row = outbox_store.enqueue(session, outbound, now, case_id=None, inbound_id=None,
                                   give_up_after=timedelta(hours=12))
    return row is not None
