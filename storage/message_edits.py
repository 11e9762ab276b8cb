"""Edits of messages already received (chat channels let customers change what they wrote).

The stored text is replaced so triage and staff read what the customer means now, but nothing
is lost: the previous text is kept in the message's metadata with the time of the edit, and a
filed message gets an `message_edited` event on its case (the audit trail is append-only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from storage import cases as case_store
from storage.db import Database
from storage.tables import InboundRow


@dataclass(frozen=True, slots=True)
class EditResult:
    """What an edit changed: the message, its case if filed, and whether the text changed."""

    inbound_id: int
    case_id: int | None
    changed: bool


def record_edit(db: Database, channel: str, external_id: str, new_text: str,
                edited_at: datetime, now: datetime, edit_ref: str) -> EditResult | None:
    """Apply an edit to the stored message; None when we never received the original.

    `edit_ref` identifies this edit (a Telegram update id), so the same edit delivered twice
    is recorded once.
    """
    with db.transaction() as session:
        row = session.scalar(
            select(InboundRow).where(InboundRow.channel == channel,
                                     InboundRow.external_id == external_id[:512])
        )
        if row is None:
            return None
        meta: dict[str, Any] = dict(row.meta or {})
        edits: list[dict[str, Any]] = list(meta.get("edits") or [])
        if any(e.get("ref") == edit_ref for e in edits) or (row.text or "") == new_text:
            return EditResult(row.id, row.case_id, changed=False)
        edits.append({"ref": edit_ref, "at": edited_at.isoformat(),
                      "previous_text": row.text or ""})
        meta["edits"] = edits
        row.meta = meta
        row.text = new_text
        if row.case_id is not None:
            case_store.add_event(session, row.case_id, now, "customer", "message_edited",
                                 "the customer edited a message they had sent",
                                 {"edited_at": edited_at.isoformat(), "edit": len(edits)},
                                 inbound_id=row.id)
        return EditResult(row.id, row.case_id, changed=True)
