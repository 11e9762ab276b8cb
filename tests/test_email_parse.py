"""Raw email -> InboundMessage: text extraction, threading ids, and automated-sender detection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from channels.email_parse import parse_email

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


def test_whole_public_corpus_parses(shared_dir: Path) -> None:
    """Every real-world message from mature mail projects parses without an exception."""
    index = shared_dir / "corpus" / "emails" / "index.jsonl"
    if not index.exists():
        pytest.skip("../shared/corpus/emails is not beside the repository")
    entries = [json.loads(line) for line in index.read_text().splitlines() if line.strip()]
    auto = 0
    for entry in entries:
        data = (index.parent / entry["file"]).read_bytes()
        parsed = parse_email(data, envelope_from="sender@example.net")
        assert parsed.message.raw == data
        features = entry.get("features", [])
        if "auto_reply" in features or "bounce" in features:
            auto += parsed.message.automated is not None
    assert len(entries) >= 600
    assert auto > 0
