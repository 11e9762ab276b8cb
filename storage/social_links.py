"""Facebook ids tied to cases, kept in `channel_refs` (no table of our own).

Why: Facebook gives the same person different ids on different surfaces. A comment carries an
app-scoped user id; the Messenger conversation our private reply opens carries a page-scoped id
(PSID) that we only learn from the Send API's answer. Recording that PSID against the case (and
as a second channel identity of the same customer) lets the customer's later direct messages
thread onto the case their public post opened. The same table remembers which of our own page
comments answers which message, so a reply to our reply finds its case, and which parts of a
long Messenger reply already left, so a retry resumes instead of sending a part twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.tables import CaseRow, ChannelIdentityRow, ChannelRefRow, InboundRow

CHANNEL = "social"
PSID = "messenger_psid"
PAGE_COMMENT = "page_comment"
OUTBOX_PART = "outbox_part"


def _put(session: Session, kind: str, value: str, case_id: int | None, meta: dict[str, Any],
         now: datetime, *, replace: bool) -> None:
    """Insert a ref, or (with `replace`) point an existing one at the newest case."""
    existing = session.scalar(select(ChannelRefRow).where(
        ChannelRefRow.channel == CHANNEL, ChannelRefRow.kind == kind, ChannelRefRow.value == value))
    if existing is not None:
        if replace:
            existing.case_id = case_id
            existing.meta = meta
        return
    try:
        with session.begin_nested():
            session.add(ChannelRefRow(case_id=case_id, channel=CHANNEL, kind=kind,
                                      value=value[:512], meta=meta, created_at=now))
    except IntegrityError:  # a concurrent sender recorded it first: same fact, keep theirs
        pass


def link_psid(session: Session, psid: str, case_id: int | None, source_external_id: str,
              page_id: str | None, now: datetime) -> None:
    """The private reply to `source_external_id` opened a Messenger conversation with `psid`."""
    _put(session, PSID, psid, case_id,
         {"external_id": source_external_id, "page_id": page_id}, now, replace=True)
    case = session.get(CaseRow, case_id) if case_id is not None else None
    if case is None or case.customer_id is None:
        return
    address = psid.strip().lower()[:512]
    known = session.scalar(select(ChannelIdentityRow.id).where(
        ChannelIdentityRow.channel == CHANNEL, ChannelIdentityRow.address == address))
    if known is not None:
        return
    try:
        with session.begin_nested():
            session.add(ChannelIdentityRow(customer_id=case.customer_id, channel=CHANNEL,
                                           address=address))
    except IntegrityError:
        pass


def psid_thread(session: Session, psid: str) -> str | None:
    """The inbound external id whose case this Messenger conversation continues, if any."""
    meta = session.scalar(select(ChannelRefRow.meta).where(
        ChannelRefRow.channel == CHANNEL, ChannelRefRow.kind == PSID, ChannelRefRow.value == psid))
    value = (meta or {}).get("external_id")
    return str(value) if value else None


def record_page_comment(session: Session, comment_id: str, case_id: int | None,
                        source_external_id: str, now: datetime) -> None:
    """Our public reply `comment_id` answers the inbound message `source_external_id`."""
    _put(session, PAGE_COMMENT, comment_id, case_id, {"external_id": source_external_id}, now,
         replace=False)


def comment_thread(session: Session, parent_ids: list[str], sender: str | None) -> str | None:
    """The inbound a new comment continues: the same person's earlier comment or post, or the
    message our own reply (a parent) answered. Never another person's: their case is theirs."""
    if not sender:
        return None
    for parent in parent_ids:
        if not parent:
            continue
        candidates = [parent]
        meta = session.scalar(select(ChannelRefRow.meta).where(
            ChannelRefRow.channel == CHANNEL, ChannelRefRow.kind == PAGE_COMMENT,
            ChannelRefRow.value == parent))
        if meta and meta.get("external_id"):
            candidates.insert(0, str(meta["external_id"]))
        for external_id in candidates:
            author = session.scalar(select(InboundRow.sender).where(
                InboundRow.channel == CHANNEL, InboundRow.external_id == external_id))
            if author is not None and author == sender:
                return external_id
    return None


def thread_root(session: Session, external_id: str) -> str | None:
    """The `thread_id` recorded on an earlier inbound message (for replies in a feed)."""
    meta = session.scalar(select(InboundRow.meta).where(
        InboundRow.channel == CHANNEL, InboundRow.external_id == external_id))
    value = (meta or {}).get("thread_id")
    return str(value) if value else None


def sent_parts(session: Session, outbox_id: int) -> dict[int, dict[str, Any]]:
    """Parts of a multi-part reply already delivered: index -> what the API answered."""
    rows = session.execute(select(ChannelRefRow.value, ChannelRefRow.meta).where(
        ChannelRefRow.channel == CHANNEL, ChannelRefRow.kind == OUTBOX_PART,
        ChannelRefRow.value.like(f"{outbox_id}:%"))).all()
    parts: dict[int, dict[str, Any]] = {}
    for value, meta in rows:
        index = value.rpartition(":")[2]
        if index.isdigit():
            parts[int(index)] = dict(meta or {})
    return parts


def record_part(session: Session, outbox_id: int, index: int, case_id: int | None,
                answer: dict[str, Any], now: datetime) -> None:
    """One part of a multi-part reply left; a retry must not send it again."""
    _put(session, OUTBOX_PART, f"{outbox_id}:{index}", case_id, answer, now, replace=False)
