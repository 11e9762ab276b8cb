"""Delivery status notifications read back into what they are about.

When one of our acknowledgements bounces, staff must learn that the customer never got it
(the statutory acknowledgement is then not really made). A bounce names the message it returns
in several ways, none reliable alone: RFC 3464 reports attach the original message or its
headers (Message-ID, and our X-Intake-Case header); many MTAs also set In-Reply-To or
References; non-standard bounces paste the original headers into their text. This module only
reads: it returns the ids, case reference, action and status it found, and `intake.bounces`
decides what that means for the outbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

_MESSAGE_ID = re.compile(r"<[^<>\s]+@[^<>\s]+>")
_HEADER_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_HEADER_CASE = re.compile(rb"^x-intake-case:[ \t]*([A-Za-z0-9-]{3,40})",
                          re.IGNORECASE | re.MULTILINE)
_FIELD = re.compile(r"^([A-Za-z-]+):[ \t]*(.*)$", re.MULTILINE)
_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery status notification|delivery (?:has )?failed|"
    r"delivery failure|failure notice|returned mail|mail delivery failed|non[- ]?deliver|"
    r"could not be delivered|nicht zustellbar|non remis|delivery problem", re.IGNORECASE)
_SYSTEM_SENDER = re.compile(
    r"^(?:mailer[-_.]?daemon|mail[-_.]?daemon|postmaster|post[-_.]master|mail[-_.]?delivery|"
    r"mdaemon|bounces?|sysadmin|root|mailadmin)(?:[+-].*)?(?:@|$)", re.IGNORECASE)
_SYSTEM_NAME = re.compile(r"mail delivery|mailer[- ]daemon|postmaster|delivery subsystem|"
                          r"ndr administrator|mail administrator|mail system", re.IGNORECASE)
REPORT_TYPES = {"message/delivery-status", "message/global-delivery-status"}
RETURNED_TYPES = {"message/rfc822", "text/rfc822-headers", "message/rfc822-headers",
                  "message/global", "message/global-headers"}


@dataclass(frozen=True, slots=True)
class BounceInfo:
    """What a delivery report says about a message we (or someone) sent."""

    message_ids: tuple[str, ...]
    case_ref: str | None
    action: str  # failed | delayed | delivered | relayed | expanded | unknown
    status: str | None
    recipients: tuple[str, ...] = field(default_factory=tuple)

    @property
    def permanent(self) -> bool:
        return self.action == "failed" or (self.action == "unknown" and self.status is not None
                                           and self.status.startswith("5"))

    def as_json(self) -> dict[str, Any]:
        return {"message_ids": list(self.message_ids), "case_ref": self.case_ref,
                "action": self.action, "status": self.status,
                "recipients": list(self.recipients), "permanent": self.permanent}


def _bytes_of(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            return payload
        inner = part.get_payload()
        if isinstance(inner, list):
            return b"\n".join(p.as_bytes() if hasattr(p, "as_bytes") else b"" for p in inner)
        if isinstance(inner, str):
            return inner.encode("utf-8", "surrogateescape")
    except Exception:  # a broken part never stops reading the rest
        pass
    return b""


def _report_fields(data: bytes) -> tuple[str, str | None, list[str]]:
    text = data.decode("utf-8", "replace")
    actions: list[str] = []
    status: str | None = None
    recipients: list[str] = []
    for name, value in _FIELD.findall(text):
        key = name.lower()
        value = value.strip()
        if key == "action":
            actions.append(value.lower().split()[0] if value else "unknown")
        elif key == "status" and status is None and value:
            status = value.split()[0]
        elif key in ("final-recipient", "original-recipient") and value:
            address = value.split(";", 1)[-1].strip().strip("<>")
            if address and address not in recipients:
                recipients.append(address)
    action = "failed" if "failed" in actions else (actions[0] if actions else "unknown")
    return action, status, recipients


def looks_like_bounce(msg: Message, sender: str | None, subject: str | None,
                      envelope_from: str | None) -> bool:
    """A delivery report, standard or not (an auto-reply is not one)."""
    for part in _parts(msg):
        if (part.get_content_type() or "").lower() in REPORT_TYPES:
            return True
    from_header = str(msg.get("From") or "") if _safe_has(msg, "From") else ""
    system = bool(sender and _SYSTEM_SENDER.match(sender)) or bool(_SYSTEM_NAME.search(from_header))
    empty_path = envelope_from is not None and envelope_from.strip("<> ") == ""
    return bool(subject and _SUBJECT.search(subject)) and (system or empty_path)


def _parts(msg: Message, limit: int = 200) -> list[Message]:
    """The first parts of a message (a report has a handful; thousands mean an attack)."""
    found: list[Message] = []
    try:
        for part in msg.walk():
            found.append(part)
            if len(found) >= limit:
                break
    except Exception:
        pass
    return found


def _safe_has(msg: Message, name: str) -> bool:
    try:
        return msg.get(name) is not None
    except Exception:
        return False


def read_bounce(msg: Message, raw: bytes) -> BounceInfo:
    """The ids, case reference, action and status a bounce carries."""
    ids: list[str] = []
    action, status = "unknown", None
    recipients: list[str] = []
    returned = b""
    top_id = str(msg.get("Message-ID") or "") if _safe_has(msg, "Message-ID") else ""
    for name in ("In-Reply-To", "References"):
        if _safe_has(msg, name):
            ids.extend(_MESSAGE_ID.findall(str(msg.get(name))))
    parts = _parts(msg)
    for part in parts:
        ctype = (part.get_content_type() or "").lower()
        if ctype in REPORT_TYPES:
            action, status, recipients = _report_fields(_bytes_of(part))
        elif ctype in RETURNED_TYPES:
            returned += _bytes_of(part) + b"\n"
    # Non-standard bounces paste the original headers into their text: read the whole body.
    body = raw.split(b"\n\n", 1)[-1] if b"\n\n" in raw else raw.split(b"\r\n\r\n", 1)[-1]
    haystack = returned + b"\n" + body
    for match in _HEADER_MESSAGE_ID.findall(haystack.replace(b"\r\n", b"\n")):
        ids.append(match.decode("ascii", "replace"))
    case = _HEADER_CASE.search(haystack.replace(b"\r\n", b"\n"))
    if status is None:
        found = re.search(rb"\b([245])\.\d{1,3}\.\d{1,3}\b", body)
        status = found.group(0).decode() if found else None
    unique = tuple(i for i in dict.fromkeys(ids) if i != top_id.strip())
    return BounceInfo(message_ids=unique,
                      case_ref=case.group(1).decode("ascii").upper() if case else None,
                      action=action, status=status, recipients=tuple(recipients))
