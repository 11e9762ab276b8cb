"""Email channel: an aiosmtpd handler for inbound mail and an SMTP client for replies.

Inbound: answer 250 only after the message is stored (Mailman's LMTP lesson); a storage failure
or any unexpected error answers a temporary 451 so the sending server retries instead of
bouncing the customer's mail (aiosmtpd would otherwise turn an exception into a permanent 500).
Outbound: every reply carries our stable Message-ID, In-Reply-To/References for threading,
`Auto-Submitted: auto-replied` (RFC 3834) so other robots do not answer us, and the case
reference in the subject.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any, AnyStr

from aiosmtpd.smtp import SMTP, Envelope, Session

from channels.email_attachments import keep_attachments
from channels.email_parse import parse_email, unreadable_email
from intake.errors import DeliveryError
from storage.db import Database
from storage.outbox import Claimed

log = logging.getLogger("intake.channels.email")

StoreFn = Callable[..., Awaitable[Any]]


class InboundHandler:
    """aiosmtpd handler: only the hooks we need, each returning the SMTP status line."""

    def __init__(self, store: StoreFn, inbox: frozenset[str], own_addresses: frozenset[str],
                 clock: Callable[[], datetime] | None = None, *, db: Database | None = None,
                 max_attachment_bytes: int = 10 * 1024 * 1024) -> None:
        self.store = store
        self.inbox = inbox
        self.own_addresses = own_addresses
        self.clock = clock or (lambda: datetime.now(UTC))
        # Where attached files are copied for staff (None: they stay in the raw message only).
        self.db = db if db is not None else getattr(store, "db", None)
        self.max_attachment_bytes = max_attachment_bytes

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if address.lower() not in self.inbox:
            return f"550 5.1.1 <{address}>: no such mailbox here; write to {min(self.inbox)}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        recipient = ",".join(envelope.rcpt_tos)
        try:
            # Parsing a pathological message can take a second: never on the SMTP loop.
            parsed = await asyncio.to_thread(
                parse_email, raw, envelope_from=envelope.mail_from, recipient=recipient,
                own_addresses=self.own_addresses, now=self.clock())
        except Exception as exc:  # logged by type only: exception texts can quote the mail
            log.error("could not parse an inbound email (%s); storing its bytes for staff",
                      type(exc).__name__)
            parsed = unreadable_email(raw, envelope_from=envelope.mail_from, recipient=recipient,
                                      now=self.clock(), error=exc)
        try:
            stored = await self.store(parsed.message, parsed.parse_error)
            if parsed.files and self.db is not None:
                await asyncio.to_thread(keep_attachments, self.db, stored.id, parsed.files,
                                        self.max_attachment_bytes, self.clock())
        except Exception as exc:  # by type only: database errors quote their parameters
            log.error("could not store inbound email (%s); answered 451 so the sender retries",
                      type(exc).__name__)
            return "451 4.3.0 Temporary failure storing your message; please try again later"
        return f"250 2.0.0 Message accepted for delivery (id {stored.id})"

    async def handle_exception(self, error: Exception) -> str:
        log.error("SMTP session error: %s", type(error).__name__)
        return "451 4.3.0 Temporary server error; please try again later"


class IntakeSMTP(SMTP):
    """aiosmtpd's SMTP, liberal in the lines it accepts and clear about the size limit.

    RFC 5321 caps lines at 1000 octets, but real senders break it (HTML on one line, bare-LF
    messages from old scripts) and aiosmtpd would answer "500 Line too long", making the
    sender's MTA bounce the customer's mail. The total is still capped by the size limit.
    aiosmtpd's own 552 texts do not say what the limit is; customers' mail admins need that.
    """

    def __init__(self, handler: InboundHandler, *, data_size_limit: int, **kwargs: Any) -> None:
        self.line_length_limit = max(SMTP.line_length_limit, data_size_limit + 2)
        super().__init__(handler, data_size_limit=data_size_limit, **kwargs)

    async def push(self, status: AnyStr) -> None:
        text = status.decode("utf-8", "replace") if isinstance(status, bytes) else str(status)
        # Our line limit is the size limit, so a line too long is a message too big.
        if text.startswith(("552 Error", "500 Line too long")):
            limit = self.data_size_limit or 0
            text = (f"552 5.3.4 Message too big: this mailbox accepts messages up to {limit} "
                    f"bytes ({limit // (1024 * 1024) or limit // 1024 or limit}"
                    f"{' MB' if limit >= 1024 * 1024 else ' KB' if limit >= 1024 else ' bytes'}"
                    "); send large files another way or in several messages")
        await super().push(text)


def make_smtp(handler: InboundHandler, max_bytes: int, hostname: str | None = None) -> SMTP:
    """One SMTP protocol instance per connection, with the size limit advertised in EHLO."""
    return IntakeSMTP(handler, data_size_limit=max_bytes, enable_SMTPUTF8=True,
                      decode_data=False, hostname=hostname, ident="Intake ESMTP")


def build_reply(row: Claimed, mail_from: str) -> EmailMessage:
    """The outgoing email for one outbox row."""
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = row.recipient
    msg["Subject"] = row.subject or "Your message"
    msg["Date"] = format_datetime(datetime.now(UTC))
    if row.message_id:
        msg["Message-ID"] = row.message_id
    if row.in_reply_to and row.in_reply_to.startswith("<"):
        msg["In-Reply-To"] = row.in_reply_to
    refs = [r for r in row.references if r.startswith("<")]
    if refs:
        msg["References"] = " ".join(refs[-20:])
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    case_ref = row.metadata.get("case_ref")
    if case_ref:
        msg["X-Intake-Case"] = str(case_ref)
    msg.set_content(row.body)
    return msg


class SmtpSender:
    """Delivers outbox rows through the configured relay; classifies failures for retry."""

    def __init__(self, relay_host: str, relay_port: int, mail_from: str,
                 timeout: float = 30.0) -> None:
        self.host = relay_host
        self.port = relay_port
        self.mail_from = mail_from
        self.timeout = timeout

    def _send_sync(self, row: Claimed) -> None:
        msg = build_reply(row, self.mail_from)
        envelope_from = parseaddr(self.mail_from)[1] or self.mail_from
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
                client.send_message(msg, from_addr=envelope_from, to_addrs=[row.recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            temporary = all(400 <= code < 500 for code in codes)
            raise DeliveryError(f"relay refused the recipient: {codes}",
                                temporary=temporary) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"relay answered {exc.smtp_code}",
                                temporary=400 <= exc.smtp_code < 500) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"relay unreachable: {type(exc).__name__}", temporary=True) from exc

    async def send(self, row: Claimed) -> None:
        await asyncio.to_thread(self._send_sync, row)
