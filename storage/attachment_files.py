"""Files customers send on chat channels, kept with the message and, through it, the case.

Email attachments stay inside the raw message; a chat channel only gives us a file id, so the
adapter downloads the bytes and keeps them here. Writes are idempotent on (inbound message,
source ref) because a channel may deliver the same update again after a crash, and the case
link is read through the message (the pipeline files the message on its case later, in its own
transaction, so the attachment row cannot know the case when it is written).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from storage.db import Database
from storage.tables import AttachmentRow, InboundRow


@dataclass(frozen=True, slots=True)
class NewFile:
    """One downloaded (or, when the download failed, only described) file."""

    filename: str
    content_type: str
    size: int
    data: bytes | None
    source_ref: str


def add_files(db: Database, inbound_id: int, files: list[NewFile], now: datetime) -> int:
    """Keep the files of one inbound message; returns how many rows were new."""
    if not files:
        return 0
    added = 0
    with db.transaction() as session:
        case_id = session.scalar(select(InboundRow.case_id).where(InboundRow.id == inbound_id))
        for item in files:
            exists = session.scalar(
                select(AttachmentRow.id).where(AttachmentRow.inbound_id == inbound_id,
                                               AttachmentRow.source_ref == item.source_ref)
            )
            if exists is not None:
                continue
            session.add(AttachmentRow(inbound_id=inbound_id, case_id=case_id,
                                      filename=item.filename[:512],
                                      content_type=item.content_type[:200], size=item.size,
                                      data=item.data, source_ref=item.source_ref[:512],
                                      created_at=now))
            added += 1
    return added


def files_for_case(db: Database, case_id: int) -> list[AttachmentRow]:
    """Every file kept for a case, whether linked directly or through its messages."""
    with db.transaction() as session:
        messages = select(InboundRow.id).where(InboundRow.case_id == case_id)
        return list(session.scalars(
            select(AttachmentRow)
            .where(or_(AttachmentRow.case_id == case_id, AttachmentRow.inbound_id.in_(messages)))
            .order_by(AttachmentRow.id)
        ))


def files_for_message(db: Database, inbound_id: int) -> list[AttachmentRow]:
    with db.transaction() as session:
        return list(session.scalars(
            select(AttachmentRow).where(AttachmentRow.inbound_id == inbound_id)
            .order_by(AttachmentRow.id)
        ))
