"""Staff actions on a case: confirm, change route, assign, escalate, extend, close.

Invariant 4 says every decision is overridable by staff and every override is recorded. Each
action runs in ONE transaction that claims the action's idempotency key (a Slack `action_ts`
or view id, stored in channel_refs so the database refuses a second claim), changes the case
and its deadlines, appends a case event naming the member of staff, stores route choices as
labelled training examples, and queues the reply the customer should now get through
`intake.outgoing.Outgoing` (same templates, same outbox, same keys as the pipeline). A retried
delivery of the same click is a no-op; a second click of the same button finds the work done.

Channel-agnostic: the Slack adapter (channels/slack_handlers.py) calls these; so could a CLI.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake import deadlines
from intake.calendar import WorkingCalendar
from intake.decide import officer_for
from intake.errors import IntakeError
from intake.outgoing import Outgoing
from intake.pipeline import row_to_message
from models import (
    DeadlineKind,
    Decision,
    DecisionKind,
    Flag,
    Officer,
    PiiSpan,
    PiiType,
    PolicyProfile,
    Route,
    StageName,
    Triage,
)
from storage import cases as case_store
from storage import feedback as feedback_store
from storage import staff_refs
from storage.db import Database
from storage.tables import CaseRow, DeadlineRow, InboundRow, StageRow

log = logging.getLogger("intake.actions")

OUTCOMES = {"upheld": "upheld", "partly_upheld": "partly upheld", "not_upheld": "not upheld"}
RECLASSIFIED = "reclassified"


class ActionRefused(IntakeError):
    """The action does not apply to this case as it stands; the message is for the officer."""


class _Unchanged(Exception):
    """The case is already as the action wants it (a second click): nothing to write."""


@dataclass(frozen=True, slots=True)
class Actor:
    """The member of staff acting, as their chat platform names them."""

    id: str
    name: str | None = None
    channel: str = "slack"

    @property
    def label(self) -> str:
        """What the audit trail shows: stable id first, display name for people."""
        who = f"{self.channel}:{self.id}"
        return f"{who} ({self.name})"[:200] if self.name else who


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What an action did, for the officer's confirmation and for refreshing cards."""

    action: str
    case_ref: str
    case_id: int
    done: bool
    message: str
    replies: int = 0


Work = Callable[[Session, CaseRow, datetime], tuple[str, int]]


def _triage_of(row: InboundRow, case: CaseRow) -> Triage:
    """The stored triage record as a domain object (replies need its personal-data spans)."""
    data = row.triage or {}
    spans = []
    for raw in data.get("pii", []) or []:
        try:
            spans.append(PiiSpan(int(raw["start"]), int(raw["end"]), PiiType(raw["type"])))
        except (KeyError, ValueError, TypeError):
            continue
    try:
        route = Route(data.get("route") or case.route)
    except ValueError:
        route = Route(case.route)
    flags = frozenset(Flag(f) for f in data.get("flags", []) if f in Flag._value2member_map_)
    return Triage(route=route, confidence=float(data.get("confidence") or 0.0), flags=flags,
                  pii=tuple(spans))


class StaffActions:
    """The actions staff take from the triage queue, each one transaction."""

    def __init__(self, db: Database, profile: PolicyProfile, *, mail_domain: str,
                 clock: Callable[[], datetime] | None = None,
                 give_up_after: timedelta = timedelta(hours=48)) -> None:
        self.db = db
        self.profile = profile
        self.calendar = WorkingCalendar(profile.nation)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.outgoing = Outgoing(profile, mail_domain, give_up_after)

    # -- the frame every action runs in ---------------------------------------------------

    def _run(self, action: str, ref: str, actor: Actor, key: str, work: Work) -> ActionResult:
        now = self.clock()
        try:
            with self.db.transaction() as session:
                case = case_store.load_case(session, ref)
                if case is None:
                    raise ActionRefused(f"There is no case {ref}.")
                if not staff_refs.claim_action(session, actor.channel, f"{action}:{key}",
                                               case.id, now,
                                               {"action": action, "actor": actor.id}):
                    return ActionResult(action, case.ref, case.id, False,
                                        f"{case.ref}: this {action} was already recorded.")
                message, replies = work(session, case, now)
                result = ActionResult(action, case.ref, case.id, True, message, replies)
        except _Unchanged as unchanged:  # rolled back: nothing was written, not even the key
            return ActionResult(action, ref.upper(), 0, False, str(unchanged))
        log.info("staff action=%s case=%s actor=%s replies=%s", action, result.case_ref,
                 actor.id, replies)
        return result

    def _event(self, session: Session, case: CaseRow, now: datetime, actor: Actor, action: str,
               reason: str, detail: dict[str, Any] | None = None) -> None:
        case_store.add_event(session, case.id, now, actor.label, action, reason,
                             {**(detail or {}), "staff": actor.id, "staff_name": actor.name})

    def _message_row(self, session: Session, case: CaseRow,
                     inbound_id: int | None) -> InboundRow | None:
        """The customer message an action answers: the card's own, else the case's latest."""
        if inbound_id is not None:
            row = session.get(InboundRow, inbound_id)
            if row is not None and row.case_id == case.id:
                return row
        return session.scalar(
            select(InboundRow).where(InboundRow.case_id == case.id, InboundRow.automated.is_(None))
            .order_by(InboundRow.id.desc()).limit(1))

    def _reply(self, session: Session, case: CaseRow, row: InboundRow | None,
               decision: Decision, now: datetime, *, key: str | None = None,
               extra: dict[str, Any] | None = None) -> int:
        if row is None or not case.reply_to or decision.reply_template is None:
            return 0
        session.expire(case, ["stages"])
        return self.outgoing.queue_replies(session, row, row_to_message(row),
                                           _triage_of(row, case), decision, case, now,
                                           case.reply_to, key=key, extra=extra, automatic=False)

    def _today(self, now: datetime) -> date:
        return self.calendar.local_date(now)

    @staticmethod
    def _open_stage(case: CaseRow) -> StageRow | None:
        stage = case.stages[-1] if case.stages else None
        return stage if stage is not None and stage.closed_at is None else None

    # -- confirm and change route ------------------------------------------------------------

    def confirm(self, ref: str, actor: Actor, key: str,
                inbound_id: int | None = None) -> ActionResult:
        """Staff agree with triage: a case waiting for review gets what its route implies."""

        def work(session: Session, case: CaseRow, now: datetime) -> tuple[str, int]:
            row = self._message_row(session, case, inbound_id)
            self._label(session, case, row, case.route, case.route, actor, now)
            replies = 0
            if case.status == "review":
                replies = self._apply_route(session, case, row, Route(case.route), actor, now)
            case.needs_staff = False
            self._event(session, case, now, actor, "confirmed", f"route {case.route} confirmed")
            return f"{case.ref}: {case.route.replace('_', ' ')} confirmed.", replies

        return self._run("confirm", ref, actor, key, work)

    def change_route(self, ref: str, route: Route, actor: Actor, key: str,
                     inbound_id: int | None = None) -> ActionResult:
        """Correct the route; the customer gets the reply the new route calls for."""

        def work(session: Session, case: CaseRow, now: datetime) -> tuple[str, int]:
            old = case.route
            if old == route.value and case.status != "review":
                raise _Unchanged(f"{case.ref} is already {route.value.replace('_', ' ')}.")
            row = self._message_row(session, case, inbound_id)
            self._label(session, case, row, old, route.value, actor, now)
            self._event(session, case, now, actor, "route_changed",
                        f"route changed from {old} to {route.value}",
                        {"old_route": old, "new_route": route.value})
            case.route = route.value
            replies = self._apply_route(session, case, row, route, actor, now)
            case.needs_staff = route == Route.ESCALATION and case.current_stage is None
            return (f"{case.ref}: route changed from {old.replace('_', ' ')} to "
                    f"{route.value.replace('_', ' ')}.", replies)

        return self._run("route", ref, actor, key, work)

    def _label(self, session: Session, case: CaseRow, row: InboundRow | None, old: str,
               new: str, actor: Actor, now: datetime) -> None:
        feedback_store.record_label(session, inbound_id=row.id if row else None,
                                    case_id=case.id, at=now, actor=actor.label, old_route=old,
                                    new_route=new, flags=list(case.flags or []))

    def _apply_route(self, session: Session, case: CaseRow, row: InboundRow | None,
                     route: Route, actor: Actor, now: datetime) -> int:
        """Carry out what a staff-chosen route means for the case and the customer."""
        reason = f"route set by {actor.label}"
        if route == Route.COMPLAINT:
            return self._open_complaint(session, case, row, actor, now)
        if route == Route.ESCALATION and case.current_stage == StageName.STAGE_1.value:
            return self._escalate(session, case, row, actor, now)
        self._close_stage_as_reclassified(session, case, now, route)
        exclusion = self.profile.exclusion_for(route)
        if route == Route.DISSATISFACTION:
            case.status = "recorded"
            decision = Decision(DecisionKind.RECORD_DISSATISFACTION, route, (reason,),
                                reply_template="dissatisfaction")
        elif exclusion is not None:
            case.status = "declined"
            decision = Decision(DecisionKind.DECLINE, route, (reason,), reply_template="decline")
        elif route == Route.SERVICE_REQUEST:
            case.status = "recorded"
            decision = Decision(DecisionKind.RECORD_SERVICE_REQUEST, route, (reason,),
                                reply_template="service_request")
        elif route in (Route.COMPLIMENT, Route.COMMENT):
            case.status = "recorded"
            decision = Decision(DecisionKind.ACKNOWLEDGE_FEEDBACK, route, (reason,),
                                reply_template="feedback")
        else:
            # Nothing in the policy says what to send for this route: record it, send nothing.
            case.status = "review" if route == Route.ESCALATION else "recorded"
            return 0
        return self._reply(session, case, row, decision, now)

    def _close_stage_as_reclassified(self, session: Session, case: CaseRow, now: datetime,
                                     route: Route) -> None:
        stage = self._open_stage(case)
        if stage is not None:
            stage.closed_at = now
            stage.outcome = RECLASSIFIED
            case_store.add_event(session, case.id, now, "intake", "stage_closed",
                                 f"{stage.name} closed: reclassified as {route.value}",
                                 {"stage": stage.name, "outcome": RECLASSIFIED})

    def _open_complaint(self, session: Session, case: CaseRow, row: InboundRow | None,
                        actor: Actor, now: datetime) -> int:
        case.status = "open"
        case.closed_at = None
        stage1 = next((s for s in case.stages if s.name == StageName.STAGE_1.value), None)
        if stage1 is not None and stage1.outcome == RECLASSIFIED:
            stage1.closed_at = None
            stage1.outcome = None
            self._event(session, case, now, actor, "stage_reopened", "stage 1 reopened")
            return 0
        if stage1 is not None:
            return 0
        flags = frozenset(Flag(f) for f in case.flags or [] if f in Flag._value2member_map_)
        officer = (Officer(case.officer_name, case.officer_title)
                   if case.officer_name and case.officer_title
                   else officer_for(self.profile, flags, StageName.STAGE_1))
        received = self.calendar.local_date(row.received_at if row is not None else now)
        specs = deadlines.stage1(self.profile, self.calendar, received, self._today(now))
        case_store.add_stage(session, case, StageName.STAGE_1.value, now, officer.name,
                             officer.title, specs)
        self._event(session, case, now, actor, "stage_opened",
                    f"stage 1 opened; handled by {officer.name}, {officer.title}",
                    {"stage": "stage_1", "deadlines": _specs_json(specs)})
        decision = Decision(DecisionKind.OPEN_CASE, Route.COMPLAINT,
                            (f"made a formal complaint by {actor.label}",),
                            stage=StageName.STAGE_1, reply_template="acknowledgement",
                            officer=officer)
        return self._reply(session, case, row, decision, now)

    # -- assign ------------------------------------------------------------------------------

    def assign(self, ref: str, officer: Officer, actor: Actor, key: str,
               assignee: str | None = None) -> ActionResult:
        """Name the handling officer (Calico's acknowledgement must show name and title)."""

        def work(session: Session, case: CaseRow, now: datetime) -> tuple[str, int]:
            if case.current_stage == StageName.STAGE_2.value:
                stage1 = next((s for s in case.stages if s.name == StageName.STAGE_1.value),
                              None)
                if stage1 is not None and stage1.officer_name == officer.name:
                    raise ActionRefused(f"{officer.name} handled stage 1 of {case.ref}; the "
                                        "stage 2 review must be done by a different person "
                                        "(Code 6.11).")
            case.officer_name, case.officer_title = officer.name, officer.title
            stage = self._open_stage(case)
            if stage is not None:
                stage.officer_name, stage.officer_title = officer.name, officer.title
            if assignee:
                staff_refs.set_assignee(session, actor.channel, assignee, case.id, now)
            self._event(session, case, now, actor, "assigned",
                        f"assigned to {officer.name}, {officer.title}",
                        {"officer": {"name": officer.name, "title": officer.title},
                         "assignee": assignee})
            return f"{case.ref}: assigned to {officer.name}, {officer.title}.", 0

        return self._run("assign", ref, actor, key, work)

    # -- escalate ----------------------------------------------------------------------------

    def escalate(self, ref: str, actor: Actor, key: str) -> ActionResult:
        """Open stage 2 (Code 6.11: acknowledged in N working days, a different person)."""

        def work(session: Session, case: CaseRow, now: datetime) -> tuple[str, int]:
            if case.current_stage == StageName.STAGE_2.value:
                raise _Unchanged(f"{case.ref} is already at stage 2.")
            if case.route != Route.COMPLAINT.value or case.current_stage is None:
                raise ActionRefused(f"{case.ref} is not a complaint at stage 1 "
                                    f"(route {case.route}); change its route first.")
            replies = self._escalate(session, case, self._message_row(session, case, None),
                                     actor, now)
            return f"{case.ref}: escalated to stage 2.", replies

        return self._run("escalate", ref, actor, key, work)

    def _escalate(self, session: Session, case: CaseRow, row: InboundRow | None, actor: Actor,
                  now: datetime) -> int:
        stage1 = self._open_stage(case)
        if stage1 is not None:
            stage1.closed_at = now
        flags = frozenset(Flag(f) for f in case.flags or [] if f in Flag._value2member_map_)
        officer = officer_for(self.profile, flags, StageName.STAGE_2)
        today = self._today(now)
        specs = deadlines.stage2(self.profile, self.calendar, today, today)
        case_store.add_stage(session, case, StageName.STAGE_2.value, now, officer.name,
                             officer.title, specs)
        case.route = Route.COMPLAINT.value
        case.status = "open"
        case.closed_at = None
        self._event(session, case, now, actor, "escalated",
                    f"escalated to stage 2; reviewed by {officer.name}, {officer.title}",
                    {"stage": "stage_2", "deadlines": _specs_json(specs)})
        decision = Decision(DecisionKind.ESCALATE, Route.ESCALATION,
                            (f"escalated by {actor.label}",), stage=StageName.STAGE_2,
                            reply_template="escalation_ack", officer=officer)
        return self._reply(session, case, row, decision, now)

    # -- extend ------------------------------------------------------------------------------

    def extension_left(self, ref: str) -> tuple[int, int]:
        """(working days still available, policy maximum) for the current stage's response."""
        with self.db.transaction() as session:
            case = case_store.load_case(session, ref)
            if case is None:
                raise ActionRefused(f"There is no case {ref}.")
            stage = self._open_stage(case)
            if stage is None:
                raise ActionRefused(f"{case.ref} has no open complaint stage to extend.")
            cap = self._extension_cap(stage)
            respond = self._respond_deadline(stage)
            return max(0, cap - (respond.extended_by if respond else 0)), cap

    def _extension_cap(self, stage: StageRow) -> int:
        t = self.profile.timescales
        return (t.stage2_extension_max_wd if stage.name == StageName.STAGE_2.value
                else t.stage1_extension_max_wd)

    @staticmethod
    def _respond_deadline(stage: StageRow) -> DeadlineRow | None:
        return next((d for d in stage.deadlines if d.kind == DeadlineKind.RESPOND.value), None)

    def extend(self, ref: str, days: int, reason: str, actor: Actor, key: str) -> ActionResult:
        """Extend the response deadline, with a reason, within the policy's maximum (6.4)."""

        def work(session: Session, case: CaseRow, now: datetime) -> tuple[str, int]:
            stage = self._open_stage(case)
            respond = self._respond_deadline(stage) if stage is not None else None
            if stage is None or respond is None:
                raise ActionRefused(f"{case.ref} has no open response deadline to extend.")
            cap = self._extension_cap(stage)
            left = cap - respond.extended_by
            why = reason.strip()
            if not why:
                raise ActionRefused("An extension needs a reason the customer will be told.")
            if days < 1:
                raise ActionRefused("Extend by at least 1 working day.")
            if left <= 0:
                raise ActionRefused(f"{case.ref} is already extended by the policy maximum of "
                                    f"{cap} working days.")
            if days > left:
                raise ActionRefused(f"At most {left} more working day(s): the policy maximum "
                                    f"extension is {cap} working days.")
            old_due = respond.due
            respond.extended_by += days
            respond.due = self.calendar.add_working_days(
                respond.start, respond.working_days + respond.extended_by)
            respond.extension_reason = "; ".join(
                p for p in (respond.extension_reason, why) if p)
            self._event(session, case, now, actor, "deadline_extended",
                        f"{stage.name} response extended by {days} working days: {why}",
                        {"stage": stage.name, "days": days, "old_due": old_due.isoformat(),
                         "new_due": respond.due.isoformat(), "reason": why})
            decision = Decision(DecisionKind.THREAD_TO_CASE, Route(case.route),
                                (f"extended by {actor.label}",), reply_template="extension")
            replies = self._reply(
                session, case, self._message_row(session, case, None), decision, now,
                key=f"extension:{respond.id}:{respond.extended_by}",
                extra={"extension_days": days, "extension_reason": why,
                       "new_due": respond.due.strftime("%A %d %B %Y")})
            return (f"{case.ref}: response now due {respond.due:%a %d %b %Y} "
                    f"(+{days} working days).", replies)

        return self._run("extend", ref, actor, key, work)

    # -- close -------------------------------------------------------------------------------

    def close(self, ref: str, outcome: str, reasons: str, remedy: str, learning: str,
              actor: Actor, key: str) -> ActionResult:
        """Close the current stage with its outcome; stage 1 opens the escalation window."""

        def work(session: Session, case: CaseRow, now: datetime) -> tuple[str, int]:
            if outcome not in OUTCOMES:
                raise ActionRefused(f"Outcome must be one of {', '.join(OUTCOMES)}.")
            stage = self._open_stage(case)
            if stage is None:
                if case.status == "closed":
                    raise _Unchanged(f"{case.ref} is already closed.")
                if case.stages:
                    raise ActionRefused(f"{case.ref} has no open stage to close.")
                case.status, case.closed_at, case.needs_staff = "closed", now, False
                self._event(session, case, now, actor, "closed",
                            f"record closed: {OUTCOMES[outcome]}", {"outcome": outcome})
                return f"{case.ref}: record closed.", 0
            today = self._today(now)
            stage.closed_at = now
            stage.outcome = outcome
            respond = self._respond_deadline(stage)
            if respond is not None and respond.met_at is None:
                respond.met_at = now
            case.status, case.closed_at, case.needs_staff = "closed", now, False
            detail: dict[str, Any] = {"stage": stage.name, "outcome": outcome,
                                      "reasons": reasons, "remedy": remedy,
                                      "learning": learning}
            escalate_by = ""
            if stage.name == StageName.STAGE_1.value:
                window = self.profile.timescales.escalation_window
                until = deadlines.escalation_open_until(self.profile, self.calendar, today)
                wd = (window.amount if window.unit == "working_days"
                      else self.calendar.working_days_between(today, until))
                session.add(DeadlineRow(stage_id=stage.id,
                                        kind=DeadlineKind.ESCALATION_WINDOW.value, start=today,
                                        due=until, working_days=wd))
                detail["escalation_open_until"] = until.isoformat()
                escalate_by = until.strftime("%A %d %B %Y")
            self._event(session, case, now, actor, "stage_closed",
                        f"{stage.name} closed: {OUTCOMES[outcome]}", detail)
            template = ("stage2_response" if stage.name == StageName.STAGE_2.value
                        else "stage1_response")
            decision = Decision(DecisionKind.THREAD_TO_CASE, Route.COMPLAINT,
                                (f"closed by {actor.label}",), reply_template=template)
            replies = self._reply(
                session, case, self._message_row(session, case, None), decision, now,
                key=f"outcome:{stage.id}",
                extra={"outcome_label": OUTCOMES[outcome], "reasons": reasons.strip(),
                       "remedy": remedy.strip(), "learning": learning.strip(),
                       "escalate_by": escalate_by})
            closing = f"{case.ref}: {stage.name.replace('_', ' ')} closed, {OUTCOMES[outcome]}."
            if escalate_by:
                closing += f" Escalation window open until {until:%a %d %b %Y}."
            return closing, replies

        return self._run("close", ref, actor, key, work)


def _specs_json(specs: list[deadlines.DeadlineSpec]) -> list[dict[str, Any]]:
    return [{"kind": k, "start": s.isoformat(), "due": d.isoformat(), "working_days": n}
            for k, s, d, n in specs]
