"""Email attachments kept with the case, as files staff can open, within a size limit.

The raw message always keeps every byte; this copies each attached file into the shared
attachments table (storage.attachment_files, the same one chat channels use) so staff see a
list of files on the case without digging through MIME. A file over INTAKE_MAX_ATTACHMENT_BYTES
is described (name, type, size) but its bytes stay only in the raw message. Rows are keyed by
the part's position, so storing again after a retried SMTP transaction adds nothing.
"""

from __future__ import annotations

from datetime import datetime

from channels.email_parse import AttachedFile, extract_text_and_files, parse_message
from storage.attachment_files import NewFile, add_files
from storage.db import Database


def as_new_files(files: tuple[AttachedFile, ...] | list[AttachedFile],
                 max_bytes: int) -> list[NewFile]:
    """Rows for the attachments table; bytes only for files within the limit."""
    return [NewFile(filename=f.attachment.filename, content_type=f.attachment.content_type,
                    size=f.attachment.size,
                    data=f.data if f.attachment.size <= max_bytes else None,
                    source_ref=f"mime-part:{f.index}")
            for f in files]


def mime_files(raw: bytes, max_bytes: int) -> list[NewFile]:
    """Every attached file of a raw message (parsing it again; see `as_new_files`)."""
    try:
        _text, files = extract_text_and_files(parse_message(raw))
    except Exception:  # an unreadable tree: the raw bytes are still stored
        return []
    return as_new_files(files, max_bytes)


def keep_attachments(db: Database, inbound_id: int, files: tuple[AttachedFile, ...],
                     max_bytes: int, now: datetime) -> int:
    """Store the files of one stored message (idempotent); returns how many were new."""
    return add_files(db, inbound_id, as_new_files(files, max_bytes), now)
