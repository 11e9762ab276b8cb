"""Process one stored message: triage, decide, and write everything in one transaction.

Message state, triage record, case, stage, deadlines, events and outbox rows commit together
or not at all (the lesson from Mailman, which committed its database and its queue files
separately and could resend after a crash). The order of steps lives here and nowhere else.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from intake import deadlines
from intake.bounces import record_bounce
from intake.calendar import WorkingCalendar
from intake.decide import ThreadedCase, decide
from intake.outgoing import Outgoing, StaffChannel
from models import (
    Attachment,
    Channel,
    Decision,
    DecisionKind,
    InboundMessage,
    Officer,
    PolicyProfile,
    Route,
    StageName,
    Triage,
)
from storage import cases as case_store
from storage import queue
from storage.db import Database, is_postgres
from storage.refs import allocate_ref
from storage.tables import CaseRow, InboundRow

log = logging.getLogger("intake.pipeline")

TriageFn = Callable[[InboundMessage, PolicyProfile], Triage]
Clock = Callable[[], datetime]

STATUS_FOR = {
    DecisionKind.OPEN_CASE: "open",
    DecisionKind.ESCALATE: "open",
    DecisionKind.RECORD_DISSATISFACTION: "recorded",
    DecisionKind.RECORD_SERVICE_REQUEST: "recorded",
    DecisionKind.ACKNOWLEDGE_FEEDBACK: "recorded",
    DecisionKind.DECLINE: "declined",
    DecisionKind.REVIEW: "review",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def row_to_message(row: InboundRow) -> InboundMessage:
    """Rebuild the domain message from its stored row."""
    return InboundMessage(
        channel=Channel(row.channel),
        external_id=row.external_id,
        received_at=row.received_at,
        text=row.text or "",
        sender=row.sender,
        sender_name=row.sender_name,
        subject=row.subject,
        public=row.public,
        raw=b"",
        recipient=row.recipient,
        thread_ids=tuple(row.thread_ids or ()),
        automated=row.automated,
        attachments=tuple(
            Attachment(a.get("filename", ""), a.get("content_type", ""), int(a.get("size", 0)))
            for a in (row.attachments or [])
        ),
        conversation_id=row.conversation_id,
        metadata=dict(row.meta or {}),
    )


@dataclass
class Outcome:
    """What processing one message did, for logs, tests and the worker's counters."""

    inbound_id: int
    decision: DecisionKind
    route: Route
    case_ref: str | None
    replies: int


class Pipeline:
    """The processing step shared by `intake serve` workers and tests."""

    def __init__(self, db: Database, profile: PolicyProfile, *, mail_domain: str,
                 triage_fn: TriageFn | None = None, clock: Clock = utcnow,
                 give_up_after: timedelta = timedelta(hours=48),
                 staff: StaffChannel | None = None,
                 chat_merge: timedelta = timedelta(minutes=10)) -> None:
        if triage_fn is None:
            from triage import triage_message

            triage_fn = triage_message
        self.db = db
        self.profile = profile
        self.calendar = WorkingCalendar(profile.nation)
        self.triage_fn = triage_fn
        self.clock = clock
        self.mail_domain = mail_domain
        self.give_up_after = give_up_after
        self.outgoing = Outgoing(profile, mail_domain, give_up_after, staff)
        self.chat_merge = chat_merge
        prefix = re.escape(profile.reference_prefix)
        self._ref_pattern = re.compile(rf"\b{prefix}-\d{{4}}-\d{{5}}\b", re.IGNORECASE)

    def process(self, inbound_id: int) -> Outcome | None:
        """Process one leased message; None if another worker already finished it."""
        now = self.clock()
        with self.db.transaction() as session:
            row = queue.lock_for_processing(session, inbound_id, is_postgres(self.db.engine))
            if row is None:
                return None
            message = row_to_message(row)
            result = self.triage_fn(message, self.profile)
            intent, thread_row = self._intent(session, message)
            if thread_row is None:
                thread_row = self._thread(session, message, now)
            thread = self._threaded_view(session, thread_row) if thread_row else None
            today = self.calendar.local_date(now)
            decision = decide(result, self.profile, automated=message.automated, thread=thread,
                              today=today, intent=intent,
                              empty_text=not message.text.strip())
            case, replies = self._apply(session, row, message, result, decision, thread_row, now)
            record_bounce(session, row, message, now)  # a report on one of our replies
            self.outgoing.queue_card(session, row, message, result, decision, case,
                                     created=thread_row is None and case is not None, now=now)
            row.state = queue.DONE
            row.lease_until = None
            row.processed_at = now
            row.policy = self.profile.name
            row.case_id = case.id if case is not None else None
            row.triage = {**result.as_json(str(row.id)), "model_version": result.model_version,
                          "scores": result.scores, "recurring": result.recurring}
            row.decision = {"kind": decision.kind.value, "route": decision.route.value,
                            "reasons": list(decision.reasons), "needs_staff": decision.needs_staff,
                            "case_ref": case.ref if case is not None else None}
            outcome = Outcome(row.id, decision.kind, decision.route,
                              case.ref if case is not None else None, replies)
        log.info("processed inbound=%s channel=%s route=%s decision=%s case=%s replies=%s",
                 inbound_id, message.channel.value, decision.route.value, decision.kind.value,
                 outcome.case_ref, replies)
        return outcome

    # -- threading ---------------------------------------------------------------------------

    def _intent(self, session: Session,
                message: InboundMessage) -> tuple[str | None, CaseRow | None]:
        """An explicit customer choice from the channel, honoured only on their own case."""
        intent = message.metadata.get("intent")
        if not isinstance(intent, dict):
            return None, None
        ref = str(intent.get("case_ref") or "")
        case = case_store.find_by_ref(session, ref) if ref else None
        address = self._address(message)
        if case is None or not case_store.owns(session, case, message.channel.value, address):
            return None, None
        return str(intent.get("action") or ""), case

    def _thread(self, session: Session, message: InboundMessage,
                now: datetime) -> CaseRow | None:
        """The case this message continues: our reference, a reply header, or a chat burst."""
        for source in (message.subject or "", message.text[:2000]):
            match = self._ref_pattern.search(source)
            if match:
                found = case_store.find_by_ref(session, match.group(0))
                if found is not None:
                    return found
        if message.thread_ids:
            found = case_store.find_by_message_ids(session, list(message.thread_ids))
            if found is None:
                found = case_store.find_by_inbound_external_ids(
                    session, message.channel.value, list(message.thread_ids))
            if found is not None:
                return found
        if message.conversation_id and not message.public:
            if is_postgres(self.db.engine):
                # Two workers on one chat burst must not both open a case: serialise them on
                # the conversation until the first one commits.
                case_store.lock_conversation(session, message.channel.value,
                                             message.conversation_id)
            return case_store.recent_case_for(session, message.channel.value,
                                              message.conversation_id, now - self.chat_merge)
        return None

    def _threaded_view(self, session: Session, case: CaseRow) -> ThreadedCase:
        stage1 = next((s for s in case.stages if s.name == StageName.STAGE_1.value), None)
        closed_on = None
        if stage1 is not None and stage1.closed_at is not None:
            closed_on = self.calendar.local_date(stage1.closed_at)
        open_until = (deadlines.escalation_open_until(self.profile, self.calendar, closed_on)
                      if closed_on else None)
        return ThreadedCase(ref=case.ref, route=Route(case.route), status=case.status,
                            current_stage=case.current_stage,
                            stage1_closed=stage1 is not None and stage1.closed_at is not None,
                            closed_on=closed_on, escalation_open_until=open_until)

    # -- applying a decision -----------------------------------------------------------------

    def _apply(self, session: Session, row: InboundRow, message: InboundMessage, result: Triage,
               decision: Decision, thread_row: CaseRow | None,
               now: datetime) -> tuple[CaseRow | None, int]:
        kind = decision.kind
        detail: dict[str, Any] = {"route": result.route.value, "confidence": result.confidence,
                                  "flags": sorted(f.value for f in result.flags),
                                  "reasons": list(decision.reasons),
                                  "triage_reasons": list(result.reasons)}
        if kind == DecisionKind.IGNORE:
            if thread_row is not None:
                case_store.add_event(session, thread_row.id, now, "intake", "automated_ignored",
                                     decision.reasons[0], detail, inbound_id=row.id)
            return thread_row, 0
        customer_id = case_store.customer_for(session, message.channel.value,
                                              self._address(message), message.sender_name, now)
        case = thread_row
        if case is None:
            case = self._new_case(session, message, result, decision, customer_id, now)
            case_store.add_event(session, case.id, now, "intake", "opened",
                                 "; ".join(decision.reasons), detail, inbound_id=row.id)
        elif kind == DecisionKind.THREAD_TO_CASE:
            case_store.add_event(session, case.id, now, "intake", "message_added",
                                 "; ".join(decision.reasons), detail, inbound_id=row.id)
            if decision.needs_staff:
                case.needs_staff = True
            if decision.reply_template is None:
                return case, 0
            replies = self.outgoing.queue_replies(session, row, message, result, decision, case,
                                                  now, self._address(message))
            return case, replies
        received = self.calendar.local_date(message.received_at)
        today = self.calendar.local_date(now)
        if kind == DecisionKind.OPEN_CASE:
            if case.route != Route.COMPLAINT.value:
                case_store.add_event(session, case.id, now, "intake", "converted_to_complaint",
                                     "; ".join(decision.reasons), detail, inbound_id=row.id)
                case.route = Route.COMPLAINT.value
                case.status = "open"
            officer = decision.officer or Officer("Complaints Team", "Complaints Officer")
            specs = deadlines.stage1(self.profile, self.calendar, received, today)
            case_store.add_stage(session, case, StageName.STAGE_1.value, now, officer.name,
                                 officer.title, specs)
            case_store.add_event(session, case.id, now, "intake", "stage_opened",
                                 f"stage 1 opened; handled by {officer.name}, {officer.title}",
                                 {"stage": "stage_1", "deadlines": _specs_json(specs)},
                                 inbound_id=row.id)
        elif kind == DecisionKind.ESCALATE:
            officer = decision.officer or Officer("Complaints Review Panel", "Stage 2 Reviewer")
            specs = deadlines.stage2(self.profile, self.calendar, received, today)
            case_store.add_stage(session, case, StageName.STAGE_2.value, now, officer.name,
                                 officer.title, specs)
            case.status = "open"
            case.closed_at = None
            case_store.add_event(session, case.id, now, "intake", "escalated",
                                 "; ".join(decision.reasons),
                                 {"stage": "stage_2", "deadlines": _specs_json(specs)},
                                 inbound_id=row.id)
        if decision.needs_staff:
            case.needs_staff = True
        replies = self.outgoing.queue_replies(session, row, message, result, decision, case, now,
                                              self._address(message))
        return case, replies

    def _new_case(self, session: Session, message: InboundMessage, result: Triage,
                  decision: Decision, customer_id: int | None, now: datetime) -> CaseRow:
        year = self.calendar.local_date(now).year
        ref = allocate_ref(session, self.profile.reference_prefix, year)
        case = CaseRow(
            ref=ref, policy=self.profile.name, route=decision.route.value,
            status=STATUS_FOR.get(decision.kind, "open"), channel=message.channel.value,
            reply_to=self._address(message), public=message.public, customer_id=customer_id,
            opened_at=now, summary=(message.subject or "")[:200],
            flags=sorted(f.value for f in result.flags), needs_staff=decision.needs_staff,
            source_message_id=None,
        )
        session.add(case)
        session.flush()
        return case

    @staticmethod
    def _address(message: InboundMessage) -> str | None:
        """Where replies go on the customer's own channel."""
        return message.conversation_id or message.sender


def _specs_json(specs: list[deadlines.DeadlineSpec]) -> list[dict[str, Any]]:
    return [{"kind": k, "start": s.isoformat(), "due": d.isoformat(), "working_days": n}
            for k, s, d, n in specs]
