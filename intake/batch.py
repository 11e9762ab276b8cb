"""Triage input lines (interfaces.md) -> InboundMessage, with errors that name id and field."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from intake.errors import InputError
from models import Channel, InboundMessage

CHANNELS = {c.value for c in Channel}


@dataclass(frozen=True, slots=True)
class InputLine:
    """One parsed input line: its id, the message, and the raw record (for `gold`)."""

    ident: str
    message: InboundMessage
    record: dict[str, Any]


def _parse_time(value: Any, ident: str) -> datetime:
    if not isinstance(value, str):
        raise InputError(f"{ident}: field 'received_at': expected an ISO-8601 string",
                         field="received_at", ident=ident)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{ident}: field 'received_at': {value!r} is not ISO-8601",
                         field="received_at", ident=ident) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _optional_str(record: dict[str, Any], key: str, ident: str) -> str | None:
    value = record.get(key)
    if value is not None and not isinstance(value, str):
        raise InputError(f"{ident}: field '{key}': expected a string or null",
                         field=key, ident=ident)
    return value


def parse_line(raw: str, line_no: int) -> InputLine:
    """Parse and validate one JSON line; raises InputError naming the id and the field."""
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"line {line_no}: not valid JSON ({exc.msg})", field="(json)",
                         ident=f"line {line_no}") from None
    if not isinstance(record, dict):
        raise InputError(f"line {line_no}: expected a JSON object", field="(json)",
                         ident=f"line {line_no}")
    ident_value = record.get("id")
    if not isinstance(ident_value, str) or not ident_value:
        raise InputError(f"line {line_no}: field 'id': missing or not a string", field="id",
                         ident=f"line {line_no}")
    ident = ident_value
    channel = record.get("channel")
    if channel not in CHANNELS:
        raise InputError(f"{ident}: field 'channel': expected one of {sorted(CHANNELS)}, "
                         f"got {channel!r}", field="channel", ident=ident)
    public = record.get("public")
    if not isinstance(public, bool):
        raise InputError(f"{ident}: field 'public': expected true or false", field="public",
                         ident=ident)
    if "received_at" not in record:
        raise InputError(f"{ident}: field 'received_at': missing", field="received_at",
                         ident=ident)
    received_at = _parse_time(record.get("received_at"), ident)
    text = record.get("text")
    if not isinstance(text, str):
        raise InputError(f"{ident}: field 'text': missing or not a string", field="text",
                         ident=ident)
    if not text.strip():
        raise InputError(f"{ident}: field 'text': empty", field="text", ident=ident)
    message = InboundMessage(
        channel=Channel(channel),
        external_id=ident,
        received_at=received_at,
        text=text,
        sender=_optional_str(record, "sender", ident),
        subject=_optional_str(record, "subject", ident),
        public=public,
    )
    return InputLine(ident, message, record)
