"""Policy decisions that override the content route, from dates, flags and the profile.

The classifier says what a message is about; the landlord's profile says what to do with it.
Out of time (Code 2.2/2.3): the issue started longer ago than `out_of_time.window_months`, is
not still going on, and carries none of `out_of_time.exempt_flags`. Only complaints and
dissatisfaction can be out of time: a first request for a repair is never refused for age, and
escalations, ASB and legal matters have their own routes. Some landlords (whg) make every
health & safety matter a formal complaint (`triage.health_safety_always_complaint`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models.policy import PolicyProfile
from models.vocabulary import Flag, Route
from triage.dates import DateMention, shift_months
from triage.recurrence import Recurrence

_CAN_BE_OUT_OF_TIME = frozenset({Route.COMPLAINT, Route.DISSATISFACTION})
_HS_BECOMES_COMPLAINT = frozenset({Route.DISSATISFACTION, Route.SERVICE_REQUEST})


@dataclass(frozen=True, slots=True)
class PolicyOutcome:
    """The final route and the reasons the policy adds."""

    route: Route
    reasons: tuple[str, ...]


def is_out_of_time(incident: date, received: date, window_months: int) -> bool:
    """True when `incident` is more than `window_months` whole months before `received`."""
    return incident < shift_months(received, -window_months)


def apply_policy(
    content: Route,
    incident: DateMention | None,
    recurrence: Recurrence,
    flags: frozenset[Flag],
    received: date,
    profile: PolicyProfile,
    possible: frozenset[Flag] = frozenset(),
) -> PolicyOutcome:
    """Apply the out-of-time window and the health & safety rule of `profile`.

    `possible` are flags with some evidence that fell short of raising them (a model score
    above half its cut-off). They do not flag the message, but they
    do stop it being excluded as out of time: refusing an old matter that had a safety or
    safeguarding side is the costlier mistake, and staff still see the dates in the reasons.
    """
    window = profile.out_of_time.window_months
    exempt = (flags | possible) & frozenset(profile.out_of_time.exempt_flags)
    if content in _CAN_BE_OUT_OF_TIME and incident is not None and is_out_of_time(
        incident.value, received, window
    ):
        when = f"'{incident.text}' ({incident.value.isoformat()})"
        if incident.kind == "ongoing":
            return PolicyOutcome(content, (
                f"not out of time: '{incident.text}' runs up to the message, so the problem "
                f"started {incident.value.isoformat()} and is still going on",))
        if recurrence.recurring:
            cues = ", ".join(f"'{c}'" for c in recurrence.ongoing_cues[:3])
            return PolicyOutcome(content, (
                f"not out of time: the problem started {when}, more than {window} months ago, "
                f"but it is still going on ({cues})",))
        if exempt:
            names = ", ".join(sorted(f.value.replace("_", " ") for f in exempt))
            maybe = "" if exempt & flags else "may involve "
            return PolicyOutcome(content, (
                f"not out of time: the problem started {when}, more than {window} months ago, "
                f"but it {maybe}{names} and such matters are never out of time under "
                f"{profile.name}",))
        return PolicyOutcome(Route.OUT_OF_TIME, (
            f"out of time: the problem happened {when}, more than {window} months before the "
            f"message and it has ended (window {window} months under {profile.name})",))
    if (profile.triage.health_safety_always_complaint and Flag.HEALTH_SAFETY in flags
            and content in _HS_BECOMES_COMPLAINT):
        return PolicyOutcome(Route.COMPLAINT, (
            f"complaint: {profile.name} treats every health & safety matter as a formal "
            f"complaint (the message reads as {content.value.replace('_', ' ')})",))
    return PolicyOutcome(content, ())
