"""Out of time is a policy decision from dates, recurrence, flags and the profile's window."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from intake.profiles import load_profile
from models import Channel, InboundMessage, PolicyProfile
from models.policy import OutOfTime, TriageSettings
from models.vocabulary import Flag, Route
from triage import triage_message
from triage.dates import DateMention
from triage.policy import apply_policy, is_out_of_time
from triage.recurrence import Recurrence

RECEIVED = date(2026, 11, 2)
ENDED = Recurrence(False, (), ("fine now",))
ONGOING = Recurrence(True, ("still",), ())


@pytest.fixture(scope="module")
def hos() -> PolicyProfile:
    return load_profile("hos-2024")


def window(profile: PolicyProfile, months: int, exempt: list[Flag] | None = None
           ) -> PolicyProfile:
    """A landlord with a different out-of-time window (as settle/hpg/whg: 6, paradigm: 3)."""
    rule = OutOfTime(window_months=months,
                     exempt_flags=[Flag.HEALTH_SAFETY, Flag.SAFEGUARDING]
                     if exempt is None else exempt)
    return profile.model_copy(update={"out_of_time": rule})


def mention(value: date) -> DateMention:
    return DateMention(value.isoformat(), 0, 10, value, "point")


def test_window_boundary_is_whole_months() -> None:
    assert is_out_of_time(date(2025, 11, 1), RECEIVED, 12)
    assert not is_out_of_time(date(2025, 11, 2), RECEIVED, 12)
    assert not is_out_of_time(date(2026, 8, 2), RECEIVED, 3)
    assert is_out_of_time(date(2026, 8, 1), RECEIVED, 3)


@pytest.mark.parametrize(
    ("months", "incident", "expected"),
    [
        (12, date(2025, 8, 1), Route.OUT_OF_TIME),    # 15 months: out of time under hos-2024
        (12, date(2025, 12, 1), Route.COMPLAINT),     # 11 months: in time under hos-2024
        (6, date(2025, 12, 1), Route.OUT_OF_TIME),    # ... but out of time under a 6-month policy
        (3, date(2026, 6, 1), Route.OUT_OF_TIME),     # 5 months: out of time under paradigm's 3
        (6, date(2026, 6, 1), Route.COMPLAINT),
    ],
)
def test_out_of_time_follows_the_profile_window(hos: PolicyProfile, months: int, incident: date,
                                                expected: Route) -> None:
    profile = window(hos, months)
    outcome = apply_policy(Route.COMPLAINT, mention(incident), ENDED, frozenset(), RECEIVED,
                           profile)
    assert outcome.route is expected
    if expected is Route.OUT_OF_TIME:
        assert f"{months} months" in outcome.reasons[0]


def test_recurring_problems_are_never_out_of_time(hos: PolicyProfile) -> None:
    outcome = apply_policy(Route.COMPLAINT, mention(date(2023, 1, 1)), ONGOING, frozenset(),
                           RECEIVED, hos)
    assert outcome.route is Route.COMPLAINT
    assert "still going on" in outcome.reasons[0]


def test_exempt_flags_keep_old_matters_in_time(hos: PolicyProfile) -> None:
    old = mention(date(2023, 1, 1))
    for flag in (Flag.HEALTH_SAFETY, Flag.SAFEGUARDING):
        outcome = apply_policy(Route.COMPLAINT, old, ENDED, frozenset({flag}), RECEIVED, hos)
        assert outcome.route is Route.COMPLAINT
    # A profile without exemptions declines the same matter as out of time.
    strict = window(hos, 12, exempt=[])
    outcome = apply_policy(Route.COMPLAINT, old, ENDED, frozenset({Flag.HEALTH_SAFETY}),
                           RECEIVED, strict)
    assert outcome.route is Route.OUT_OF_TIME


def test_a_possible_safety_element_keeps_an_old_matter_in_time(hos: PolicyProfile) -> None:
    old = mention(date(2023, 1, 1))
    outcome = apply_policy(Route.COMPLAINT, old, ENDED, frozenset(), RECEIVED, hos,
                           possible=frozenset({Flag.HEALTH_SAFETY}))
    assert outcome.route is Route.COMPLAINT
    assert "may involve health safety" in outcome.reasons[0]
    # Evidence for a flag the profile does not exempt changes nothing.
    outcome = apply_policy(Route.COMPLAINT, old, ENDED, frozenset(), RECEIVED, hos,
                           possible=frozenset({Flag.ABUSIVE}))
    assert outcome.route is Route.OUT_OF_TIME


@pytest.mark.parametrize("text", [
    "2 years of damp and you still offer me nothing",
    "3 years waiting for the transfer you promised",
])
def test_a_duration_running_up_to_the_message_is_not_out_of_time(hos: PolicyProfile,
                                                                 text: str) -> None:
    message = InboundMessage(channel=Channel.SOCIAL, external_id="d", text=text,
                             received_at=datetime(2026, 11, 2, 9, tzinfo=UTC))
    assert triage_message(message, hos).route is not Route.OUT_OF_TIME


def test_only_complaints_and_dissatisfaction_can_be_out_of_time(hos: PolicyProfile) -> None:
    old = mention(date(2023, 1, 1))
    for route in (Route.SERVICE_REQUEST, Route.ESCALATION, Route.ASB, Route.LEGAL):
        assert apply_policy(route, old, ENDED, frozenset(), RECEIVED, hos).route is route
    assert apply_policy(Route.DISSATISFACTION, old, ENDED, frozenset(), RECEIVED,
                        hos).route is Route.OUT_OF_TIME


def test_health_safety_always_complaint_profile(hos: PolicyProfile) -> None:
    whg_like = hos.model_copy(update={"triage": TriageSettings(
        review_threshold=0.6, health_safety_always_complaint=True)})
    hs = frozenset({Flag.HEALTH_SAFETY})
    none = Recurrence(False, (), ())
    assert apply_policy(Route.SERVICE_REQUEST, None, none, hs, RECEIVED,
                        whg_like).route is Route.COMPLAINT
    assert apply_policy(Route.SERVICE_REQUEST, None, none, hs, RECEIVED,
                        hos).route is Route.SERVICE_REQUEST
    assert apply_policy(Route.SERVICE_REQUEST, None, none, frozenset(), RECEIVED,
                        whg_like).route is Route.SERVICE_REQUEST


def _message(text: str, received: datetime) -> InboundMessage:
    return InboundMessage(channel=Channel.EMAIL, external_id="t", received_at=received, text=text)


def test_end_to_end_out_of_time_depends_on_the_landlord(hos: PolicyProfile) -> None:
    text = ("In March this year your decorators left paint all over my hall carpet. I had it "
            "cleaned myself and it is fine now, but I want the cleaning cost of £80 refunded. "
            "Nobody answered my letters at the time.")
    received = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    under_hos = triage_message(_message(text, received), hos)
    under_three = triage_message(_message(text, received), window(hos, 3))
    assert under_hos.incident_date == date(2026, 3, 1)
    assert under_hos.route is not Route.OUT_OF_TIME
    assert under_three.route is Route.OUT_OF_TIME
    assert any("out of time" in r and "3 months" in r for r in under_three.reasons)


def test_end_to_end_ongoing_old_problem_stays_in_time(hos: PolicyProfile) -> None:
    text = ("The damp in my back bedroom started two years ago and it is still there. Every "
            "time it rains the wall is soaking. I have reported it again and again.")
    result = triage_message(_message(text, datetime(2026, 11, 2, tzinfo=UTC)), hos)
    assert result.recurring
    assert result.incident_date == date(2024, 11, 2)
    assert result.route is not Route.OUT_OF_TIME
