"""The product's fixed vocabulary: routes, flags, personal-data types and channels.

These strings are part of the public contract (`intake triage` output, labelled training lines,
Slack cards), so they are StrEnums whose values never change spelling.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """Where a message came from; replies go back the same way."""

    EMAIL = "email"
    TELEGRAM = "telegram"
    SOCIAL = "social"
    SLACK = "slack"


class Route(StrEnum):
    """Exactly one per message: what the Code says we must do with it."""

    COMPLAINT = "complaint"
    DISSATISFACTION = "dissatisfaction"
    SERVICE_REQUEST = "service_request"
    ASB = "asb"
    LEGAL = "legal"
    OUT_OF_TIME = "out_of_time"
    ESCALATION = "escalation"
    COMPLIMENT = "compliment"
    COMMENT = "comment"
    OTHER = "other"


class Flag(StrEnum):
    """Any number per message, detected independently of the route."""

    HEALTH_SAFETY = "health_safety"
    SAFEGUARDING = "safeguarding"
    ABUSIVE = "abusive"
    THIRD_PARTY = "third_party"


class PiiType(StrEnum):
    """Kinds of personal data we detect and redact."""

    PERSON = "PERSON"
    ADDRESS = "ADDRESS"
    POSTCODE = "POSTCODE"
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    ACCOUNT_REF = "ACCOUNT_REF"
    NI_NUMBER = "NI_NUMBER"
    BANK_DETAILS = "BANK_DETAILS"


class StageName(StrEnum):
    """The Code allows two stages at most (5.2/5.3): no stage 0."""

    STAGE_1 = "stage_1"
    STAGE_2 = "stage_2"


class DeadlineKind(StrEnum):
    """Which statutory clock a deadline belongs to."""

    ACKNOWLEDGE = "acknowledge"
    RESPOND = "respond"
    ESCALATION_WINDOW = "escalation_window"


class DecisionKind(StrEnum):
    """What the pipeline does with a triaged message."""

    OPEN_CASE = "open_case"
    THREAD_TO_CASE = "thread_to_case"
    ESCALATE = "escalate"
    RECORD_DISSATISFACTION = "record_dissatisfaction"
    RECORD_SERVICE_REQUEST = "record_service_request"
    DECLINE = "decline"
    REVIEW = "review"
    ACKNOWLEDGE_FEEDBACK = "acknowledge_feedback"
    IGNORE = "ignore"


class CaseStatus(StrEnum):
    """Lifecycle of a case, as staff and the TSM returns see it."""

    OPEN = "open"
    DECLINED = "declined"
    RECORDED = "recorded"
    CLOSED = "closed"
