"""`intake serve` end to end over real SMTP on loopback, on SQLite and PostgreSQL.

These run the service as a subprocess, exactly as an operator would, and talk to it with
smtplib; acknowledgements arrive at a real aiosmtpd relay sink.
"""

from __future__ import annotations

import re
import shutil
import smtplib
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from intake.calendar import WorkingCalendar
from tests.helpers import INTAKE, REPO, ServiceProcess, SmtpSink, make_email, wait_until

pytestmark = pytest.mark.slow

COMPLAINT = ("I have reported the damp and mould in my son's bedroom four times since June. "
             "Two appointments were missed and nobody called back. I want it treated properly "
             "and an apology for how this has been handled.")


@pytest.fixture
def service(tmp_path: Path, db_url: str, smtp_sink: SmtpSink) -> Any:
    proc = ServiceProcess(tmp_path, db_url, smtp_sink.address)
    proc.start()
    yield proc
    if proc.proc is not None and proc.proc.poll() is None:
        proc.stop()


def send(port: int, msg: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.send_message(msg)


def acks(sink: SmtpSink) -> list[Any]:
    return [m for m in sink.messages() if m["Auto-Submitted"] == "auto-replied"]


def test_complaint_acknowledged_threaded_and_out_of_office_ignored(
        service: ServiceProcess, smtp_sink: SmtpSink) -> None:
    send(service.smtp_port, make_email(body=COMPLAINT, subject="Mould in bedroom",
                                       message_id="<first@example.com>"))
    assert wait_until(lambda: len(acks(smtp_sink)) == 1, timeout=20)
    ack = acks(smtp_sink)[0]
    match = re.search(r"CMP-\d{4}-\d{5}", ack["Subject"])
    assert match, ack["Subject"]
    ref = match.group(0)
    assert ack["In-Reply-To"] == "<first@example.com>"
    assert ack["To"] == "priya@example.com"
    body = ack.get_content()
    detail = service.cli_json("cases", "show", ref, "--json")
    respond = next(d for d in detail["stages"][0]["deadlines"] if d["kind"] == "respond")
    due = respond["due"]
    cal = WorkingCalendar()
    start = cal.local_date(__import__("datetime").datetime.fromisoformat(detail["opened_at"]))
    assert due == cal.add_working_days(start, 10).isoformat()
    from datetime import date

    assert date.fromisoformat(due).strftime("%d %B %Y") in body
    assert ref in body and "Housing Ombudsman" in body
    assert wait_until(lambda: service.cli_json("cases", "show", ref, "--json")["stages"][0]
                      ["deadlines"][0]["met_at"] is not None, timeout=10)
    assert [e["action"] for e in detail["events"]][:2] == ["opened", "stage_opened"]

    # The customer replies to our acknowledgement: same case, no new acknowledgement.
    reply = make_email(body="Also the extractor fan has stopped working.",
                       subject=f"Re: {ack['Subject']}", message_id="<second@example.com>",
                       headers={"In-Reply-To": ack["Message-ID"],
                                "References": ack["Message-ID"]})
    send(service.smtp_port, reply)
    # An out-of-office reply to our acknowledgement gets no answer.
    ooo = make_email(body="I am out of the office until Monday.", subject="Automatic reply",
                     message_id="<ooo@example.com>",
                     headers={"Auto-Submitted": "auto-replied", "In-Reply-To": ack["Message-ID"]})
    send(service.smtp_port, ooo)
    # Our own acknowledgement fed back into the inbox (a loop) gets no answer either.
    loop = ack
    del loop["To"]
    loop["To"] = "complaints@localhost"
    send(service.smtp_port, loop)
    assert wait_until(lambda: service.cli_json("status", "--json")["inbound"].get("done") == 4)
    time.sleep(1.0)
    assert len(acks(smtp_sink)) == 1
    detail = service.cli_json("cases", "show", ref, "--json")
    actions = [e["action"] for e in detail["events"]]
    assert "message_added" in actions and "automated_ignored" in actions
    assert len(service.cli_json("cases", "list", "--json")) == 1


def test_500_concurrent_emails_each_answered_once(service: ServiceProcess,
                                                  smtp_sink: SmtpSink) -> None:
    total = 500

    def one(i: int) -> None:
        msg = make_email(sender=f"Tenant {i} <tenant{i}@example.com>",
                         body=f"{COMPLAINT} My flat is number {i}.",
                         subject=f"Complaint {i}", message_id=f"<burst{i}@example.com>")
        send(service.smtp_port, msg)

    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(one, range(total)))
    assert wait_until(lambda: len(smtp_sink.raw) >= total, timeout=240, step=0.5), \
        f"only {len(smtp_sink.raw)} of {total} replies arrived"
    time.sleep(2.0)
    replies = smtp_sink.messages()
    assert len(replies) == total
    in_reply_to = [m["In-Reply-To"] for m in replies]
    assert len(set(in_reply_to)) == total
    assert len({m["Message-ID"] for m in replies}) == total
    status = service.cli_json("status", "--json")
    assert status["inbound"] == {"done": total}
    assert status["outbox"] == {"sent": total}


def test_sigkill_mid_burst_loses_nothing_and_sends_nothing_twice(
        tmp_path: Path, db_url: str, smtp_sink: SmtpSink) -> None:
    proc = ServiceProcess(tmp_path, db_url, smtp_sink.address)
    proc.start()
    total = 200
    accepted: set[int] = set()
    lock = threading.Lock()
    stop_sending = threading.Event()

    def sender(ids: list[int]) -> None:
        for i in ids:
            msg = make_email(sender=f"t{i}@example.com", body=f"{COMPLAINT} Ref {i}.",
                             subject=f"Complaint {i}", message_id=f"<kill{i}@example.com>")
            give_up = time.monotonic() + 300  # a real MTA retries for days
            while time.monotonic() < give_up:
                try:
                    send(proc.smtp_port, msg)
                    with lock:
                        accepted.add(i)
                    break
                except (OSError, smtplib.SMTPException):
                    time.sleep(0.2)
            if stop_sending.is_set():
                return

    chunks = [list(range(k, total, 8)) for k in range(8)]
    threads = [threading.Thread(target=sender, args=(chunk,)) for chunk in chunks]
    for t in threads:
        t.start()
    assert wait_until(lambda: len(accepted) >= total // 3, timeout=120)
    proc.kill()  # SIGKILL in the middle of the burst
    killed_at = len(accepted)
    time.sleep(0.5)
    proc.start()
    for t in threads:
        t.join(timeout=320)
    assert len(accepted) == total, f"{killed_at} accepted before the kill"
    assert wait_until(lambda: len(smtp_sink.raw) >= total, timeout=240, step=0.5)
    time.sleep(3.0)
    replies = smtp_sink.messages()
    answered = [m["In-Reply-To"] for m in replies]
    assert set(answered) == {f"<kill{i}@example.com>" for i in range(total)}, "missing replies"
    # Exactly one reply per message. The only repeat SMTP allows is a reply the relay took in
    # the instant before the killed process could record it: it is delivered again, as the
    # same message (same Message-ID, which mail clients show once), never a second reply, and
    # only for the few deliveries in flight when the process died.
    ids_per_thread: dict[str, set[str]] = {}
    for reply in replies:
        ids_per_thread.setdefault(str(reply["In-Reply-To"]), set()).add(str(reply["Message-ID"]))
    assert all(len(ids) == 1 for ids in ids_per_thread.values()), "a second, different reply"
    assert len(replies) - total <= 8, f"{len(replies) - total} repeats"
    status = proc.cli_json("status", "--json")
    assert status["inbound"] == {"done": total}
    proc.stop()


def test_relay_outage_delays_but_does_not_lose(tmp_path: Path, db_url: str,
                                               smtp_sink: SmtpSink) -> None:
    smtp_sink.fail_next = 2
    proc = ServiceProcess(tmp_path, db_url, smtp_sink.address)
    proc.start()
    try:
        send(proc.smtp_port, make_email(body=COMPLAINT, message_id="<outage@example.com>"))
        assert wait_until(lambda: len(smtp_sink.raw) == 1, timeout=60, step=0.5)
        refs = proc.cli_json("cases", "list", "--json")
        detail = proc.cli_json("cases", "show", refs[0]["ref"], "--json")
        assert detail["replies"][0]["state"] == "sent" and detail["replies"][0]["attempts"] == 3
    finally:
        proc.stop()


def test_bad_input_over_smtp(tmp_path: Path, smtp_sink: SmtpSink) -> None:
    url = f"sqlite:///{tmp_path / 'bad.sqlite3'}"
    proc = ServiceProcess(tmp_path, url, smtp_sink.address,
                          extra_env={"INTAKE_MAX_MESSAGE_BYTES": "20000"})
    proc.start()
    try:
        # Oversize: 552 with a reason, whether declared up front (SIZE) or found in DATA.
        big = make_email(body="x" * 30000, message_id="<big@example.com>")
        with smtplib.SMTP("127.0.0.1", proc.smtp_port) as client, \
                pytest.raises(smtplib.SMTPSenderRefused) as declared:
            client.send_message(big)
        assert declared.value.smtp_code == 552 and b"too big" in declared.value.smtp_error.lower()
        with smtplib.SMTP("127.0.0.1", proc.smtp_port) as client:
            client.ehlo()
            client.mail("a@example.com")
            client.rcpt("complaints@localhost")
            code, reason = client.data(big.as_bytes())
        assert code == 552 and reason
        # Unknown recipient: 550 naming the mailbox we do accept.
        with smtplib.SMTP("127.0.0.1", proc.smtp_port) as client, \
                pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.sendmail("a@example.com", ["someone@elsewhere.example"], b"x")
        code, reason = refused.value.recipients["someone@elsewhere.example"]
        assert code == 550 and b"complaints@localhost" in reason
        # Malformed MIME: stored, defects recorded, triaged as far as its text allows.
        broken = (b"From: broken@example.com\r\nTo: complaints@localhost\r\nSubject: help\r\n"
                  b"Content-Type: multipart/mixed; boundary=\"nope\"\r\n\r\n"
                  b"--wrong\r\nThe repair team never came and my ceiling is still leaking.\r\n")
        with smtplib.SMTP("127.0.0.1", proc.smtp_port) as client:
            client.sendmail("broken@example.com", ["complaints@localhost"], broken)
        assert wait_until(lambda: proc.cli_json("status", "--json")["inbound"] == {"done": 1})
        cases = proc.cli_json("cases", "list", "--json")
        assert len(cases) == 1
        detail = proc.cli_json("cases", "show", cases[0]["ref"], "--json")
        message = detail["messages"][0]
        assert message["parse_error"] and message["triage"]["route"]
    finally:
        assert proc.stop() == 0  # SIGTERM: clean shutdown


def test_invalid_profile_stops_start_up(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    path = config / "hos-2024.toml"
    path.write_text(path.read_text().replace("stage1_acknowledge_wd = 5",
                                             "stage1_acknowledge_wd = \"five\""))
    result = subprocess.run([INTAKE, "serve"], cwd=tmp_path, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "INTAKE_CONFIG_DIR": str(config),
                                 "INTAKE_DB_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"},
                            timeout=60)
    assert result.returncode == 1
    assert str(path) in result.stderr and "timescales.stage1_acknowledge_wd" in result.stderr


def test_unknown_profile_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run([INTAKE, "serve", "--policy", "nonesuch"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 1 and "nonesuch" in result.stderr and "hos-2024" in result.stderr




def test_two_services_share_one_postgresql_queue(tmp_path: Path, pg_cluster: Any,
                                                 smtp_sink: SmtpSink) -> None:
    """Many workers on many machines: two `intake serve` processes, one database."""
    url = pg_cluster.create_database("shared_queue")
    first = ServiceProcess(tmp_path, url, smtp_sink.address)
    second = ServiceProcess(tmp_path, url, smtp_sink.address)
    first.start()
    second.start()
    try:
        total = 120

        def one(i: int) -> None:
            proc = first if i % 2 else second
            send(proc.smtp_port, make_email(sender=f"s{i}@example.com",
                                            body=f"{COMPLAINT} Flat {i}.",
                                            message_id=f"<shared{i}@example.com>"))

        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(one, range(total)))
        assert wait_until(lambda: len(smtp_sink.raw) >= total, timeout=180, step=0.5)
        time.sleep(2.0)
        replies = smtp_sink.messages()
        assert len(replies) == total
        assert len({m["In-Reply-To"] for m in replies}) == total
        refs = {re.search(r"CMP-\d{4}-\d{5}", m["Subject"]).group(0)  # type: ignore[union-attr]
                for m in replies}
        assert len(refs) == total  # references unique across processes
    finally:
        assert first.stop() == 0
        assert second.stop() == 0
