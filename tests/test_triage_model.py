"""The shipped model loads and triages realistic messages it has never seen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from intake.profiles import load_profile
from models import Channel, InboundMessage, PolicyProfile
from models.policy import TriageSettings
from models.vocabulary import Flag, Route
from triage import triage_message
from triage.api import triage_batch
from triage.store import load_model

RECEIVED = datetime(2026, 11, 16, 10, 30, tzinfo=UTC)

# Written for this test; none of these lines is in the training data.
UNSEEN: list[tuple[str, Channel, Route]] = [
    ("Third visit booked for the bathroom extractor and for the third time no one showed up. "
     "I took unpaid leave each time. I want to know who is going to pay me back for those days.",
     Channel.EMAIL, Route.COMPLAINT),
    ("Hi, the light in my hallway has stopped working, I think the fitting has gone. Could you "
     "book an electrician please? Any weekday morning suits.", Channel.EMAIL,
     Route.SERVICE_REQUEST),
    ("people in number 14 have had a party every night this week, music pounding until 4am and "
     "bottles thrown in the garden. can you do something", Channel.TELEGRAM, Route.ASB),
    ("Dear Sirs, we are instructed by your tenant Mr Osei in a housing disrepair claim and "
     "enclose our letter of claim under the Pre-Action Protocol for Housing Conditions Claims.",
     Channel.EMAIL, Route.LEGAL),
    ("I received your stage 1 response but it does not deal with the mould at all. Please "
     "escalate my complaint to stage 2 so that someone else reviews it.", Channel.EMAIL,
     Route.ESCALATION),
    ("Just want to say a massive thank you to Tariq who fixed our boiler on Saturday. Polite, "
     "quick and tidied up after himself. Brilliant.", Channel.SOCIAL, Route.COMPLIMENT),
    ("Congratulations! You have been selected for an exclusive crypto investment opportunity. "
     "Click the link to claim your bonus.", Channel.EMAIL, Route.OTHER),
]


@pytest.fixture(scope="module")
def hos() -> PolicyProfile:
    return load_profile("hos-2024")


def _message(text: str, channel: Channel = Channel.EMAIL, subject: str | None = None
             ) -> InboundMessage:
    return InboundMessage(channel=channel, external_id="t", received_at=RECEIVED, text=text,
                          subject=subject, public=channel is Channel.SOCIAL)


def test_the_shipped_model_loads_once_per_process() -> None:
    # How fast it loads is measured by bench/triage.py, not asserted here.
    model = load_model()
    assert model is not None, "triage/model/ must ship a trained model"
    assert load_model() is model
    assert set(model.route_labels) >= {Route.COMPLAINT, Route.SERVICE_REQUEST, Route.ASB}
    assert Route.OUT_OF_TIME not in model.route_labels  # decided by policy, not learnt
    assert model.version.startswith(("lr-", "svm-"))


@pytest.mark.parametrize(("text", "channel", "route"), UNSEEN)
def test_unseen_messages_get_the_right_route(hos: PolicyProfile, text: str, channel: Channel,
                                             route: Route) -> None:
    result = triage_message(_message(text, channel), hos)
    assert result.route is route, result.reasons
    assert 0.0 <= result.confidence <= 1.0
    assert result.reasons and result.reasons[0].startswith(route.value.replace("_", " "))


def test_flags_are_detected_independently_of_the_route(hos: PolicyProfile) -> None:
    text = ("I'm writing for my mum who is 84. Her heating has been off for a week, the flat is "
            "freezing and she has a chest infection. Can someone come today please?")
    result = triage_message(_message(text), hos)
    assert Flag.HEALTH_SAFETY in result.flags
    assert Flag.THIRD_PARTY in result.flags
    assert any(r.startswith("health_safety") for r in result.reasons)


def test_abusive_language_is_flagged(hos: PolicyProfile) -> None:
    text = ("you useless bunch of f***ing clowns, fix my door or I'll come down there and sort "
            "you out")
    assert Flag.ABUSIVE in triage_message(_message(text, Channel.SOCIAL), hos).flags


def test_the_word_complaint_does_not_decide_the_route(hos: PolicyProfile) -> None:
    request = ("My kitchen tap has started dripping. Could you book a plumber to look at it? "
               "I am in most mornings.")
    plain = triage_message(_message(request, subject="Kitchen tap"), hos)
    worded = triage_message(_message("Complaint. " + request, subject="Complaint kitchen tap"),
                            hos)
    assert plain.route is worded.route is Route.SERVICE_REQUEST
    assert plain.scores == worded.scores


def test_needs_review_follows_the_profile_threshold(hos: PolicyProfile) -> None:
    text = "Will there be a meeting about the new bins?"
    result = triage_message(_message(text), hos)
    strict = hos.model_copy(update={"triage": TriageSettings(review_threshold=1.0)})
    lenient = hos.model_copy(update={"triage": TriageSettings(review_threshold=0.0)})
    assert triage_message(_message(text), strict).needs_review
    assert not triage_message(_message(text), lenient).needs_review
    assert result.needs_review is (result.confidence < hos.triage.review_threshold)


def test_batch_equals_one_by_one_and_is_pure(hos: PolicyProfile) -> None:
    messages = [_message(text, channel) for text, channel, _ in UNSEEN]
    batch = triage_batch(messages, hos)
    single = [triage_message(m, hos) for m in messages]
    assert [b.as_json("x") for b in batch] == [s.as_json("x") for s in single]
    assert triage_batch(messages, hos) == batch


def test_output_line_matches_the_interface(hos: PolicyProfile) -> None:
    text = "Call me on 07700 900123 about the leak, it started on the 3rd and is still dripping."
    line = triage_message(_message(text), hos).as_json("m1")
    assert set(line) == {"id", "route", "confidence", "flags", "pii", "incident_date",
                         "needs_review", "reasons"}
    assert line["incident_date"] == "2026-11-03"
    assert any(span["type"] == "PHONE" for span in line["pii"])
