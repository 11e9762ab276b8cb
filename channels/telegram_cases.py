"""Read-only look-ups of a customer's own case for /status, /escalate and the buttons.

Ownership is checked here, before anything is said or stored: a reference that exists but
belongs to someone else gets exactly the same answer as one that does not exist, so a chat can
learn nothing about other people's cases by guessing references.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from models import Channel
from storage import cases as case_store
from storage.db import Database


@dataclass(frozen=True, slots=True)
class OwnedCase:
    """What /status shows about a case the asking chat owns."""

    ref: str
    route: str
    status: str
    stage: str | None
    next_due: tuple[str, date] | None


def ref_pattern(prefix: str) -> re.Pattern[str]:
    """A whole case reference such as CMP-2025-00012 for this profile's prefix."""
    return re.compile(rf"^{re.escape(prefix)}-\d{{4}}-\d{{5}}$", re.IGNORECASE)


def owned_case(db: Database, ref: str, chat_id: str) -> OwnedCase | None:
    """The case if it exists and this chat owns it; None otherwise (never say which)."""
    with db.transaction() as session:
        case = case_store.load_case(session, ref)
        if case is None or not case_store.owns(session, case, Channel.TELEGRAM.value, chat_id):
            return None
        open_deadlines = sorted(
            (d.due, d.kind) for s in case.stages if s.closed_at is None
            for d in s.deadlines if d.met_at is None
        )
        next_due = (open_deadlines[0][1], open_deadlines[0][0]) if open_deadlines else None
        return OwnedCase(case.ref, case.route, case.status, case.current_stage, next_due)
