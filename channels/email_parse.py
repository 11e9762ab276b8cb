"""Raw RFC 5322 bytes -> InboundMessage. Translation only: no decisions.

Real mail is messy (broken MIME, unknown charsets, mbox `From ` lines, byte-order marks, no
headers at all), so every step degrades instead of raising: the raw bytes are always kept, and
a message whose text cannot be read still becomes an InboundMessage with a `parse_error`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from bs4 import BeautifulSoup

from models import Attachment, Channel, InboundMessage

_BOM = b"\xef\xbb\xbf"
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_NO_REPLY = re.compile(
    r"^(mailer-daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply|bounces?|"
    r"notifications?|auto[-_.]?(reply|confirm|responder))([+-].*)?@",
    re.IGNORECASE,
)
_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
MAX_TEXT_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class ParsedEmail:
    """The message, plus what went wrong while reading it (kept for staff, never fatal)."""

    message: InboundMessage
    parse_error: str | None


def clean_for_parsing(raw: bytes) -> bytes:
    """Drop what precedes the headers: a BOM, blank lines, an mbox `From ` line."""
    data = raw
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    data = data.lstrip(b"\r\n")
    if data.startswith(b"From "):
        newline = data.find(b"\n")
        data = data[newline + 1:] if newline >= 0 else b""
    return data


def _header(msg: Message, name: str) -> str | None:
    try:
        value = msg.get(name)
    except Exception:  # malformed header values can raise on access with policy.default
        try:
            values = msg.get_all(name) if hasattr(msg, "get_all") else None
            value = str(values[0]) if values else None
        except Exception:
            return None
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _html_to_text(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "head", "title"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    text = soup.get_text("\n")
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _part_text(part: Message) -> str:
    try:
        content = part.get_content() if isinstance(part, EmailMessage) else None
        if isinstance(content, str):
            return content
    except Exception:  # unknown charset, broken transfer encoding
        pass
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        charset = part.get_content_charset() or "utf-8"
        try:
            return payload.decode(charset, errors="replace")
        except LookupError:
            return payload.decode("utf-8", errors="replace")
    raw = part.get_payload()
    return raw if isinstance(raw, str) else ""


def extract_text(msg: Message) -> tuple[str, list[Attachment]]:
    """text/plain preferred, else HTML made readable; attachments listed, never inlined."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    parts = msg.walk() if msg.is_multipart() else iter([msg])
    for part in parts:
        if part.is_multipart():
            continue
        ctype = (part.get_content_type() or "text/plain").lower()
        disposition = (part.get_content_disposition() or "").lower()
        filename = None
        try:
            filename = part.get_filename()
        except Exception:
            filename = "unnamed"
        if disposition == "attachment" or (filename and not ctype.startswith("text/")):
            payload = part.get_payload(decode=True)
            size = len(payload) if isinstance(payload, bytes) else 0
            attachments.append(Attachment(filename or "unnamed", ctype, size))
            continue
        if ctype == "text/plain":
            plain.append(_part_text(part))
        elif ctype == "text/html":
            html.append(_part_text(part))
        elif ctype.startswith("text/"):
            plain.append(_part_text(part))
    text = "\n\n".join(p for p in plain if p.strip())
    if not text.strip() and html:
        text = "\n\n".join(_html_to_text(h) for h in html)
    text = text.replace("\r\n", "\n").replace("\x00", "")
    return text.strip()[:MAX_TEXT_CHARS], attachments


def automated_reason(msg: Message, envelope_from: str | None, sender: str | None,
                     own_addresses: frozenset[str]) -> str | None:
    """Why this message must never be answered (RFC 3834 and common practice), or None."""
    auto_submitted = (_header(msg, "Auto-Submitted") or "").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress-Reply"):
        if _header(msg, name):
            return f"{name} header"
    precedence = (_header(msg, "Precedence") or "").lower()
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in ("List-Id", "List-Unsubscribe", "List-Post"):
        if _header(msg, name):
            return f"mailing list ({name})"
    if envelope_from is not None and envelope_from.strip("<> ") == "":
        return "empty return path (bounce or notification)"
    ctype = (msg.get_content_type() or "").lower()
    report = (msg.get_param("report-type") or "") if ctype == "multipart/report" else ""
    if ctype == "multipart/report" or "delivery-status" in str(report).lower():
        return "delivery status notification"
    for address in filter(None, (sender, envelope_from)):
        if _NO_REPLY.match(address.strip("<> ")):
            return f"automated sender address {address}"
        if address.strip("<> ").lower() in own_addresses:
            return "our own address (mail loop)"
    return None


def _message_ids(value: str | None) -> list[str]:
    return _MESSAGE_ID.findall(value or "")


def _sent_at(msg: Message) -> str | None:
    """The sender's Date header as ISO-8601, kept for staff; None if missing or unreadable."""
    value = _header(msg, "Date")
    if value:
        try:
            parsed = parsedate_to_datetime(value)
            if parsed is not None:
                return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).isoformat()
        except (TypeError, ValueError, IndexError):
            pass
    return None


def parse_email(raw: bytes, *, envelope_from: str | None = None, recipient: str | None = None,
                own_addresses: frozenset[str] = frozenset(),
                now: datetime | None = None) -> ParsedEmail:
    """Translate one raw message; never raises on content."""
    arrived = now or datetime.now(UTC)
    errors: list[str] = []
    try:
        msg: Message = BytesParser(policy=policy.default).parsebytes(clean_for_parsing(raw))
    except Exception as exc:  # pragma: no cover - the parser is very forgiving
        errors.append(f"MIME parse failed: {exc}")
        msg = BytesParser(policy=policy.compat32).parsebytes(clean_for_parsing(raw))
    defects = [type(d).__name__ for d in getattr(msg, "defects", [])]
    if defects:
        errors.append("MIME defects: " + ", ".join(sorted(set(defects))))
    try:
        text, attachments = extract_text(msg)
    except Exception as exc:
        errors.append(f"text extraction failed: {exc}")
        text, attachments = "", []
    from_header = _header(msg, "From") or ""
    reply_to = _header(msg, "Reply-To")
    name, address = parseaddr(from_header)
    if not address and envelope_from:
        address = envelope_from.strip("<>")
    reply_address = address
    if reply_to:
        addresses = [a for _, a in getaddresses([reply_to]) if a]
        if addresses:
            reply_address = addresses[0]
    message_id_values = _message_ids(_header(msg, "Message-ID"))
    digest = hashlib.sha256(raw).hexdigest()
    external_id = message_id_values[0] if message_id_values else f"sha256:{digest}"
    thread_ids = tuple(dict.fromkeys(
        _message_ids(_header(msg, "In-Reply-To")) + _message_ids(_header(msg, "References"))
    ))
    if not text:
        errors.append("no readable text")
    message = InboundMessage(
        channel=Channel.EMAIL,
        external_id=external_id,
        # Deadlines run from when we received it, not from the sender's Date header.
        received_at=arrived,
        text=text,
        sender=(reply_address or None),
        sender_name=name or None,
        subject=_header(msg, "Subject"),
        public=False,
        raw=raw,
        recipient=recipient,
        thread_ids=thread_ids,
        automated=automated_reason(msg, envelope_from, address or None, own_addresses),
        attachments=tuple(attachments),
        metadata={"envelope_from": envelope_from or "", "from": from_header[:512],
                  "date_header": _sent_at(msg)},
    )
    return ParsedEmail(message, "; ".join(errors) or None)
