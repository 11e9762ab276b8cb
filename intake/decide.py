"""Triage + policy + the case a message threads onto -> Decision. Pure: no I/O, no clock reads.

This is the only place that turns a route into an action, so the rules of the Code live here
as readable branches over profile data (never `if landlord == ...`):
- nothing automated is ever answered (RFC 3834; invariant 2);
- a low-confidence result is never declined automatically: staff review it, the customer
  gets a holding reply, and a possible complaint is still opened so the clock is not missed;
- exclusions are declined only where the profile lists the route, with its reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from models import Decision, DecisionKind, Flag, Officer, PolicyProfile, Route, StageName, Triage

DECLINABLE = {Route.ASB, Route.LEGAL, Route.OUT_OF_TIME, Route.OTHER, Route.SERVICE_REQUEST}
FLAG_PRIORITY = (Flag.SAFEGUARDING, Flag.HEALTH_SAFETY, Flag.ABUSIVE, Flag.THIRD_PARTY)


@dataclass(frozen=True, slots=True)
class ThreadedCase:
    """What decide() needs to know about the case a message threads onto."""

    ref: str
    route: Route
    status: str
    current_stage: str | None
    stage1_closed: bool
    closed_on: date | None
    escalation_open_until: date | None


def officer_for(profile: PolicyProfile, flags: frozenset[Flag], stage: StageName) -> Officer:
    """Stage 2 always goes to the reviewer; stage 1 to a flag specialist, else the default."""
    if stage == StageName.STAGE_2:
        o = profile.assignment.stage2
        return Officer(o.name, o.title)
    for flag in FLAG_PRIORITY:
        if flag in flags and flag in profile.assignment.by_flag:
            o = profile.assignment.by_flag[flag]
            return Officer(o.name, o.title)
    o = profile.assignment.default
    return Officer(o.name, o.title)


INTENTS = {"formal_complaint": Route.COMPLAINT, "escalate": Route.ESCALATION}


def decide(triage: Triage, profile: PolicyProfile, *, automated: str | None,
           thread: ThreadedCase | None, today: date, intent: str | None = None,
           empty_text: bool = False) -> Decision:
    """Decide what to do with one triaged message.

    `intent` is an explicit choice the customer made on their channel (a "make it a formal
    complaint" button, an /escalate command) about the case in `thread`; it outranks the
    triage route, because the Code gives the customer that choice (1.3, 6.12).
    """
    if intent in INTENTS and thread is not None and not automated:
        triage = replace(triage, route=INTENTS[intent], needs_review=False,
                         reasons=(*triage.reasons, f"customer chose: {intent}"))
    route = triage.route
    flags = triage.flags
    urgent = bool(flags & {Flag.HEALTH_SAFETY, Flag.SAFEGUARDING})
    if automated:
        return Decision(DecisionKind.IGNORE, route,
                        (f"automated message ({automated}): stored, never answered",),
                        case_ref=thread.ref if thread else None)
    if thread is not None:
        return _threaded(triage, profile, thread, today, urgent)
    if empty_text:
        return Decision(DecisionKind.REVIEW, route,
                        ("the message has no readable text (attachments only, or unreadable): "
                         "staff to look at what was sent",),
                        needs_staff=True, reply_template="received")
    if route == Route.COMPLAINT:
        return _open_case(triage, profile, ("triage: formal complaint",))
    if route == Route.ESCALATION:
        return Decision(DecisionKind.REVIEW, route,
                        ("asks for a stage 2 review but names no case we can find: "
                         "staff to match",),
                        needs_staff=True, reply_template="received")
    if triage.needs_review and (route in DECLINABLE or route == Route.DISSATISFACTION):
        # Never decline, or settle for dissatisfaction, on a guess: a missed complaint is the
        # Ombudsman's most common finding. Staff decide; the customer hears from us now.
        return Decision(DecisionKind.REVIEW, route,
                        (f"low confidence ({triage.confidence:.2f}) for {route.value}: "
                         "staff to confirm before any decline",),
                        needs_staff=True, reply_template="received")
    if route == Route.DISSATISFACTION:
        return Decision(DecisionKind.RECORD_DISSATISFACTION, route,
                        (f"dissatisfaction to put right now, recorded as "
                         f"'{profile.dissatisfaction_label}'; customer offered a formal "
                         "complaint",),
                        needs_staff=urgent, reply_template="dissatisfaction")
    exclusion = profile.exclusion_for(route)
    if exclusion is not None:
        return Decision(DecisionKind.DECLINE, route,
                        (f"excluded by policy {profile.name}: {exclusion.reason}",),
                        needs_staff=True, reply_template="decline")
    if route == Route.SERVICE_REQUEST:
        return Decision(DecisionKind.RECORD_SERVICE_REQUEST, route,
                        ("service request: recorded (Code 1.4) and passed to the service team",),
                        needs_staff=urgent, reply_template="service_request")
    if route in (Route.COMPLIMENT, Route.COMMENT):
        return Decision(DecisionKind.ACKNOWLEDGE_FEEDBACK, route, (f"{route.value} recorded",),
                        needs_staff=urgent, reply_template="feedback")
    # asb/legal/out_of_time/other with no exclusion in this profile: a person decides.
    return Decision(DecisionKind.REVIEW, route,
                    (f"{route.value}: this policy lists no exclusion for it; staff to decide",),
                    needs_staff=True, reply_template=None if route == Route.OTHER else "received")


def _open_case(triage: Triage, profile: PolicyProfile, reasons: tuple[str, ...],
               case_ref: str | None = None) -> Decision:
    officer = officer_for(profile, triage.flags, StageName.STAGE_1)
    review = triage.needs_review or bool(triage.flags & {Flag.HEALTH_SAFETY, Flag.SAFEGUARDING})
    if triage.needs_review:
        reasons = (*reasons, f"low confidence ({triage.confidence:.2f}): opened so the "
                   "acknowledgement clock is met; staff to confirm")
    return Decision(DecisionKind.OPEN_CASE, Route.COMPLAINT, reasons, case_ref=case_ref,
                    stage=StageName.STAGE_1, needs_staff=review,
                    reply_template="acknowledgement", officer=officer)


def _threaded(triage: Triage, profile: PolicyProfile, thread: ThreadedCase, today: date,
              urgent: bool) -> Decision:
    route = triage.route
    if thread.route in (Route.DISSATISFACTION, Route.SERVICE_REQUEST) and route in (
        Route.COMPLAINT, Route.ESCALATION
    ):
        return _open_case(triage, profile,
                          (f"reply on {thread.ref} asks for more than the {thread.route.value} "
                           "record: opened as a formal complaint (Code 1.3/1.5)",),
                          case_ref=thread.ref)
    wants_review = route == Route.ESCALATION
    if thread.route == Route.COMPLAINT and thread.current_stage == StageName.STAGE_1.value:
        stage_done = thread.stage1_closed or thread.status == "closed"
        within = thread.escalation_open_until is None or today <= thread.escalation_open_until
        if wants_review and stage_done and within:
            officer = officer_for(profile, triage.flags, StageName.STAGE_2)
            return Decision(DecisionKind.ESCALATE, route,
                            (f"asks for the stage 1 outcome of {thread.ref} to be reviewed",),
                            case_ref=thread.ref, stage=StageName.STAGE_2, needs_staff=True,
                            reply_template="escalation_ack", officer=officer)
        if wants_review and stage_done and not within:
            return Decision(DecisionKind.THREAD_TO_CASE, route,
                            (f"escalation request after the window closed on "
                             f"{thread.escalation_open_until}: staff to decide "
                             "(no blanket refusals)",),
                            case_ref=thread.ref, needs_staff=True)
        if wants_review:
            return Decision(DecisionKind.THREAD_TO_CASE, route,
                            (f"asks to escalate {thread.ref} before the stage 1 response: "
                             "added to the case for the officer",),
                            case_ref=thread.ref, needs_staff=True)
    if thread.status == "closed" and thread.route == Route.COMPLAINT and route in (
        Route.COMPLAINT, Route.DISSATISFACTION
    ) and (thread.escalation_open_until is None or today <= thread.escalation_open_until):
        return Decision(DecisionKind.THREAD_TO_CASE, route,
                        (f"unhappy reply on closed case {thread.ref} within the escalation "
                         "window: customer offered a stage 2 review",),
                        case_ref=thread.ref, needs_staff=True, reply_template="escalation_offer")
    return Decision(DecisionKind.THREAD_TO_CASE, route,
                    (f"reply on case {thread.ref}: added to its history",),
                    case_ref=thread.ref, needs_staff=urgent or thread.status != "open")
