"""The public entry point of the triage layer."""

from __future__ import annotations

from models import InboundMessage, PolicyProfile, Route, Triage


def triage_message(message: InboundMessage, profile: PolicyProfile) -> Triage:
    """Triage one message under one landlord's profile.

    Placeholder until the triage engine lands: everything goes to staff review.
    """
    del message, profile
    return Triage(route=Route.COMPLAINT, confidence=0.0, needs_review=True,
                  reasons=("triage engine not installed yet",))
