"""Reading a landlord's existing mailbox, against a real Dovecot IMAP server on loopback.

Dovecot (Debian's dovecot-imapd, installed by .ci/system-deps.sh) runs with a throwaway config
in a temporary directory: passwd-file users, maildir storage, plain IMAP on a free loopback
port. Locally the tests skip with a reason when Dovecot is missing; in CI they fail, like the
PostgreSQL fixture, because a missing server there is a broken build.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from channels import imap as imap_channel
from channels.imap import MailboxReader, parse_url
from intake.errors import ConfigError
from intake.receive import Receiver
from storage.attachment_files import files_for_message
from storage.db import Database
from storage.migrate import upgrade
from storage.tables import ChannelRefRow, InboundRow
from tests.helpers import ServiceProcess, SmtpSink, wait_until
from tests.pg import free_port

PASSWORD = "tenant-mailbox-secret"
USERS = ("reader", "crash", "validity", "serve", "poll")
COMPLAINT = ("I have reported the damp and mould in my son's bedroom four times since June. "
             "Two appointments were missed and nobody called back. I want it treated properly "
             "and an apology for how this has been handled.")


@dataclass
class Dovecot:
    port: int
    directory: Path
    proc: subprocess.Popen[bytes]

    def login(self, user: str) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(f"{user}@example.org", PASSWORD)
        return client

    def url(self, user: str, mailbox: str = "INBOX") -> str:
        return f"imap://{user}%40example.org@127.0.0.1:{self.port}/{mailbox}"


CONFIG = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%n
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%n
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def _dovecot_binary() -> str | None:
    found = shutil.which("dovecot") or "/usr/sbin/dovecot"
    return found if os.path.exists(found) and os.path.exists("/usr/lib/dovecot/imap") else None


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    binary = _dovecot_binary()
    problem = None
    if binary is None:
        problem = "Dovecot is not installed (apt-get install dovecot-imapd; .ci/system-deps.sh)"
    elif os.geteuid() != 0:
        problem = "Dovecot's test server needs root to switch to its mail user"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"IMAP server unavailable in CI: {problem}")
        pytest.skip(problem)
    assert binary is not None
    directory = Path(tempfile.mkdtemp(prefix="intake-dovecot-"))
    mail_user = pwd.getpwnam("nobody")
    os.chmod(directory, 0o755)
    os.chown(directory, mail_user.pw_uid, mail_user.pw_gid)
    port = free_port()
    (directory / "dovecot.conf").write_text(CONFIG.format(
        d=directory, uid=mail_user.pw_uid, gid=mail_user.pw_gid, port=port))
    (directory / "passwd").write_text(
        "".join(f"{u}@example.org:{{PLAIN}}{PASSWORD}\n" for u in USERS))
    proc = subprocess.Popen([binary, "-F", "-c", str(directory / "dovecot.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def listening() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    if not wait_until(listening, timeout=20, step=0.1):
        proc.kill()
        log = directory / "dovecot.log"
        pytest.fail("Dovecot did not start:\n" + (log.read_text() if log.exists() else ""))
    try:
        yield Dovecot(port, directory, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'imap.sqlite3'}")
    upgrade(db.engine)
    yield db
    db.dispose()


def mail(subject: str, body: str = COMPLAINT, message_id: str | None = None,
         attachment: bytes | None = None) -> bytes:
    msg_id = message_id or f"<{uuid.uuid4().hex}@tenant.example.com>"
    head = (f"Return-Path: <tenant@example.com>\r\nFrom: Tenant <tenant@example.com>\r\n"
            f"To: complaints@example.org\r\nSubject: {subject}\r\nMessage-ID: {msg_id}\r\n"
            "MIME-Version: 1.0\r\n")
    if attachment is None:
        return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n").encode()
    import base64

    encoded = base64.encodebytes(attachment).decode().replace("\n", "\r\n")
    return (head + 'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n--XX\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n--XX\r\n"
            "Content-Type: image/jpeg\r\nContent-Disposition: attachment; filename=damp.jpg\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" + encoded + "--XX--\r\n").encode()


def append(server: Dovecot, user: str, data: bytes, mailbox: str = "INBOX") -> None:
    client = server.login(user)
    try:
        typ, info = client.append(f'"{mailbox}"', None, None, data)
        assert typ == "OK", info
    finally:
        client.logout()


def count(server: Dovecot, user: str, mailbox: str) -> int:
    client = server.login(user)
    try:
        typ, data = client.select(f'"{mailbox}"', readonly=True)
        assert typ == "OK", data
        return int(data[0] or 0)
    finally:
        client.logout()


def reader(server: Dovecot, user: str, db: Database, mailbox: str = "INBOX",
           cls: type[MailboxReader] = MailboxReader, use_idle: bool = True) -> MailboxReader:
    return cls(parse_url(server.url(user, mailbox)), PASSWORD, receiver=Receiver(db), db=db,
               processed_folder="Intake/Processed",
               own_addresses=frozenset({"complaints@example.org"}), poll_seconds=5,
               use_idle=use_idle, max_attachment_bytes=1_000_000)


def inbound_rows(db: Database) -> list[InboundRow]:
    with db.transaction() as session:
        rows = list(session.scalars(select(InboundRow).order_by(InboundRow.id)))
        for row in rows:
            session.expunge(row)
        return rows


def test_reader_stores_then_moves_creates_the_folder_and_never_stores_twice(
        dovecot: Dovecot, database: Database) -> None:
    first = mail("Mould again", attachment=b"\xff\xd8jpeg-bytes" * 20)
    second = mail("Boiler broken", body="My boiler has been broken for a week.")
    append(dovecot, "reader", first)
    append(dovecot, "reader", second)
    mailbox = reader(dovecot, "reader", database)
    client = mailbox.connect()
    try:
        folder = mailbox.ensure_folder(client)
        assert folder == "Intake/Processed"
        assert mailbox.process_mailbox(client, folder) == 2
    finally:
        client.logout()
    assert count(dovecot, "reader", "INBOX") == 0
    assert count(dovecot, "reader", "Intake/Processed") == 2
    rows = inbound_rows(database)
    assert [r.raw for r in rows] == [first, second]  # byte for byte, in order
    assert rows[0].sender == "tenant@example.com" and rows[0].meta["via"] == "imap"
    files = files_for_message(database, rows[0].id)
    assert [(f.filename, f.data) for f in files] == [("damp.jpg", b"\xff\xd8jpeg-bytes" * 20)]

    # The same message delivered into the mailbox again is moved but not stored again.
    append(dovecot, "reader", first)
    client = mailbox.connect()
    try:
        assert mailbox.process_mailbox(client, mailbox.ensure_folder(client)) == 1
    finally:
        client.logout()
    assert len(inbound_rows(database)) == 2
    assert count(dovecot, "reader", "INBOX") == 0
    assert count(dovecot, "reader", "Intake/Processed") == 3


class FailingMove(MailboxReader):
    """Our reader with the network failing once, right after storing, before the move."""

    fetches = 0
    moves_to_fail = 1

    def _fetch(self, imap: imaplib.IMAP4, uid: int) -> bytes | None:
        type(self).fetches += 1
        return super()._fetch(imap, uid)

    def _move(self, imap: imaplib.IMAP4, uid: int, folder: str) -> None:
        if type(self).moves_to_fail:
            type(self).moves_to_fail -= 1
            raise imaplib.IMAP4.abort("connection reset")
        super()._move(imap, uid, folder)


def test_crash_between_storing_and_moving_loses_nothing_and_fetches_once(
        dovecot: Dovecot, database: Database) -> None:
    data = mail("Leak in kitchen")
    append(dovecot, "crash", data)
    mailbox = reader(dovecot, "crash", database, cls=FailingMove)
    client = mailbox.connect()
    with pytest.raises(imaplib.IMAP4.abort):
        mailbox.process_mailbox(client, mailbox.ensure_folder(client))
    client.logout()
    assert len(inbound_rows(database)) == 1  # stored before the move was tried
    assert count(dovecot, "crash", "INBOX") == 1  # not moved: still visible to staff
    client = mailbox.connect()
    try:
        assert mailbox.process_mailbox(client, mailbox.ensure_folder(client)) == 1
    finally:
        client.logout()
    assert FailingMove.fetches == 1  # remembered by UIDVALIDITY:UID, not downloaded again
    assert len(inbound_rows(database)) == 1
    assert count(dovecot, "crash", "INBOX") == 0


def test_uidvalidity_change_is_handled_without_duplicates(dovecot: Dovecot,
                                                          database: Database) -> None:
    client = dovecot.login("validity")
    assert client.create('"Complaints"')[0] == "OK"
    client.logout()
    known = mail("First")
    append(dovecot, "validity", known, "Complaints")
    mailbox = reader(dovecot, "validity", database, mailbox="Complaints")
    client = mailbox.connect()
    first_validity = mailbox.select(client)
    assert mailbox.process_mailbox(client, mailbox.ensure_folder(client)) == 1
    # The mailbox is rebuilt (a restore, a migration): new UIDVALIDITY, UIDs start again,
    # and the old message comes back beside a new one.
    assert client.select('"INBOX"')[0] == "OK"
    assert client.delete('"Complaints"')[0] == "OK"
    assert client.create('"Complaints"')[0] == "OK"
    client.logout()
    append(dovecot, "validity", known, "Complaints")
    append(dovecot, "validity", mail("Second"), "Complaints")
    client = mailbox.connect()
    try:
        second_validity = mailbox.select(client)
        assert second_validity != first_validity
        assert mailbox.process_mailbox(client, mailbox.ensure_folder(client)) == 2
    finally:
        client.logout()
    rows = inbound_rows(database)
    assert [r.subject for r in rows] == ["First", "Second"]
    with database.transaction() as session:
        keys = list(session.scalars(select(ChannelRefRow.value).where(
            ChannelRefRow.kind == "imap_uid")))
    assert {k.rsplit(":", 2)[1] for k in keys} == {str(first_validity), str(second_validity)}


def test_url_parsing_and_settings_errors() -> None:
    url = parse_url("imaps://landlord%40example.org@outlook.office365.com/INBOX")
    assert (url.secure, url.host, url.port, url.user, url.mailbox, url.auth) == (
        True, "outlook.office365.com", 993, "landlord@example.org", "INBOX", None)
    plain = parse_url("imap://user@127.0.0.1:1143/Complaints%20Inbox")
    assert (plain.port, plain.mailbox, plain.secure) == (1143, "Complaints Inbox", False)
    oauth = parse_url("imaps://me%40example.org;AUTH=XOAUTH2@imap.gmail.com")
    assert oauth.auth == "XOAUTH2" and oauth.mailbox == "INBOX"
    with pytest.raises(ConfigError, match="INTAKE_IMAP_PASSWORD"):
        parse_url("imap://user:secret@host/INBOX")
    with pytest.raises(ConfigError, match="scheme"):
        parse_url("pop3://user@host/INBOX")
    with pytest.raises(ConfigError, match="user@host"):
        parse_url("imap://host/INBOX")


def test_setup_is_skipped_without_settings_and_needs_a_password() -> None:
    from intake.plugins import ChannelContext
    from intake.settings import Settings

    def context(**values: str) -> ChannelContext:
        settings = Settings.model_validate(values)
        return ChannelContext(settings=settings, profile=None,  # type: ignore[arg-type]
                              db=None, receive=None,  # type: ignore[arg-type]
                              clock=lambda: datetime.now(UTC))

    assert imap_channel.setup(context()) is None
    with pytest.raises(ConfigError, match="INTAKE_IMAP_PASSWORD"):
        imap_channel.setup(context(INTAKE_IMAP_URL="imap://u@127.0.0.1:1/INBOX"))


def test_serve_reads_the_mailbox_with_idle_and_answers_over_smtp(
        dovecot: Dovecot, tmp_path: Path, smtp_sink: SmtpSink) -> None:
    proc = ServiceProcess(tmp_path, f"sqlite:///{tmp_path / 'serve.sqlite3'}", smtp_sink.address,
                          extra_env={"INTAKE_IMAP_URL": dovecot.url("serve"),
                                     "INTAKE_IMAP_PASSWORD": PASSWORD,
                                     "INTAKE_IMAP_POLL_SECONDS": "120",
                                     "INTAKE_MAIL_FROM": "complaints@example.org"})
    proc.start()
    try:
        def folder_made() -> bool:
            client = dovecot.login("serve")
            try:
                typ, data = client.list('""', '"Intake/Processed"')
                return typ == "OK" and bool(data and data[0])
            finally:
                client.logout()

        assert wait_until(folder_made, timeout=30, step=0.2), proc.log.read_text()
        time.sleep(0.5)  # the reader is now waiting in IDLE; the poll interval is 2 minutes
        msg_id = "<idle-complaint@tenant.example.com>"
        append(dovecot, "serve", mail("Mould in the bedroom", message_id=msg_id))
        assert wait_until(lambda: len(smtp_sink.raw) == 1, timeout=30, step=0.2), \
            proc.log.read_text()[-3000:]
        ack = smtp_sink.messages()[0]
        assert ack["In-Reply-To"] == msg_id and ack["To"] == "tenant@example.com"
        assert wait_until(lambda: count(dovecot, "serve", "INBOX") == 0, timeout=10)
        assert count(dovecot, "serve", "Intake/Processed") == 1
        log = proc.log.read_text()
        assert "imap channel: enabled" in log and PASSWORD not in log
        assert "Mould in the bedroom" not in log  # no message text in logs
    finally:
        proc.stop()


def test_polling_thread_without_idle_picks_up_new_mail_and_stops(
        dovecot: Dovecot, database: Database) -> None:
    mailbox = reader(dovecot, "poll", database, use_idle=False)
    mailbox.poll_seconds = 0.2
    mailbox.start()
    try:
        assert wait_until(lambda: mailbox.passes >= 1, timeout=15, step=0.05)
        append(dovecot, "poll", mail("Polled complaint"))
        assert wait_until(lambda: len(inbound_rows(database)) == 1, timeout=15, step=0.05)
        assert wait_until(lambda: count(dovecot, "poll", "INBOX") == 0, timeout=10)
    finally:
        started = time.monotonic()
        mailbox.stop()
        assert mailbox.thread is not None and not mailbox.thread.is_alive()
        assert time.monotonic() - started < 5
