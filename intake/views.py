"""Read models for `intake cases list|show` and `intake status`: plain dicts, JSON-ready."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import cases as store
from storage.db import Database
from storage.tables import CaseRow, InboundRow, OutboxRow


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _stages(case: CaseRow) -> list[dict[str, Any]]:
    return [
        {
            "name": stage.name,
            "opened_at": _iso(stage.opened_at),
            "acknowledged_at": _iso(stage.acknowledged_at),
            "closed_at": _iso(stage.closed_at),
            "outcome": stage.outcome,
            "officer": {"name": stage.officer_name, "title": stage.officer_title},
            "deadlines": [
                {"kind": d.kind, "start": _iso(d.start), "due": _iso(d.due),
                 "working_days": d.working_days, "extended_by": d.extended_by,
                 "extension_reason": d.extension_reason, "met_at": _iso(d.met_at)}
                for d in stage.deadlines
            ],
        }
        for stage in case.stages
    ]


def case_summary(case: CaseRow) -> dict[str, Any]:
    """One line of `cases list`: the next unmet deadline is what staff sort by."""
    open_deadlines = sorted(
        (d.due for s in case.stages if s.closed_at is None for d in s.deadlines
         if d.met_at is None),
    )
    return {
        "ref": case.ref,
        "route": case.route,
        "status": case.status,
        "stage": case.current_stage,
        "channel": case.channel,
        "policy": case.policy,
        "opened_at": _iso(case.opened_at),
        "flags": list(case.flags or []),
        "needs_staff": case.needs_staff,
        "next_due": _iso(open_deadlines[0]) if open_deadlines else None,
        "officer": {"name": case.officer_name, "title": case.officer_title},
    }


def case_detail(session: Session, case: CaseRow) -> dict[str, Any]:
    """Everything about one case; message texts are included (staff view, private)."""
    detail = case_summary(case)
    detail["summary"] = case.summary
    detail["public"] = case.public
    detail["stages"] = _stages(case)
    detail["events"] = [
        {"at": _iso(e.at), "actor": e.actor, "action": e.action, "reason": e.reason,
         "detail": e.detail, "inbound_id": e.inbound_id}
        for e in store.case_events(session, case.id)
    ]
    detail["replies"] = [
        {"id": o.id, "kind": o.kind, "channel": o.channel, "state": o.state,
         "subject": o.subject, "message_id": o.message_id, "attempts": o.attempts,
         "created_at": _iso(o.created_at), "sent_at": _iso(o.sent_at), "last_error": o.last_error}
        for o in store.case_outbox(session, case.id)
    ]
    messages = session.scalars(
        select(InboundRow).where(InboundRow.case_id == case.id).order_by(InboundRow.id)
    )
    detail["messages"] = [
        {"id": m.id, "channel": m.channel, "external_id": m.external_id,
         "received_at": _iso(m.received_at), "subject": m.subject,
         "triage": m.triage, "decision": m.decision, "attachments": m.attachments,
         "parse_error": m.parse_error}
        for m in messages
    ]
    return detail


def render_detail(detail: dict[str, Any]) -> str:
    """A human-readable page for `intake cases show REF`."""
    lines = [
        f"{detail['ref']}  {detail['route']}  {detail['status']}  ({detail['channel']}, "
        f"policy {detail['policy']})",
        f"opened {detail['opened_at']}  flags: {', '.join(detail['flags']) or 'none'}",
        f"officer: {detail['officer']['name'] or '-'}, {detail['officer']['title'] or '-'}",
    ]
    for stage in detail["stages"]:
        lines.append(f"{stage['name']}: opened {stage['opened_at']}")
        for d in stage["deadlines"]:
            met = f"met {d['met_at']}" if d["met_at"] else "open"
            lines.append(f"  {d['kind']:<12} due {d['due']} ({d['working_days']} working days"
                         f"{' +' + str(d['extended_by']) if d['extended_by'] else ''}) {met}")
    lines.append("events:")
    for e in detail["events"]:
        lines.append(f"  {e['at']} {e['actor']}: {e['action']} - {e['reason'] or ''}")
    lines.append("replies:")
    for r in detail["replies"]:
        lines.append(f"  #{r['id']} {r['kind']} via {r['channel']}: {r['state']}")
    return "\n".join(lines)


def status_counts(db: Database) -> dict[str, dict[str, int]]:
    with db.transaction() as session:
        inbound = dict(session.execute(
            select(InboundRow.state, func.count()).group_by(InboundRow.state)).all())
        outbox = dict(session.execute(
            select(OutboxRow.state, func.count()).group_by(OutboxRow.state)).all())
        cases = dict(session.execute(
            select(CaseRow.status, func.count()).group_by(CaseRow.status)).all())
    return {"inbound": {k: int(v) for k, v in inbound.items()},
            "outbox": {k: int(v) for k, v in outbox.items()},
            "cases": {k: int(v) for k, v in cases.items()}}
