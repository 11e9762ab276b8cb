"""Raw email -> InboundMessage: text extraction, threading ids, and automated-sender detection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from channels.email_attachments import mime_files
from channels.email_bounce import read_bounce
from channels.email_html import html_to_text
from channels.email_parse import ParsedEmail, parse_email, parse_message
from channels.email_quote import split_reply, strip_quotes

OWN = frozenset({"complaints@localhost"})


def raw(headers: str, body: str = "My boiler is broken again.\n") -> bytes:
    return (headers.strip() + "\n\n" + body).replace("\n", "\r\n").encode()


BASE = "From: Jo Bloggs <jo@example.com>\nTo: complaints@localhost\nSubject: Boiler\n" \
       "Message-ID: <m1@example.com>"


def test_plain_message() -> None:
    parsed = parse_email(raw(BASE), envelope_from="jo@example.com", own_addresses=OWN)
    msg = parsed.message
    assert msg.text == "My boiler is broken again."
    assert msg.sender == "jo@example.com" and msg.sender_name == "Jo Bloggs"
    assert msg.external_id == "<m1@example.com>"
    assert msg.automated is None and parsed.parse_error is None


def test_html_only_becomes_text() -> None:
    headers = BASE + "\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8"
    body = "<html><head><style>p{}</style></head><body><p>Damp in the <b>bedroom</b></p>" \
           "<p>since May</p></body></html>"
    msg = parse_email(raw(headers, body), envelope_from="jo@example.com").message
    assert "Damp in the" in msg.text and "bedroom" in msg.text and "since May" in msg.text
    assert "<" not in msg.text and "p{}" not in msg.text


def test_reply_to_and_threading_headers() -> None:
    headers = BASE + "\nReply-To: other@example.org\nIn-Reply-To: <a@x>\nReferences: <b@x> <a@x>"
    msg = parse_email(raw(headers)).message
    assert msg.sender == "other@example.org"
    assert msg.thread_ids == ("<a@x>", "<b@x>")


@pytest.mark.parametrize(
    ("extra", "envelope", "reason"),
    [
        ("Auto-Submitted: auto-replied", "jo@example.com", "Auto-Submitted"),
        ("X-Autoreply: yes", "jo@example.com", "X-Autoreply"),
        ("X-Autorespond: yes", "jo@example.com", "X-Autorespond"),
        ("Precedence: bulk", "jo@example.com", "Precedence"),
        ("Precedence: auto_reply", "jo@example.com", "Precedence"),
        ("List-Id: <tenants.example.com>", "jo@example.com", "mailing list"),
        ("", "", "empty return path"),
        ("", "MAILER-DAEMON@mx.example.com", "automated sender"),
        ("", "noreply@example.com", "automated sender"),
        ("", "no-reply@example.com", "automated sender"),
        ("", "postmaster@example.com", "automated sender"),
        ("", "complaints@localhost", "own address"),
    ],
)
def test_automated_senders_detected(extra: str, envelope: str, reason: str) -> None:
    headers = BASE + ("\n" + extra if extra else "")
    msg = parse_email(raw(headers), envelope_from=envelope, own_addresses=OWN).message
    assert msg.automated is not None and reason in msg.automated


def test_auto_submitted_no_is_a_person() -> None:
    msg = parse_email(raw(BASE + "\nAuto-Submitted: no"), envelope_from="jo@example.com").message
    assert msg.automated is None


def test_delivery_status_notification() -> None:
    headers = ("From: Mail Delivery System <mailer@example.com>\nTo: complaints@localhost\n"
               "Subject: Undelivered\nMIME-Version: 1.0\n"
               'Content-Type: multipart/report; report-type=delivery-status; boundary="b"')
    body = "--b\nContent-Type: text/plain\n\nCould not deliver.\n--b--\n"
    msg = parse_email(raw(headers, body), envelope_from="bounce@example.com").message
    assert msg.automated is not None


def test_mbox_line_bom_and_no_headers_survive() -> None:
    data = b"\xef\xbb\xbfFrom someone@example.com Sat Jan  3 01:05:34 1996\r\n" + raw(BASE)
    msg = parse_email(data).message
    assert msg.subject == "Boiler" and msg.raw == data
    headerless = parse_email(b"just some words with no headers at all").message
    assert headerless.external_id.startswith("sha256:")


def test_unknown_charset_and_broken_base64_do_not_raise() -> None:
    headers = BASE + ("\nMIME-Version: 1.0\nContent-Type: text/plain; charset=x-unknown-cs\n"
                      "Content-Transfer-Encoding: base64")
    parsed = parse_email(raw(headers, "!!!not base64@@@\n"))
    assert parsed.message.raw  # kept whatever happened


def test_attachments_listed_not_inlined() -> None:
    headers = BASE + '\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="z"'
    body = ("--z\nContent-Type: text/plain\n\nPhotos attached.\n--z\n"
            "Content-Type: image/jpeg\nContent-Disposition: attachment; filename=mould.jpg\n"
            "Content-Transfer-Encoding: base64\n\n/9j/4AAQSkZJRg==\n--z--\n")
    msg = parse_email(raw(headers, body)).message
    assert msg.text == "Photos attached."
    assert [a.filename for a in msg.attachments] == ["mould.jpg"]
    assert msg.attachments[0].size > 0


_PARSED: dict[str, ParsedEmail] = {}


def parsed_corpus(shared_dir: Path, name: str) -> ParsedEmail:
    """Each corpus file parsed once per test session (the corpus tests share the work)."""
    if name not in _PARSED:
        data = (shared_dir / "corpus" / "emails" / name).read_bytes()
        _PARSED[name] = parse_email(data, envelope_from="sender@example.net")
    return _PARSED[name]


def test_whole_public_corpus_parses(shared_dir: Path) -> None:
    """Every real-world message from mature mail projects parses without an exception."""
    index = shared_dir / "corpus" / "emails" / "index.jsonl"
    if not index.exists():
        pytest.skip("../shared/corpus/emails is not beside the repository")
    entries = [json.loads(line) for line in index.read_text().splitlines() if line.strip()]
    auto = 0
    for entry in entries:
        data = (index.parent / entry["file"]).read_bytes()
        parsed = parsed_corpus(shared_dir, entry["file"])
        assert parsed.message.raw == data
        features = entry.get("features", [])
        if "auto_reply" in features or "bounce" in features:
            auto += parsed.message.automated is not None
    assert len(entries) >= 600
    assert auto > 0


# -- the customer's new words ---------------------------------------------------------------


GMAIL = """The boiler is still broken and I have two small children.

On Tue, 3 Jun 2025 at 10:02, Complaints Team <complaints@example.org> wrote:
> Dear customer,
> We have received your complaint (reference CMP-2025-00012).
"""
OUTLOOK = """Nobody came on Friday either.

________________________________
From: Complaints Team <complaints@example.org>
Sent: 03 June 2025 10:02
To: Jo Bloggs <jo@example.com>
Subject: RE: Boiler [CMP-2025-00012]

Dear customer, we have received your complaint.
"""
ORIGINAL = """Please call me back.

-----Original Message-----
From: Complaints <complaints@example.org>
Sent: Tuesday, June 3, 2025 10:02 AM
Subject: Boiler

Dear customer
"""
APPLE = """Still waiting.

> On 3 Jun 2025, at 10:02, Complaints <complaints@example.org> wrote:
>
> Dear customer
"""
WRAPPED = """Thanks, but the mould is back.

On Tue, Jun 3, 2025 at 10:02 AM Complaints Team at Example Homes <
complaints@example.org> wrote:

> Dear customer
"""
INLINE = """> When did the leak start?
It started in March.
> Which room?
The bathroom, above the bath.
"""
SIGNED = """The gutter is overflowing onto the path.

Kind regards
Jo

--
Jo Bloggs
07700 900123
"""
FOOTER = """My rent statement is wrong again.

Jo

This email and any attachments are confidential and intended solely for the addressee. If you
have received this email in error please notify the sender.
"""
MOBILE = "The door lock is broken.\n\nSent from my iPhone\n"
FORWARD = """---------- Forwarded message ---------
From: Repairs <repairs@example.org>
Date: Mon, 2 Jun 2025 at 09:00
Subject: Appointment
To: <jo@example.com>

Your appointment on 30 May has been cancelled.
"""


@pytest.mark.parametrize(("text", "new_words"), [
    (GMAIL, "The boiler is still broken and I have two small children."),
    (OUTLOOK, "Nobody came on Friday either."),
    (ORIGINAL, "Please call me back."),
    (APPLE, "Still waiting."),
    (WRAPPED, "Thanks, but the mould is back."),
    (INLINE, "It started in March.\nThe bathroom, above the bath."),
    (SIGNED, "The gutter is overflowing onto the path.\n\nKind regards\nJo"),
    (FOOTER, "My rent statement is wrong again.\n\nJo"),
    (MOBILE, "The door lock is broken."),
    ("My boiler broke again.\nOn 3 May I wrote:\nto you and nobody replied.",
     "My boiler broke again.\nOn 3 May I wrote:\nto you and nobody replied."),
    ("From: Jo Bloggs\nTo: Housing Officer\nSubject: Complaint\n\nThe roof leaks.",
     "From: Jo Bloggs\nTo: Housing Officer\nSubject: Complaint\n\nThe roof leaks."),
])
def test_quoted_history_signatures_and_footers_are_removed(text: str, new_words: str) -> None:
    assert split_reply(text).new_text == new_words


def test_forwarded_mail_and_all_quoted_mail_keep_their_text() -> None:
    assert "has been cancelled" in split_reply(FORWARD).new_text
    only_quote = "> I want to complain about the mould.\n> It is everywhere.\n"
    assert split_reply(only_quote).new_text == only_quote.strip()
    assert strip_quotes("No quotes here.\nJust words.") == ("No quotes here.\nJust words.", "")


def test_parsed_reply_keeps_full_text_for_staff() -> None:
    msg = parse_email(raw(BASE, GMAIL)).message
    assert msg.text == "The boiler is still broken and I have two small children."
    assert "CMP-2025-00012" in msg.metadata["full_text"]
    assert msg.metadata["quote_stripped"]["quoted_chars"] > 0


def test_html_only_reply_is_readable_and_its_quote_stripped() -> None:
    headers = BASE + "\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8"
    html = ('<div dir="ltr">The <b>kitchen</b> ceiling has <i>fallen in</i>.<br>Please help.'
            '<ul><li>Photos attached</li><li>Available Monday</li></ul></div>'
            '<div class="gmail_quote"><div>On Tue, 3 Jun 2025 at 10:02, Complaints '
            '&lt;complaints@example.org&gt; wrote:</div><blockquote type="cite">'
            '<p>Dear customer</p><p>We have received your complaint.</p></blockquote></div>')
    msg = parse_email(raw(headers, html)).message
    assert msg.text == ("The kitchen ceiling has fallen in.\nPlease help.\n\n- Photos attached\n"
                        "- Available Monday")
    assert "> Dear customer" in msg.metadata["full_text"]


def _corpus_entries(shared_dir: Path) -> list[dict[str, object]]:
    index = shared_dir / "corpus" / "emails" / "index.jsonl"
    if not index.exists():
        pytest.skip("../shared/corpus/emails is not beside the repository")
    return [json.loads(line) for line in index.read_text().splitlines() if line.strip()]


def _norm(text: str) -> str:
    return " ".join(text.split())


def test_quote_stripping_measured_on_talon_fixtures(shared_dir: Path) -> None:
    """talon's expected reply text after quote stripping: the figure reported for issue 8."""
    entries = [e for e in _corpus_entries(shared_dir)
               if str(e.get("expected_kind", "")).startswith("reply_text")]
    exact = 0
    for entry in entries:
        msg = parsed_corpus(shared_dir, str(entry["file"])).message
        full = str(msg.metadata.get("full_text", msg.text))
        new_text, _quoted = strip_quotes(full)
        exact += _norm(new_text) == _norm(str(entry["expected_body_excerpt"]))
        # What triage reads also drops the signature talon keeps ("Sent from my iPhone").
        assert _norm(str(entry["expected_body_excerpt"])).startswith(_norm(msg.text))
    print(f"\nquote stripping: {exact}/{len(entries)} talon replies exactly as expected")
    assert len(entries) >= 12 and exact / len(entries) >= 0.9


def test_automated_detection_measured_on_tagged_corpus(shared_dir: Path) -> None:
    """Every corpus message tagged auto-reply, bounce, list or bulk is flagged automated."""
    tags = {"auto_reply", "bounce", "mailing_list", "precedence:bulk", "precedence:junk",
            "precedence:list", "auto_submitted:auto-replied", "auto_submitted:auto-generated",
            "mdn_read_receipt", "arf_feedback_report"}
    tagged = [e for e in _corpus_entries(shared_dir)
              if tags & {str(f) for f in e.get("features", [])}]  # type: ignore[attr-defined]
    missed = [e["file"] for e in tagged
              if parsed_corpus(shared_dir, str(e["file"])).message.automated is None]
    print(f"\nautomated detection: {len(tagged) - len(missed)}/{len(tagged)} tagged messages")
    assert not missed


def test_body_text_matches_stalwart_expectations(shared_dir: Path) -> None:
    """stalwart mail-parser's decoded first body part is found in our text (readability)."""
    entries = [e for e in _corpus_entries(shared_dir)
               if "stalwart" in str(e.get("expected_kind", ""))]
    found = 0
    for entry in entries:
        msg = parsed_corpus(shared_dir, str(entry["file"])).message
        expected = str(entry["expected_body_excerpt"])
        if "html" in str(entry["expected_kind"]):
            expected = html_to_text(expected)
        text = _norm(str(msg.metadata.get("full_text", msg.text)))
        found += _norm(expected)[:60] in text
    print(f"\nbody text: {found}/{len(entries)} stalwart expectations found")
    assert found / len(entries) >= 0.9



def test_dsn_names_our_message_case_and_status() -> None:
    data = (b"From: MAILER-DAEMON@mx.example.com\r\nTo: complaints@localhost\r\n"
            b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx>\r\n"
            b"MIME-Version: 1.0\r\n"
            b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
            b"--B\r\nContent-Type: text/plain\r\n\r\nSorry.\r\n--B\r\n"
            b"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
            b"Final-Recipient: rfc822; jo@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            b"--B\r\nContent-Type: message/rfc822\r\n\r\nFrom: complaints@localhost\r\n"
            b"Message-ID: <intake.abc@localhost>\r\nX-Intake-Case: CMP-2025-00007\r\n\r\nHi\r\n"
            b"--B--\r\n")
    parsed = parse_email(data, envelope_from="", own_addresses=OWN).message
    assert parsed.automated is not None
    bounce = parsed.metadata["bounce"]
    assert bounce["message_ids"] == ["<intake.abc@localhost>"]
    assert bounce["case_ref"] == "CMP-2025-00007" and bounce["status"] == "5.1.1"
    assert bounce["permanent"] and bounce["recipients"] == ["jo@example.com"]
    assert "<intake.abc@localhost>" in parsed.thread_ids
    delayed = read_bounce(parse_message(data.replace(b"Action: failed", b"Action: delayed")
                                        .replace(b"5.1.1", b"4.4.1")), data)
    assert delayed.action == "delayed" and not delayed.permanent


def test_auto_reply_to_our_ack_is_not_a_bounce() -> None:
    headers = BASE + "\nAuto-Submitted: auto-replied\nIn-Reply-To: <intake.abc@localhost>"
    msg = parse_email(raw(headers, "I am away until Monday."), envelope_from="jo@example.com")
    assert msg.message.automated and "bounce" not in msg.message.metadata


def test_attachment_files_respect_the_size_limit() -> None:
    headers = BASE + '\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="z"'
    body = ("--z\nContent-Type: text/plain\n\nPhotos attached.\n--z\n"
            "Content-Type: image/jpeg\nContent-Disposition: attachment; filename=small.jpg\n"
            "Content-Transfer-Encoding: base64\n\n/9j/4AAQSkZJRg==\n--z\n"
            "Content-Type: application/pdf\nContent-Disposition: attachment; filename=big.pdf\n"
            "Content-Transfer-Encoding: base64\n\n" + "QUFB" * 100 + "\n--z--\n")
    files = mime_files(raw(headers, body), max_bytes=50)
    assert [(f.filename, f.size, f.data is not None) for f in files] == [
        ("small.jpg", 10, True), ("big.pdf", 300, False)]
    assert files[0].data == b"\xff\xd8\xff\xe0\x00\x10JFIF"
    assert len({f.source_ref for f in files}) == 2


def test_undeclared_charset_is_guessed() -> None:
    headers = BASE + "\nMIME-Version: 1.0\nContent-Type: text/plain"
    data = raw(headers, "x").replace(b"\r\n\r\nx", b"\r\n\r\nCaf\xe9 ceiling \xa3200 damage")
    assert parse_email(data).message.text == "Café ceiling £200 damage"


@pytest.mark.parametrize(("extra", "automated"), [
    ("Subject: Automatic reply: Boiler", True),
    ("Subject: Out of Office: back Monday", True),
    ("X-MS-Exchange-Inbox-Rules-Loop: jo@example.com", True),
    ("X-Apple-Action: VACATION", True),
    ("Mailing-List: contact tenants-help@example.org", True),
    ("Return-Path: <>", True),
    ("Subject: Out of office hours repair never came", False),
    ("Subject: Undelivered parcel left in the communal hall", False),
])
def test_more_robots_and_the_tenants_they_must_not_catch(extra: str, automated: bool) -> None:
    headers = BASE.replace("Subject: Boiler\n", "") + "\n" + extra
    if not extra.startswith("Subject"):
        headers += "\nSubject: Boiler"
    msg = parse_email(raw(headers), envelope_from="jo@example.com", own_addresses=OWN).message
    assert (msg.automated is not None) == automated, msg.automated


def test_unreadable_fallback_keeps_bytes_for_staff_review() -> None:
    from datetime import UTC, datetime

    from channels.email_parse import unreadable_email

    parsed = unreadable_email(b"\x00\x01garbage", envelope_from="jo@example.com",
                              recipient="complaints@localhost", now=datetime.now(UTC),
                              error=ValueError("boom"))
    assert parsed.message.raw == b"\x00\x01garbage" and parsed.message.text == ""
    assert parsed.message.automated is None and parsed.message.sender == "jo@example.com"
    assert parsed.message.external_id.startswith("sha256:")
    assert parsed.parse_error == "parse failed: ValueError"
    bounce = unreadable_email(b"x", envelope_from="", recipient=None, now=datetime.now(UTC),
                              error=ValueError("boom"))
    assert bounce.message.automated is not None
