"""The schema of a landlord's policy profile (one TOML file per landlord under `config/`).

Every timescale, window and rule the Code or a landlord's policy sets lives in a profile, never
in code (invariant 5). Validation is strict (`extra="forbid"`) so a misspelt key stops start-up
with its name instead of silently falling back to a default.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.vocabulary import Flag, Route


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(_Strict):
    """A length of time as a policy states it: "10 working days", "8 weeks", "28 days"."""

    amount: int = Field(ge=0)
    unit: Literal["working_days", "days", "weeks", "months"] = "working_days"


class Timescales(_Strict):
    """Stage 1 and stage 2 clocks (Code 6.2-6.5, 6.11-6.13)."""

    stage1_acknowledge_wd: int = Field(ge=1, le=5)
    stage1_respond_wd: int = Field(ge=1, le=25)
    stage1_respond_from: Literal["acknowledgement", "receipt"] = "acknowledgement"
    stage1_extension_max_wd: int = Field(default=10, ge=0, le=10)
    stage2_acknowledge_wd: int = Field(ge=1, le=5)
    stage2_respond_wd: int = Field(ge=1, le=20)
    stage2_respond_from: Literal["acknowledgement", "receipt"] = "acknowledgement"
    stage2_extension_max_wd: int = Field(default=10, ge=0, le=10)
    escalation_window: Period


class OutOfTime(_Strict):
    """Code 2.2/2.3: the window after which an issue may be declined, and what overrides it."""

    window_months: int = Field(ge=1, le=24)
    exempt_flags: list[Flag] = Field(default_factory=list)


class Exclusion(_Strict):
    """A route the landlord declines as a complaint, with what the customer must be told."""

    route: Route
    reason: str = Field(min_length=10)
    where_instead: str = Field(min_length=5)


class Officer(_Strict):
    """A named handler; Calico's acknowledgement must show the name and job title."""

    name: str = Field(min_length=2)
    title: str = Field(min_length=2)


class Assignment(_Strict):
    """Who handles which kind of complaint. Stage 2 is always a different person (Code 6.11)."""

    default: Officer
    stage2: Officer
    by_flag: dict[Flag, Officer] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _stage2_differs(self) -> Assignment:
        if self.stage2.name == self.default.name:
            raise ValueError("stage2 officer must be a different person from the default officer")
        return self


class PublicPosts(_Strict):
    """How to answer on public social media without exposing anyone."""

    max_public_replies: int = Field(default=1, ge=0, le=5)
    hide_posts_with_pii: bool = False
    advise_deletion: bool = True
    private_channel: Literal["dm", "email", "phone"] = "dm"
    private_contact: str = Field(min_length=3)


class Contact(_Strict):
    """Where customers and the Ombudsman details come from, for reply templates."""

    landlord_name: str
    complaints_email: str
    complaints_phone: str
    ombudsman_name: str = "Housing Ombudsman Service"
    ombudsman_phone: str = "0300 111 3000"
    ombudsman_email: str = "info@housing-ombudsman.org.uk"
    ombudsman_web: str = "www.housing-ombudsman.org.uk"
    ombudsman_address: str = "PO Box 1484, Unit D, Preston, PR2 0ET"


class TriageSettings(_Strict):
    """Knobs the triage layer reads from the profile (pure function of message + profile)."""

    review_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    account_ref_patterns: list[str] = Field(default_factory=list)
    health_safety_always_complaint: bool = False
    # Prefer "complaint" over any other route whose probability is less than 1/margin times
    # complaint's (0 switches it off). Measured in docs/triage.md.
    complaint_margin: float = Field(default=0.6, ge=0.0, le=1.0)

    @field_validator("account_ref_patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        """A bad landlord regex must stop start-up, not fail later inside detection."""
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from exc
        return patterns


class Automation(_Strict):
    """Limits on automatic replies, to make mail storms impossible."""

    max_auto_replies_per_sender_per_hour: int = Field(default=5, ge=1, le=1000)


class PolicyProfile(_Strict):
    """One landlord's complaint policy as data."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str
    nation: Literal["england", "wales", "scotland", "northern_ireland"] = "england"
    reference_prefix: str = Field(default="CMP", pattern=r"^[A-Z]{2,6}$")
    timescales: Timescales
    out_of_time: OutOfTime
    exclusions: list[Exclusion] = Field(default_factory=list)
    assignment: Assignment
    public_posts: PublicPosts
    contact: Contact
    triage: TriageSettings = TriageSettings()
    automation: Automation = Automation()
    dissatisfaction_label: str = "Dissatisfaction resolved at first point of contact"
    on_call_group: str = "@complaints-oncall"
    privacy_notice: str = Field(min_length=20)
    templates: dict[str, str] = Field(default_factory=dict)

    def exclusion_for(self, route: Route) -> Exclusion | None:
        """The exclusion entry for a route, if this landlord declines that route."""
        for exclusion in self.exclusions:
            if exclusion.route == route:
                return exclusion
        return None
