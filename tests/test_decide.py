"""decide(): every branch of the Code's rules, as a pure function of triage + profile + case."""

from __future__ import annotations

from datetime import date

import pytest

from intake.decide import ThreadedCase, decide, officer_for
from intake.profiles import load_profile
from models import DecisionKind, Flag, Route, StageName, Triage

TODAY = date(2026, 11, 23)
HOS = load_profile("hos-2024")


def tri(route: Route, confidence: float = 0.9, flags: frozenset[Flag] = frozenset(),
        review: bool = False) -> Triage:
    return Triage(route=route, confidence=confidence, flags=flags, needs_review=review)


def case(route: Route = Route.COMPLAINT, status: str = "open", stage1_closed: bool = False,
         until: date | None = None) -> ThreadedCase:
    return ThreadedCase(ref="CMP-2026-00007", route=route, status=status,
                        current_stage="stage_1", stage1_closed=stage1_closed,
                        closed_on=TODAY if stage1_closed else None, escalation_open_until=until)


@pytest.mark.parametrize(
    ("route", "kind", "template"),
    [
        (Route.COMPLAINT, DecisionKind.OPEN_CASE, "acknowledgement"),
        (Route.DISSATISFACTION, DecisionKind.RECORD_DISSATISFACTION, "dissatisfaction"),
        (Route.SERVICE_REQUEST, DecisionKind.RECORD_SERVICE_REQUEST, "service_request"),
        (Route.ASB, DecisionKind.DECLINE, "decline"),
        (Route.LEGAL, DecisionKind.DECLINE, "decline"),
        (Route.OUT_OF_TIME, DecisionKind.DECLINE, "decline"),
        (Route.COMPLIMENT, DecisionKind.ACKNOWLEDGE_FEEDBACK, "feedback"),
        (Route.COMMENT, DecisionKind.ACKNOWLEDGE_FEEDBACK, "feedback"),
        (Route.ESCALATION, DecisionKind.REVIEW, "received"),
        (Route.OTHER, DecisionKind.REVIEW, None),
    ],
)
def test_new_message_routes(route: Route, kind: DecisionKind, template: str | None) -> None:
    decision = decide(tri(route), HOS, automated=None, thread=None, today=TODAY)
    assert decision.kind == kind and decision.reply_template == template
    assert decision.reasons


def test_automated_is_ignored_whatever_the_route() -> None:
    for route in Route:
        d = decide(tri(route), HOS, automated="Auto-Submitted: auto-replied", thread=None,
                   today=TODAY)
        assert d.kind == DecisionKind.IGNORE and d.reply_template is None


def test_low_confidence_never_declines_but_still_opens_complaints() -> None:
    for route in (Route.ASB, Route.LEGAL, Route.OUT_OF_TIME, Route.DISSATISFACTION):
        d = decide(tri(route, 0.3, review=True), HOS, automated=None, thread=None, today=TODAY)
        assert d.kind == DecisionKind.REVIEW and d.needs_staff
    d = decide(tri(Route.COMPLAINT, 0.3, review=True), HOS, automated=None, thread=None,
               today=TODAY)
    assert d.kind == DecisionKind.OPEN_CASE and d.needs_staff


def test_profile_without_exclusion_sends_to_staff() -> None:
    settle = load_profile("settle")
    assert settle.exclusion_for(Route.ASB) is None
    d = decide(tri(Route.ASB), settle, automated=None, thread=None, today=TODAY)
    assert d.kind == DecisionKind.REVIEW and d.needs_staff


def test_escalation_after_stage1_response() -> None:
    d = decide(tri(Route.ESCALATION), HOS, automated=None,
               thread=case(stage1_closed=True, until=date(2027, 1, 1)), today=TODAY)
    assert d.kind == DecisionKind.ESCALATE and d.stage == StageName.STAGE_2
    assert d.officer is not None and d.officer.name == HOS.assignment.stage2.name


def test_escalation_before_response_or_after_window_goes_to_staff() -> None:
    early = decide(tri(Route.ESCALATION), HOS, automated=None, thread=case(), today=TODAY)
    assert early.kind == DecisionKind.THREAD_TO_CASE and early.needs_staff
    late = decide(tri(Route.ESCALATION), HOS, automated=None,
                  thread=case(stage1_closed=True, until=date(2026, 11, 1)), today=TODAY)
    assert late.kind == DecisionKind.THREAD_TO_CASE and late.needs_staff


def test_customer_intent_outranks_triage() -> None:
    record = case(route=Route.DISSATISFACTION, status="recorded")
    d = decide(tri(Route.COMMENT), HOS, automated=None, thread=record, today=TODAY,
               intent="formal_complaint")
    assert d.kind == DecisionKind.OPEN_CASE and d.case_ref == record.ref
    plain = decide(tri(Route.COMMENT), HOS, automated=None, thread=record, today=TODAY)
    assert plain.kind == DecisionKind.THREAD_TO_CASE


def test_closed_case_reply_offers_escalation() -> None:
    closed = case(status="closed", stage1_closed=True, until=date(2026, 12, 20))
    d = decide(tri(Route.COMPLAINT), HOS, automated=None, thread=closed, today=TODAY)
    assert d.kind == DecisionKind.THREAD_TO_CASE and d.reply_template == "escalation_offer"


def test_empty_text_goes_to_staff() -> None:
    d = decide(tri(Route.COMMENT), HOS, automated=None, thread=None, today=TODAY,
               empty_text=True)
    assert d.kind == DecisionKind.REVIEW and d.needs_staff


def test_officer_by_flag_and_stage() -> None:
    profile = HOS.model_copy(update={"assignment": HOS.assignment.model_copy(update={
        "by_flag": {Flag.SAFEGUARDING: HOS.assignment.stage2.model_copy(
            update={"name": "Sam Lee", "title": "Safeguarding Lead"})}})})
    assert officer_for(profile, frozenset({Flag.SAFEGUARDING}), StageName.STAGE_1).name == "Sam Lee"
    assert officer_for(profile, frozenset(), StageName.STAGE_1).name == HOS.assignment.default.name
    assert officer_for(profile, frozenset({Flag.SAFEGUARDING}),
                       StageName.STAGE_2).name == HOS.assignment.stage2.name
