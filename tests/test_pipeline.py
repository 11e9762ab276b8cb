"""The pipeline on SQLite and PostgreSQL: store, claim, triage, decide, write, all or nothing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from intake.pipeline import Pipeline
from intake.profiles import load_profile
from intake.receive import Receiver
from intake.worker import drain
from models import Channel, InboundMessage, PolicyProfile, Triage
from storage import queue
from storage.refs import allocate_ref
from storage.tables import CaseEventRow, CaseRow, DeadlineRow, InboundRow, OutboxRow

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday
COMPLAINT = (
    "I reported the leak in my bathroom ceiling three times since August and every appointment "
    "has been missed. Nobody rings back. I am really unhappy with the service and I want this "
    "fixed and compensation for the damaged flooring."
)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def email(external_id: str, body: str = COMPLAINT, *, sender: str = "jo@example.com",
          subject: str | None = "Bathroom leak", thread_ids: tuple[str, ...] = (),
          automated: str | None = None) -> InboundMessage:
    return InboundMessage(channel=Channel.EMAIL, external_id=external_id, received_at=NOW,
                          text=body, sender=sender, sender_name="Jo Bloggs", subject=subject,
                          raw=body.encode(), thread_ids=thread_ids, automated=automated)


def run_all(db: Any, profile: PolicyProfile | None = None, clock: Clock | None = None,
            triage_fn: Any = None) -> Pipeline:
    pipeline = Pipeline(db, profile or load_profile("hos-2024"), mail_domain="localhost",
                        clock=clock or Clock(), triage_fn=triage_fn)
    drain(pipeline, clock or Clock(), timedelta(seconds=60))
    return pipeline


def test_complaint_opens_case_with_deadlines_events_and_ack(db: Any) -> None:
    receiver = Receiver(db, clock=Clock())
    stored = receiver.store(email("<c1@example.com>"))
    assert stored.created
    run_all(db)
    with db.transaction() as s:
        case = s.scalar(select(CaseRow))
        assert case is not None and case.route == "complaint" and case.status == "open"
        assert case.ref == "CMP-2026-00001" and case.current_stage == "stage_1"
        dues = {d.kind: d.due for d in s.scalars(select(DeadlineRow))}
        # Received Monday 23 Nov: acknowledge in 5 wd -> Mon 30 Nov; respond 10 wd from the
        # acknowledgement (same day) -> Mon 7 Dec.
        assert dues == {"acknowledge": datetime(2026, 11, 30).date(),
                        "respond": datetime(2026, 12, 7).date()}
        actions = [e.action for e in s.scalars(select(CaseEventRow).order_by(CaseEventRow.id))]
        assert actions == ["opened", "stage_opened", "reply_queued"]
        out = s.scalars(select(OutboxRow)).all()
        assert len(out) == 1 and out[0].kind == "acknowledgement"
        assert out[0].idempotency_key == f"open_case:{stored.id}"
        assert case.ref in (out[0].subject or "") and "Monday 07 December 2026" in out[0].body
        row = s.get(InboundRow, stored.id)
        assert row is not None and row.state == "done" and row.case_id == case.id
        assert row.triage is not None and row.triage["route"] == "complaint"


def test_receipt_is_idempotent_and_keeps_reused_ids(db: Any) -> None:
    receiver = Receiver(db, clock=Clock())
    first = receiver.store(email("<dup@example.com>"))
    again = receiver.store(email("<dup@example.com>"))
    assert again.id == first.id and not again.created
    other = receiver.store(email("<dup@example.com>", body="A different message entirely."))
    assert other.created and other.id != first.id
    with db.transaction() as s:
        assert s.scalar(select(text("count(*)")).select_from(InboundRow)) == 2


def test_reply_threads_by_reference_and_by_in_reply_to(db: Any) -> None:
    receiver = Receiver(db, clock=Clock())
    receiver.store(email("<c1@example.com>"))
    run_all(db)
    with db.transaction() as s:
        ack = s.scalars(select(OutboxRow)).one()
        ref, ack_id = ack.subject, ack.message_id
    assert ack_id
    receiver.store(email("<r1@example.com>", body="Thanks. Also the fan does not work.",
                         subject=f"Re: {ref}"))
    receiver.store(email("<r2@example.com>", body="Another thing: the sink is loose.",
                         subject="Re: something", thread_ids=(ack_id,)))
    run_all(db)
    with db.transaction() as s:
        assert s.scalar(select(text("count(*)")).select_from(CaseRow)) == 1
        added = s.scalars(select(CaseEventRow).where(CaseEventRow.action == "message_added"))
        assert len(added.all()) == 2
        assert len(s.scalars(select(OutboxRow)).all()) == 1  # no reply to replies


def test_automated_messages_are_never_answered(db: Any) -> None:
    receiver = Receiver(db, clock=Clock())
    receiver.store(email("<ooo@example.com>", body="I am out of the office until Monday.",
                         automated="Auto-Submitted: auto-replied"))
    run_all(db)
    with db.transaction() as s:
        assert s.scalars(select(OutboxRow)).all() == []
        row = s.scalars(select(InboundRow)).one()
        assert row.state == "done" and row.decision is not None
        assert row.decision["kind"] == "ignore"


def test_failure_rolls_back_everything_and_poison_goes_dead(db: Any) -> None:
    receiver = Receiver(db, clock=Clock())
    stored = receiver.store(email("<p1@example.com>"))

    def exploding(message: InboundMessage, profile: PolicyProfile) -> Triage:
        raise RuntimeError("triage blew up")

    clock = Clock()
    pipeline = Pipeline(db, load_profile(), mail_domain="localhost", clock=clock,
                        triage_fn=exploding)
    for _ in range(3):
        drain(pipeline, clock, timedelta(seconds=60), max_attempts=3)
        clock.now += timedelta(hours=2)  # past the backoff
    with db.transaction() as s:
        row = s.get(InboundRow, stored.id)
        assert row is not None and row.state == "dead" and row.attempts == 3
        assert "triage blew up" in (row.last_error or "")
        assert s.scalars(select(CaseRow)).all() == []
        assert s.scalars(select(OutboxRow)).all() == []
    assert queue.requeue_dead(db) == 1
    run_all(db, clock=clock)
    with db.transaction() as s:
        assert s.scalars(select(CaseRow)).one().route == "complaint"


def test_expired_lease_is_claimed_again(db: Any) -> None:
    receiver = Receiver(db, clock=Clock())
    receiver.store(email("<l1@example.com>"))
    assert queue.claim(db, NOW, timedelta(seconds=30)) != []
    assert queue.claim(db, NOW + timedelta(seconds=10), timedelta(seconds=30)) == []
    assert queue.claim(db, NOW + timedelta(seconds=31), timedelta(seconds=30)) != []


def test_reply_cap_per_sender(db: Any) -> None:
    profile = load_profile().model_copy(
        update={"automation": load_profile().automation.model_copy(
            update={"max_auto_replies_per_sender_per_hour": 2})})
    receiver = Receiver(db, clock=Clock())
    for i in range(4):
        receiver.store(email(f"<cap{i}@example.com>", body=f"{COMPLAINT} Number {i}.",
                             subject=f"Complaint {i}"))
    run_all(db, profile=profile)
    with db.transaction() as s:
        states = sorted(o.state for o in s.scalars(select(OutboxRow)))
    assert states == ["pending", "pending", "suppressed", "suppressed"]


def test_case_events_are_append_only(db: Any) -> None:
    receiver = Receiver(db, clock=Clock())
    receiver.store(email("<e1@example.com>"))
    run_all(db)
    with pytest.raises(Exception, match="append-only"), db.transaction() as s:
        s.execute(text("UPDATE case_events SET actor = 'someone else'"))
    with pytest.raises(Exception, match="append-only"), db.transaction() as s:
        s.execute(text("DELETE FROM case_events"))


def test_references_unique_under_concurrency(db: Any) -> None:
    refs: list[str] = []
    lock = threading.Lock()

    def allocate() -> None:
        for _ in range(20):
            with db.transaction() as s:
                ref = allocate_ref(s, "CMP", 2026)
            with lock:
                refs.append(ref)

    threads = [threading.Thread(target=allocate) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(refs) == 120 and len(set(refs)) == 120
    assert sorted(refs)[-1] == "CMP-2026-00120"


def test_chat_burst_processed_concurrently_becomes_one_case(db: Any) -> None:
    receiver = Receiver(db, clock=Clock())
    parts = ["hi, my heating has been broken for three weeks",
             "engineer was booked twice and nobody came",
             "i have a newborn baby and the flat is freezing",
             "i want this fixed this week and someone to call me back",
             "this is really not good enough"]
    for i, part in enumerate(parts):
        receiver.store(InboundMessage(channel=Channel.TELEGRAM, external_id=f"77:{i}",
                                      received_at=NOW, text=part, sender="77",
                                      sender_name="Amira", conversation_id="77"))
    clock = Clock()
    pipeline = Pipeline(db, load_profile(), mail_domain="localhost", clock=clock)
    threads = [threading.Thread(target=drain, args=(pipeline, clock, timedelta(seconds=60)))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.transaction() as s:
        assert len(s.scalars(select(CaseRow)).all()) == 1
        assert {r.state for r in s.scalars(select(InboundRow))} == {"done"}
