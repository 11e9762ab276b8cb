"""Existing mailboxes: Intake reads the landlord's own IMAP inbox (Exchange, Microsoft 365,
Gmail, Dovecot...) instead of, or beside, receiving mail over SMTP.

INTAKE_IMAP_URL names the mailbox (RFC 5092 style: `imaps://user@host/INBOX`,
`imap://user@127.0.0.1:1143/INBOX`, `imaps://user;AUTH=XOAUTH2@outlook.office365.com/INBOX`);
the password (or OAuth2 access token) comes only from INTAKE_IMAP_PASSWORD. One thread per
mailbox runs the blocking imaplib client (imaplib is in the standard library and the server
dialects are its daily bread), so the event loop serving SMTP and HTTP never waits on it.

Each message goes through the same door as SMTP mail: parsed by channels.email_parse, stored
by the receiver, attachments copied, and only then moved to the processed folder (default
"Intake/Processed", created when missing). A crash between storing and moving leaves the
message in the inbox; the next pass recognises it (by Message-ID and sha256 at receipt, and by
UIDVALIDITY:UID in channel_refs) and just moves it. Between passes the thread waits in IMAP
IDLE when the server offers it (new mail arrives within a second), otherwise it polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import logging
import re
import select
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit

from channels.email_attachments import keep_attachments
from channels.email_parse import parse_email
from intake.errors import ConfigError
from intake.plugins import ChannelContext, ChannelRuntime
from intake.receive import Receiver
from storage import imap_seen
from storage.db import Database

log = logging.getLogger("intake.channels.imap")

IDLE_MAX_SECONDS = 25 * 60  # RFC 2177: re-issue IDLE at least every 29 minutes
_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?P<delim>"[^"]*"|NIL) (?P<name>.+)$')
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_RETURN_PATH = re.compile(rb"^Return-Path:[ \t]*(<[^>\r\n]*>|[^\s]+)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class MailboxUrl:
    """INTAKE_IMAP_URL, taken apart."""

    secure: bool
    host: str
    port: int
    user: str
    mailbox: str
    auth: str | None  # None: LOGIN; "XOAUTH2": OAuth2 bearer token as the password

    @property
    def key(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.mailbox}"


def parse_url(url: str) -> MailboxUrl:
    """`imap[s]://user[;AUTH=mech]@host[:port][/mailbox]` with errors naming the setting."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps"):
        raise ConfigError(f"INTAKE_IMAP_URL: scheme must be imap or imaps, got {parts.scheme!r}")
    if parts.password:
        raise ConfigError("INTAKE_IMAP_URL: put the password in INTAKE_IMAP_PASSWORD, "
                          "not in the URL")
    if not parts.hostname or not parts.username:
        raise ConfigError("INTAKE_IMAP_URL: expected imap[s]://user@host[:port]/MAILBOX")
    user, _, params = unquote(parts.username).partition(";")
    auth = None
    if params:
        name, _, value = params.partition("=")
        if name.upper() != "AUTH" or not value:
            raise ConfigError(f"INTAKE_IMAP_URL: unknown parameter {params!r} (only ;AUTH=)")
        auth = value.upper() if value != "*" else None
    secure = parts.scheme == "imaps"
    try:
        port = parts.port or (993 if secure else 143)
    except ValueError as exc:
        raise ConfigError(f"INTAKE_IMAP_URL: bad port: {exc}") from exc
    mailbox = unquote(parts.path.lstrip("/")) or "INBOX"
    return MailboxUrl(secure, parts.hostname, port, user, mailbox, auth)


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _envelope_from(raw: bytes) -> str | None:
    """The Return-Path the delivering server recorded (the SMTP envelope sender)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    match = _RETURN_PATH.search(head)
    if not match:
        return None
    return match.group(1).decode("utf-8", "replace").strip().strip("<>")


class MailboxReader:
    """One landlord mailbox: store every message in it, then move it to the processed folder."""

    def __init__(self, url: MailboxUrl, password: str, *, receiver: Receiver, db: Database,
                 processed_folder: str, own_addresses: frozenset[str], poll_seconds: float,
                 use_idle: bool, max_attachment_bytes: int,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 timeout: float = 30.0) -> None:
        self.url = url
        self.password = password
        self.receiver = receiver
        self.db = db
        self.processed_folder = processed_folder
        self.own_addresses = own_addresses
        self.poll_seconds = poll_seconds
        self.use_idle = use_idle
        self.max_attachment_bytes = max_attachment_bytes
        self.clock = clock
        self.timeout = timeout
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.processed = 0
        self.passes = 0
        self.capabilities: set[bytes] = set()

    # -- connection --------------------------------------------------------------------------

    def connect(self) -> imaplib.IMAP4:
        if self.url.secure:
            imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(self.url.host, self.url.port,
                                                    ssl_context=ssl.create_default_context(),
                                                    timeout=self.timeout)
        else:
            imap = imaplib.IMAP4(self.url.host, self.url.port, timeout=self.timeout)
        if self.url.auth == "XOAUTH2":
            token = f"user={self.url.user}\x01auth=Bearer {self.password}\x01\x01".encode()
            imap.authenticate("XOAUTH2", lambda _challenge: token)
        elif self.url.auth not in (None, "PLAIN", "LOGIN"):
            raise ConfigError(f"INTAKE_IMAP_URL: AUTH={self.url.auth} is not supported "
                              "(use LOGIN, PLAIN or XOAUTH2)")
        else:
            imap.login(self.url.user, self.password)
        # Servers announce more after login (MOVE, IDLE, UIDPLUS); imaplib keeps the first list.
        typ, data = imap.capability()
        if typ == "OK" and data and isinstance(data[0], bytes):
            self.capabilities = set(data[0].upper().split())
        else:
            self.capabilities = {c.upper().encode() for c in imap.capabilities}
        return imap

    def _server_name(self, imap: imaplib.IMAP4, name: str) -> str:
        """The folder setting ("Intake/Processed") in the server's hierarchy delimiter."""
        typ, data = imap.list('""', '""')
        delimiter = "/"
        if typ == "OK" and data and isinstance(data[0], bytes):
            match = _LIST_LINE.match(data[0])
            if match and match.group("delim") != b"NIL":
                delimiter = match.group("delim").decode().strip('"') or "/"
        return name.replace("/", delimiter)

    def ensure_folder(self, imap: imaplib.IMAP4) -> str:
        """The processed folder's server name, created (with its parents) when missing."""
        name = self._server_name(imap, self.processed_folder)
        typ, data = imap.list('""', _quote(name))
        if typ == "OK" and any(isinstance(d, bytes) and d for d in data):
            return name
        typ, data = imap.create(_quote(name))
        if typ != "OK":
            # Someone (another Intake) may have created it meanwhile; that is fine.
            typ2, found = imap.list('""', _quote(name))
            if not (typ2 == "OK" and any(isinstance(d, bytes) and d for d in found)):
                raise imaplib.IMAP4.error(f"cannot create folder: {data!r}")
        imap.subscribe(_quote(name))
        log.info("imap: created folder for processed mail")
        return name

    # -- one pass ----------------------------------------------------------------------------

    def select(self, imap: imaplib.IMAP4) -> int:
        typ, data = imap.select(_quote(self.url.mailbox))
        if typ != "OK":
            raise imaplib.IMAP4.error(f"cannot select mailbox: {data!r}")
        codes = imap.untagged_responses.get("UIDVALIDITY") or []
        if codes and isinstance(codes[-1], bytes) and codes[-1].isdigit():
            return int(codes[-1])
        typ, status = imap.status(_quote(self.url.mailbox), "(UIDVALIDITY)")
        match = _UIDVALIDITY.search(status[0] if status and isinstance(status[0], bytes)
                                    else b"")
        return int(match.group(1)) if match else 0

    def process_mailbox(self, imap: imaplib.IMAP4, folder: str) -> int:
        """Store and move every message now in the mailbox; returns how many were moved."""
        uidvalidity = self.select(imap)
        typ, data = imap.uid("SEARCH", "UNDELETED")
        if typ != "OK":
            raise imaplib.IMAP4.error(f"UID SEARCH failed: {data!r}")
        uids = [int(u) for u in (data[0] or b"").split()] if data else []
        moved = 0
        for uid in uids:
            if self.stopping.is_set():
                break
            key = imap_seen.uid_key(self.url.key, uidvalidity, uid)
            if imap_seen.stored_inbound(self.db, key) is None:
                raw = self._fetch(imap, uid)
                if raw is None:
                    continue  # expunged meanwhile by another client
                inbound_id = self._store(raw)
                imap_seen.remember(self.db, key, inbound_id, self.clock())
            self._move(imap, uid, folder)
            moved += 1
        if moved:
            self._expunge(imap)
        self.processed += moved
        return moved

    def _fetch(self, imap: imaplib.IMAP4, uid: int) -> bytes | None:
        typ, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
        if typ != "OK":
            raise imaplib.IMAP4.error(f"UID FETCH failed for uid {uid}")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return item[1]
        return None

    def _store(self, raw: bytes) -> int:
        parsed = parse_email(raw, envelope_from=_envelope_from(raw), recipient=self.url.user,
                             own_addresses=self.own_addresses, now=self.clock())
        message = replace(parsed.message, metadata={**parsed.message.metadata, "via": "imap"})
        stored = self.receiver.store(message, parsed.parse_error)
        if parsed.files:
            keep_attachments(self.db, stored.id, parsed.files, self.max_attachment_bytes,
                             self.clock())
        log.info("imap: stored inbound=%s new=%s", stored.id, stored.created)
        return stored.id

    def _move(self, imap: imaplib.IMAP4, uid: int, folder: str) -> None:
        if b"MOVE" in self._capabilities(imap):
            typ, data = imap.uid("MOVE", str(uid), _quote(folder))
            if typ == "OK":
                return
            raise imaplib.IMAP4.error(f"UID MOVE failed: {data!r}")
        typ, data = imap.uid("COPY", str(uid), _quote(folder))
        if typ != "OK":
            raise imaplib.IMAP4.error(f"UID COPY failed: {data!r}")
        imap.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)")

    def _expunge(self, imap: imaplib.IMAP4) -> None:
        if b"MOVE" not in self._capabilities(imap):
            imap.expunge()

    def _capabilities(self, imap: imaplib.IMAP4) -> set[bytes]:
        return self.capabilities

    # -- waiting -----------------------------------------------------------------------------

    def wait_for_mail(self, imap: imaplib.IMAP4) -> None:
        """IDLE until the server reports new mail (or the poll interval passes), else sleep."""
        if self.use_idle and b"IDLE" in self._capabilities(imap):
            self._idle(imap, min(self.poll_seconds, IDLE_MAX_SECONDS))
        else:
            self.stopping.wait(self.poll_seconds)

    def _idle(self, imap: imaplib.IMAP4, seconds: float) -> None:
        tag = imap._new_tag()
        imap.send(tag + b" IDLE\r\n")
        first = imap.readline()
        if not first.startswith(b"+"):
            raise imaplib.IMAP4.abort(f"IDLE refused: {first[:80]!r}")
        deadline = time.monotonic() + seconds
        sock = imap.sock
        try:
            while not self.stopping.is_set() and time.monotonic() < deadline:
                pending = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
                if not pending:
                    readable, _, _ = select.select([sock], [], [], 0.5)
                    if not readable:
                        continue
                line = imap.readline()
                if not line:
                    raise imaplib.IMAP4.abort("connection closed during IDLE")
                if line.startswith(b"* ") and (b"EXISTS" in line or b"RECENT" in line):
                    break
        finally:
            imap.send(b"DONE\r\n")
            while True:
                line = imap.readline()
                if not line:
                    raise imaplib.IMAP4.abort("connection closed ending IDLE")
                if line.startswith(tag):
                    break

    # -- the thread --------------------------------------------------------------------------

    def run(self) -> None:
        """Connect, process, wait; reconnect with backoff on any failure until stopped."""
        delay = 1.0
        while not self.stopping.is_set():
            imap: imaplib.IMAP4 | None = None
            try:
                imap = self.connect()
                folder = self.ensure_folder(imap)
                log.info("imap: connected to mailbox %s:%s", self.url.host, self.url.port)
                delay = 1.0
                while not self.stopping.is_set():
                    moved = self.process_mailbox(imap, folder)
                    self.passes += 1
                    if moved:
                        log.info("imap: %s message(s) stored and moved", moved)
                        continue
                    self.wait_for_mail(imap)
            except ConfigError as exc:
                log.error("imap: %s; the IMAP channel stops", exc)
                return
            except (OSError, imaplib.IMAP4.error, imaplib.IMAP4.abort) as exc:
                log.warning("imap: %s; reconnecting in %.0fs", type(exc).__name__, delay)
            except Exception as exc:  # by type only: errors can quote the mail or the SQL
                log.error("imap: unexpected %s; reconnecting in %.0fs", type(exc).__name__,
                          delay)
            finally:
                if imap is not None:
                    with contextlib.suppress(Exception):  # the connection may already be gone
                        imap.logout()
            self.stopping.wait(delay)
            delay = min(delay * 2, 60.0)

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run, name="imap", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)


def setup(ctx: ChannelContext) -> ChannelRuntime | None:
    """The IMAP channel, when INTAKE_IMAP_URL is set (replies still go out over SMTP)."""
    settings = ctx.settings
    if not settings.imap_url:
        return None
    url = parse_url(settings.imap_url)
    if settings.imap_password is None:
        raise ConfigError("INTAKE_IMAP_PASSWORD: required when INTAKE_IMAP_URL is set")
    own = {parseaddr(settings.mail_from)[1].lower()}
    if "@" in url.user:
        own.add(url.user.lower())
    reader = MailboxReader(url, settings.imap_password.get_secret_value(), receiver=ctx.receive,
                           db=ctx.db, processed_folder=settings.imap_processed_folder,
                           own_addresses=frozenset(own), poll_seconds=settings.imap_poll_seconds,
                           use_idle=settings.imap_idle,
                           max_attachment_bytes=settings.max_attachment_bytes, clock=ctx.clock)

    async def start() -> None:
        reader.start()

    async def stop() -> None:
        await asyncio.to_thread(reader.stop)

    return ChannelRuntime(name="imap", start=start, stop=stop)
