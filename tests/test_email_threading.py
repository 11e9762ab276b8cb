"""Threading, loops, bounces and bad input, over real SMTP against a running `intake serve`.

One service (SQLite) serves the whole module; every test writes from its own addresses so the
per-sender reply cap and threading of one test never touch another. Acknowledgements arrive at
a real aiosmtpd relay sink; the database is read directly for what staff would see.
"""

from __future__ import annotations

import re
import smtplib
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from typing import Any, cast

import pytest
from sqlalchemy import select

from storage.attachment_files import files_for_case
from storage.db import Database
from storage.tables import CaseEventRow, CaseRow, InboundRow, OutboxRow, StageRow
from tests.helpers import ServiceProcess, SmtpSink, make_email, wait_until

pytestmark = pytest.mark.slow

COMPLAINT = ("I have reported the damp and mould in my son's bedroom four times since June. "
             "Two appointments were missed and nobody called back. I want it treated properly "
             "and an apology for how this has been handled.")
UNHAPPY = ("I am not happy with your response at all. The mould is still there and nothing has "
           "been fixed. I want to complain about how this has been handled.")
MAX_BYTES = 300_000
MAX_ATTACHMENT = 20_000


class Env:
    """The running service, its relay sink and a direct view of its database."""

    def __init__(self, proc: ServiceProcess, sink: SmtpSink, db: Database) -> None:
        self.proc = proc
        self.sink = sink
        self.db = db

    def send(self, msg: EmailMessage, mail_from: str | None = None) -> str:
        with smtplib.SMTP("127.0.0.1", self.proc.smtp_port, timeout=30) as client:
            client.send_message(msg, from_addr=mail_from)
            return "ok"

    def replies_to(self, address: str) -> list[EmailMessage]:
        return [cast(EmailMessage, m) for m in self.sink.messages() if address in str(m["To"])]

    def inbound(self, external_id: str) -> InboundRow | None:
        with self.db.transaction() as session:
            row = session.scalar(select(InboundRow).where(InboundRow.external_id == external_id))
            if row is not None:
                session.expunge(row)
            return row

    def done(self, external_id: str, timeout: float = 30) -> InboundRow:
        assert wait_until(lambda: (r := self.inbound(external_id)) is not None
                          and r.state == "done", timeout=timeout, step=0.2), external_id
        row = self.inbound(external_id)
        assert row is not None
        return row

    def case(self, ref: str) -> dict[str, Any]:
        with self.db.transaction() as session:
            case = session.scalar(select(CaseRow).where(CaseRow.ref == ref))
            assert case is not None
            events = list(session.scalars(select(CaseEventRow).where(
                CaseEventRow.case_id == case.id).order_by(CaseEventRow.id)))
            outbox = list(session.scalars(select(OutboxRow).where(
                OutboxRow.case_id == case.id).order_by(OutboxRow.id)))
            messages = list(session.scalars(select(InboundRow).where(
                InboundRow.case_id == case.id).order_by(InboundRow.id)))
            return {"id": case.id, "status": case.status, "needs_staff": case.needs_staff,
                    "route": case.route,
                    "events": [(e.action, e.reason or "", dict(e.detail or {})) for e in events],
                    "replies": [(o.kind, o.state, o.message_id, o.last_error) for o in outbox],
                    "messages": [m.external_id for m in messages]}

    def cases_of(self, address: str) -> list[str]:
        with self.db.transaction() as session:
            return list(session.scalars(select(CaseRow.ref).where(
                CaseRow.reply_to == address).order_by(CaseRow.id)))

    def complaint(self, address: str,
                  subject: str = "Mould in bedroom") -> tuple[str, EmailMessage]:
        """Send a fresh complaint and wait for its acknowledgement; returns (ref, ack)."""
        msg_id = f"<{uuid.uuid4().hex}@example.com>"
        self.send(make_email(sender=f"Tenant <{address}>", body=COMPLAINT, subject=subject,
                             message_id=msg_id))
        assert wait_until(lambda: any(m["In-Reply-To"] == msg_id
                                      for m in self.replies_to(address)), timeout=30)
        ack = next(m for m in self.replies_to(address) if m["In-Reply-To"] == msg_id)
        match = re.search(r"CMP-\d{4}-\d{5}", str(ack["Subject"]))
        assert match, ack["Subject"]
        return match.group(0), ack


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    workdir = tmp_path_factory.mktemp("threading")
    sink = SmtpSink()
    sink.start()
    url = f"sqlite:///{workdir / 'intake.sqlite3'}"
    proc = ServiceProcess(workdir, url, sink.address, extra_env={
        "INTAKE_MAX_MESSAGE_BYTES": str(MAX_BYTES),
        "INTAKE_MAX_ATTACHMENT_BYTES": str(MAX_ATTACHMENT)})
    proc.start()
    db = Database(url)
    try:
        yield Env(proc, sink, db)
    finally:
        db.dispose()
        proc.stop()
        sink.stop()


def close_case(db: Database, ref: str, when: datetime | None = None) -> None:
    """What staff do when the stage 1 response has gone out (the staff tools are elsewhere)."""
    when = when or datetime.now(UTC)
    with db.transaction() as session:
        case = session.scalar(select(CaseRow).where(CaseRow.ref == ref))
        assert case is not None
        case.status = "closed"
        case.closed_at = when
        for stage in session.scalars(select(StageRow).where(StageRow.case_id == case.id)):
            stage.closed_at = when
            stage.outcome = "upheld"


def test_reference_in_subject_threads_to_the_case(env: Env) -> None:
    address = "subject-ref@example.com"
    ref, _ack = env.complaint(address)
    follow = make_email(sender=address, subject=f"More about {ref} please",
                        body="The extractor fan has also stopped working now.",
                        message_id="<subject-follow@example.com>")
    env.send(follow)
    row = env.done("<subject-follow@example.com>")
    case = env.case(ref)
    assert row.case_id == case["id"]
    assert env.cases_of(address) == [ref]
    assert "message_added" in [e[0] for e in case["events"]]
    time.sleep(0.5)
    assert len(env.replies_to(address)) == 1  # no second acknowledgement


def test_reply_headers_to_our_message_id_thread_and_quotes_are_stripped(env: Env) -> None:
    address = "reply-headers@example.com"
    ref, ack = env.complaint(address)
    quoted = "\n".join("> " + line for line in ack.get_content().splitlines())
    body = ("The fan is broken as well.\n\nSent from my iPhone\n\n"
            f"On Mon, 2 Jun 2025 at 09:14, Complaints <complaints@localhost> wrote:\n{quoted}\n")
    reply = make_email(sender=address, subject="Re: my email", body=body,
                       message_id="<reply-headers@example.com>",
                       headers={"In-Reply-To": str(ack["Message-ID"]),
                                "References": str(ack["Message-ID"])})
    env.send(reply)
    row = env.done("<reply-headers@example.com>")
    assert row.case_id == env.case(ref)["id"]
    assert row.text == "The fan is broken as well."
    assert "Housing Ombudsman" in row.meta["full_text"]  # staff keep the whole text
    assert env.cases_of(address) == [ref]


def test_unhappy_reply_on_closed_case_is_offered_escalation(env: Env) -> None:
    address = "closed-case@example.com"
    ref, ack = env.complaint(address)
    close_case(env.db, ref)
    reply = make_email(sender=address, subject=f"Re: {ack['Subject']}", body=UNHAPPY,
                       message_id="<closed-reply@example.com>",
                       headers={"In-Reply-To": str(ack["Message-ID"])})
    env.send(reply)
    assert wait_until(lambda: len(env.replies_to(address)) == 2, timeout=30)
    offer = env.replies_to(address)[1]
    assert offer["In-Reply-To"] == "<closed-reply@example.com>"
    assert ref in str(offer["Subject"])
    text = offer.get_content()
    assert "stage 2" in text and "escalate" in text
    case = env.case(ref)
    assert [k for k, *_ in case["replies"]] == ["acknowledgement", "escalation_offer"]
    assert case["needs_staff"]


def test_per_sender_reply_cap_over_smtp(env: Env) -> None:
    address = "many-messages@example.com"
    limit = 5  # hos-2024: automation.max_auto_replies_per_sender_per_hour
    now = datetime.now(UTC)
    if now.minute == 59 and now.second > 20:  # the cap counts per clock hour: stay inside one
        time.sleep(61 - now.second)
    for i in range(limit + 2):
        env.send(make_email(sender=address, subject=f"Complaint number {i}", body=COMPLAINT,
                            message_id=f"<cap{i}@example.com>"))
    for i in range(limit + 2):
        env.done(f"<cap{i}@example.com>")
    time.sleep(1.5)
    assert len(env.replies_to(address)) == limit
    with env.db.transaction() as session:
        states = sorted(session.scalars(select(OutboxRow.state).where(
            OutboxRow.recipient == address)))
    assert states.count("suppressed") == 2 and states.count("sent") == limit
    assert len(env.cases_of(address)) == limit + 2  # every message is still a case


def _dsn(ack: Message, *, headers_only: bool = False, with_message_id: bool = True) -> bytes:
    original = "".join(f"{k}: {v}\r\n" for k, v in ack.items()
                       if k.lower() != "message-id" or with_message_id)
    report = ("Reporting-MTA: dns; mx.example.com\r\n\r\n"
              f"Final-Recipient: rfc822; {ack['To']}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
              "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n")
    if headers_only:
        return ("From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n"
                "To: complaints@localhost\r\nSubject: Undelivered Mail Returned to Sender\r\n"
                f"Message-ID: <{uuid.uuid4().hex}@mx.example.com>\r\n\r\n"
                "This is the mail system. I'm sorry to have to inform you that your message "
                "could not be delivered.\r\n\r\n550 5.1.1 user unknown\r\n\r\n"
                f"------ This is a copy of the message's headers.\r\n\r\n{original}").encode()
    return ("From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n"
            "To: complaints@localhost\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            f"Message-ID: <{uuid.uuid4().hex}@mx.example.com>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
            "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
            f"--B\r\nContent-Type: message/delivery-status\r\n\r\n{report}"
            f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n{original}--B--\r\n").encode()


def _send_raw(env: Env, mail_from: str, data: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", env.proc.smtp_port, timeout=30) as client:
        client.sendmail(mail_from, ["complaints@localhost"], data)


def test_bounce_of_our_acknowledgement_marks_it_undelivered(env: Env) -> None:
    address = "bounced@example.com"
    ref, ack = env.complaint(address)
    _send_raw(env, "", _dsn(ack))
    assert wait_until(lambda: env.case(ref)["replies"][0][1] == "undelivered", timeout=30)
    case = env.case(ref)
    kind, _state, message_id, error = case["replies"][0]
    assert (kind, message_id) == ("acknowledgement", ack["Message-ID"])
    assert error is not None and "5.1.1" in error
    undelivered = [e for e in case["events"] if e[0] == "reply_undelivered"]
    assert len(undelivered) == 1 and undelivered[0][2]["status"] == "5.1.1"
    assert case["needs_staff"]
    time.sleep(0.5)
    assert len(env.replies_to(address)) == 1
    assert not [m for m in env.sink.messages() if "MAILER-DAEMON" in str(m["To"])]


def test_non_standard_bounce_found_by_case_header(env: Env) -> None:
    address = "bounced-plain@example.com"
    ref, ack = env.complaint(address)
    _send_raw(env, "MAILER-DAEMON@mx.example.com",
              _dsn(ack, headers_only=True, with_message_id=False))
    assert wait_until(lambda: env.case(ref)["replies"][0][1] == "undelivered", timeout=30)
    assert "reply_undelivered" in [e[0] for e in env.case(ref)["events"]]


AUTOMATED: list[tuple[str, dict[str, str], str | None]] = [
    ("ooo", {"Auto-Submitted": "auto-replied"}, None),
    ("generated", {"Auto-Submitted": "auto-generated"}, None),
    ("xauto", {"X-Autoreply": "yes"}, None),
    ("xrespond", {"X-Autorespond": "Out of office"}, None),
    ("bulk", {"Precedence": "bulk"}, None),
    ("junk", {"Precedence": "junk"}, None),
    ("list", {"List-Id": "<tenants.lists.example.com>"}, None),
    ("nullpath", {}, ""),
    ("noreply", {}, "no-reply@portal.example.com"),
    ("daemon", {}, "MAILER-DAEMON@mx.example.com"),
    ("own", {}, "complaints@localhost"),
]


def test_automated_mail_is_stored_and_never_answered(env: Env) -> None:
    for name, headers, envelope in AUTOMATED:
        sender = envelope if envelope else f"{name}@auto.example.com"
        msg = make_email(sender=sender or f"{name}@auto.example.com", body=COMPLAINT,
                         subject=f"Your complaint ({name})", message_id=f"<auto-{name}@x>",
                         headers=headers)
        env.send(msg, mail_from=envelope if envelope is not None else None)
    rows = [env.done(f"<auto-{name}@x>") for name, _, _ in AUTOMATED]
    assert all(row.automated for row in rows), [(r.external_id, r.automated) for r in rows]
    time.sleep(1.0)
    answered = {str(m["In-Reply-To"]) for m in env.sink.messages()}
    assert not answered & {f"<auto-{name}@x>" for name, _, _ in AUTOMATED}
    with env.db.transaction() as session:
        ids = [r.id for r in rows]
        assert not list(session.scalars(select(OutboxRow.id).where(
            OutboxRow.inbound_id.in_(ids), OutboxRow.kind != "staff_card")))


def test_message_with_no_text_goes_to_staff_with_its_files(env: Env) -> None:
    address = "photos-only@example.com"
    msg = EmailMessage()
    msg["From"] = address
    msg["To"] = "complaints@localhost"
    msg["Subject"] = ""
    msg["Message-ID"] = "<photos-only@example.com>"
    msg.add_attachment(b"\xff\xd8\xff\xe0small-photo" * 10, maintype="image", subtype="jpeg",
                       filename="ceiling.jpg")
    msg.add_attachment(b"\x00" * (MAX_ATTACHMENT + 1000), maintype="application",
                       subtype="pdf", filename="survey.pdf")
    env.send(msg)
    row = env.done("<photos-only@example.com>")
    assert row.text == "" and row.case_id is not None
    assert [a["filename"] for a in row.attachments] == ["ceiling.jpg", "survey.pdf"]
    with env.db.transaction() as session:
        case = session.get(CaseRow, row.case_id)
        assert case is not None and case.status == "review" and case.needs_staff
        ref = case.ref
    files = {f.filename: f for f in files_for_case(env.db, row.case_id)}
    assert files["ceiling.jpg"].data == b"\xff\xd8\xff\xe0small-photo" * 10
    assert files["survey.pdf"].data is None  # over the limit: described, bytes in the raw
    assert files["survey.pdf"].size == MAX_ATTACHMENT + 1000
    assert wait_until(lambda: len(env.replies_to(address)) == 1, timeout=30)
    assert ref in env.replies_to(address)[0].get_content()


def test_over_the_size_limit_is_refused_with_552_and_the_limit(env: Env) -> None:
    big = make_email(sender="big@example.com", body="x" * (MAX_BYTES + 10_000),
                     message_id="<too-big@example.com>")
    # A client that declares SIZE is refused at MAIL FROM ...
    with pytest.raises(smtplib.SMTPSenderRefused) as declared:
        env.send(big)
    assert declared.value.smtp_code == 552
    assert f"{MAX_BYTES} bytes" in declared.value.smtp_error.decode()
    # ... and one that does not is refused after DATA, with the same reason.
    with smtplib.SMTP("127.0.0.1", env.proc.smtp_port, timeout=30) as client:
        client.ehlo_or_helo_if_needed()
        client.esmtp_features.pop("size", None)
        with pytest.raises(smtplib.SMTPDataError) as undeclared:
            client.sendmail("big@example.com", ["complaints@localhost"], big.as_bytes())
    assert undeclared.value.smtp_code == 552
    error = undeclared.value.smtp_error
    assert "too big" in (error.decode() if isinstance(error, bytes) else error).lower()
    assert env.inbound("<too-big@example.com>") is None


def test_long_lines_and_bare_lf_are_accepted_byte_for_byte(env: Env) -> None:
    data = (b"From: longline@example.com\nTo: complaints@localhost\nSubject: one line\n"
            b"Message-ID: <long-line@example.com>\n\n" + b"word " * 4000 + b"\n")
    with smtplib.SMTP("127.0.0.1", env.proc.smtp_port, timeout=30) as client:
        client.ehlo()
        client.mail("longline@example.com")
        client.rcpt("complaints@localhost")
        code, _ = client.docmd("DATA")
        assert code == 354
        client.send(data + b"\r\n.\r\n")
        code, reply = client.getreply()
    assert code == 250, reply
    row = env.done("<long-line@example.com>")
    assert row.raw == data + b"\r\n"
    assert row.text.startswith("word word")


def test_own_acknowledgement_fed_back_is_not_answered(env: Env) -> None:
    address = "loop@example.com"
    ref, ack = env.complaint(address)
    del ack["To"]
    ack["To"] = "complaints@localhost"
    env.send(ack, mail_from="complaints@localhost")
    row = env.done(str(ack["Message-ID"]))
    assert row.automated
    time.sleep(0.5)
    assert len(env.replies_to(address)) == 1
    assert "automated_ignored" in [e[0] for e in env.case(ref)["events"]]
