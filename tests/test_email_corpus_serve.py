"""The whole public email corpus through a running `intake serve`, over real SMTP on loopback.

624 real-world messages from mature mail projects' test fixtures (bounces, auto-replies,
mailing lists, broken MIME, bare LF, 8-bit headers, 4 MB attachments...). Each must be
accepted with 250, stored byte for byte, processed without sending the worker to dead
letters, and no automated one may be answered. SQLite only: this is about the channel, and the
other backends' behaviour is covered by test_serve_email.
"""

from __future__ import annotations

import json
import re
import smtplib
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.tables import InboundRow, OutboxRow
from tests.helpers import ServiceProcess, SmtpSink, wait_until

pytestmark = pytest.mark.slow

INBOX = "complaints@localhost"
_RETURN_PATH = re.compile(rb"^Return-Path:[ \t]*<?([^<>\s]*)>?", re.IGNORECASE | re.MULTILINE)
_FROM = re.compile(rb"^From:[^\r\n]*?<?([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+)>?",
                   re.IGNORECASE | re.MULTILINE)


def corpus(shared_dir: Path) -> list[dict[str, Any]]:
    index = shared_dir / "corpus" / "emails" / "index.jsonl"
    if not index.exists():
        pytest.skip(f"the shared email corpus is not beside the repository ({index} missing)")
    return [json.loads(line) for line in index.read_text().splitlines() if line.strip()]


def envelope_sender(data: bytes, number: int) -> str:
    """What a real MTA would have used: the recorded Return-Path, else the From address."""
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    for pattern in (_RETURN_PATH, _FROM):
        match = pattern.search(head)
        if match:
            try:
                address = match.group(1).decode("ascii")
            except UnicodeDecodeError:
                continue
            if address == "" and pattern is _RETURN_PATH:
                return ""  # a bounce: the null reverse path
            if re.fullmatch(r"[^@\s]+@[^@\s]+", address):
                return address
    return f"corpus{number}@example.net"


def send_exact(port: int, sender: str, data: bytes) -> tuple[int, str]:
    """One SMTP transaction sending `data` exactly: only RFC 5321 dot-stuffing at CRLF line
    starts (smtplib would also stuff after bare LFs and change the bytes of LF-only mail)."""
    stuffed = re.sub(rb"(\A|\r\n)\.", rb"\1..", data)
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"  # SMTP cannot carry a message not ending in CRLF
    with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
        client.ehlo("corpus.example.net")
        code, reply = client.mail(sender)
        if code != 250:
            return code, reply.decode()
        code, reply = client.rcpt(INBOX)
        if code != 250:
            return code, reply.decode()
        code, reply = client.docmd("DATA")
        if code != 354:
            return code, reply.decode()
        client.send(stuffed + b".\r\n")
        code, reply = client.getreply()
        return code, reply.decode()


def test_whole_corpus_over_smtp(tmp_path: Path, shared_dir: Path, smtp_sink: SmtpSink) -> None:
    entries = corpus(shared_dir)
    base = shared_dir / "corpus" / "emails"
    url = f"sqlite:///{tmp_path / 'corpus.sqlite3'}"
    proc = ServiceProcess(tmp_path, url, smtp_sink.address,
                          extra_env={"INTAKE_WORKERS": "2", "INTAKE_LEASE_SECONDS": "120"})
    proc.start()
    started = time.monotonic()
    try:
        def one(item: tuple[int, dict[str, Any]]) -> tuple[str, bytes, int, str]:
            number, entry = item
            data = (base / entry["file"]).read_bytes()
            code, reply = send_exact(proc.smtp_port, envelope_sender(data, number), data)
            return entry["file"], data, code, reply

        with ThreadPoolExecutor(max_workers=24) as pool:
            results = list(pool.map(one, enumerate(entries)))
        refused = [(name, code, reply) for name, _, code, reply in results if code != 250]
        assert not refused, f"refused: {refused[:5]}"
        ids: dict[str, int] = {}
        for name, _, _, reply in results:
            match = re.search(r"\(id (\d+)\)", reply)
            assert match, reply
            ids[name] = int(match.group(1))
        sent_at = time.monotonic() - started

        db = Database(url)
        try:
            def pending() -> int:
                with db.transaction() as session:
                    return len(list(session.scalars(
                        select(InboundRow.id).where(InboundRow.state == "pending"))))

            assert wait_until(lambda: pending() == 0, timeout=240, step=0.5), pending()
            processed_at = time.monotonic() - started
            assert proc.proc is not None and proc.proc.poll() is None, "intake serve died"

            with db.transaction() as session:
                rows = {r.id: r for r in session.scalars(select(InboundRow))}
                outbox = list(session.scalars(select(OutboxRow)))
                # Stored byte for byte (plus the CRLF SMTP needs when the file lacks one).
                for name, data, _, _ in results:
                    expected = data if data.endswith(b"\r\n") else data + b"\r\n"
                    assert rows[ids[name]].raw == expected, name
                states = {r.state for r in rows.values()}
                dead = [(r.id, r.dead_stage, (r.last_error or "")[-300:])
                        for r in rows.values() if r.state != "done"]
                assert not dead, f"messages the worker could not process: {dead[:3]}"
                assert states == {"done"}
                # Nothing automated answered: every reply belongs to a person's message.
                automated = {i for i, r in rows.items() if r.automated}
                answered = [o for o in outbox if o.kind != "staff_card"]
                assert not [o.id for o in answered if o.inbound_id in automated]
                people = len(rows) - len(automated)
                by_file = {name: rows[ids[name]] for name, _, _, _ in results}
                tagged = [e["file"] for e in entries
                          if {"auto_reply", "bounce"} & set(e.get("features", []))]
                assert all(by_file[f].automated for f in tagged), \
                    [f for f in tagged if not by_file[f].automated]
                message_ids = {o.message_id: o for o in answered}

            wanted = sum(1 for o in answered if o.state in ("pending", "retry", "sending", "sent"))
            assert wait_until(lambda: len(smtp_sink.raw) >= wanted, timeout=120, step=0.5)
            time.sleep(1.0)
            replies = smtp_sink.messages()
            assert 0 < len(replies) <= people
            for answer in replies:
                row = message_ids.get(str(answer["Message-ID"]))
                assert row is not None and row.inbound_id not in automated
                assert answer["Auto-Submitted"] == "auto-replied"
            print(f"\ncorpus: {len(entries)} files, {len(rows)} stored rows, {len(automated)} "
                  f"automated, {people} from people, {len(replies)} replies at the relay; "
                  f"sent in {sent_at:.1f}s, processed in {processed_at:.1f}s")
        finally:
            db.dispose()
    finally:
        proc.stop()
