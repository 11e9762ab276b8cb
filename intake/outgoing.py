"""What a decision sends: customer replies (private, public, hide) and the staff card.

All of it becomes outbox rows in the decision's own transaction, each with an idempotency key
derived from the inbound message, so retries never queue anything twice. Public posts get the
`public_reply` template only (no personal data, none of the customer's words), at most
`max_public_replies` per thread; the full reply goes privately.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake import summary
from intake.replies import STAGE_LABELS, describe_period, render
from models import (
    Channel,
    Decision,
    DecisionKind,
    Flag,
    InboundMessage,
    Officer,
    OutboundMessage,
    PolicyProfile,
    Triage,
)
from storage import cases as case_store
from storage import outbox as outbox_store
from storage.tables import CaseRow, InboundRow, OutboxRow

CARD_KINDS = {DecisionKind.OPEN_CASE, DecisionKind.DECLINE, DecisionKind.REVIEW,
              DecisionKind.ESCALATE}


def suggest_public_reply(profile: PolicyProfile, *, has_personal_data: bool,
                         ref: str | None = None) -> str:
    """The public reply staff may post where Intake cannot (social-listening feeds)."""
    return render("public_reply", profile, ref=ref, has_personal_data=has_personal_data)


def redact_text(text: str, triage: Triage) -> str:
    """The text with every detected personal-data span replaced by its [TYPE] tag."""
    from triage.pii import redact

    return redact(text, list(triage.pii))


@dataclass
class StaffChannel:
    """Where staff cards go (the Slack triage channel), when one is configured."""

    channel: Channel
    destination: str


class Outgoing:
    """Composes and queues everything a decision sends."""

    def __init__(self, profile: PolicyProfile, mail_domain: str, give_up_after: timedelta,
                 staff: StaffChannel | None = None) -> None:
        self.profile = profile
        self.mail_domain = mail_domain
        self.give_up_after = give_up_after
        self.staff = staff

    # -- customer replies --------------------------------------------------------------------

    def queue_replies(self, session: Session, row: InboundRow, message: InboundMessage,
                      result: Triage, decision: Decision, case: CaseRow, now: datetime,
                      recipient: str | None, *, key: str | None = None,
                      extra: dict[str, Any] | None = None, automatic: bool = True) -> int:
        """Queue the decision's reply. Staff actions (intake.actions) pass their own `key`,
        `extra` template context (an outcome, an extension reason) and `automatic=False`: a
        reply a person chose to send is not counted against the automatic-reply cap."""
        template = decision.reply_template
        if template is None or not recipient:
            return 0
        context = {**self._context(message, result, decision, case), **(extra or {})}
        key = key or f"{decision.kind.value}:{row.id}"
        capped = False
        if automatic:
            sender_key = f"{message.channel.value}:{recipient.lower()}"
            count = outbox_store.count_auto_reply(session, sender_key, now)
            limit = self.profile.automation.max_auto_replies_per_sender_per_hour
            capped = count > limit
        queued = 0
        if message.public:
            thread = str(message.metadata.get("thread_id") or message.conversation_id
                         or message.external_id)
            rules = self.profile.public_posts
            if self._public_replies(session, thread) < rules.max_public_replies:
                body = render("public_reply", self.profile, **context)
                queued += self._enqueue(session, row, message, case, now, f"public:{key}",
                                        "public_reply", body, recipient, public=True,
                                        capped=capped, thread=thread)
            else:
                self._note(session, case, now, row, f"public reply skipped: thread already has "
                           f"{rules.max_public_replies} public replies (policy)")
            private = render(template, self.profile, **context)
            queued += self._enqueue(session, row, message, case, now, f"private:{key}",
                                    "private_reply", private, recipient, public=False,
                                    capped=capped, thread=thread, template=template)
            if result.pii and rules.hide_posts_with_pii:
                queued += self._enqueue(session, row, message, case, now, f"hide:{row.id}",
                                        "hide_post", "", recipient, public=False, capped=False,
                                        thread=thread)
            return queued
        body = render(template, self.profile, **context)
        return self._enqueue(session, row, message, case, now, key, template, body, recipient,
                             public=False, capped=capped)

    def _public_replies(self, session: Session, thread: str) -> int:
        """Public replies already queued on this thread, counted in the database (JSON path)
        rather than by loading every public reply ever sent."""
        return int(session.scalar(
            select(func.count()).select_from(OutboxRow).where(
                OutboxRow.kind == "public_reply", OutboxRow.public.is_(True),
                OutboxRow.meta["thread"].as_string() == thread)
        ) or 0)

    def _note(self, session: Session, case: CaseRow, now: datetime, row: InboundRow,
              reason: str) -> None:
        case_store.add_event(session, case.id, now, "intake", "reply_skipped", reason,
                             inbound_id=row.id)

    def _enqueue(self, session: Session, row: InboundRow, message: InboundMessage,
                 case: CaseRow, now: datetime, key: str, kind: str, body: str, recipient: str,
                 *, public: bool, capped: bool, thread: str | None = None,
                 template: str | None = None) -> int:
        state, note = outbox_store.PENDING, None
        if capped and kind != "hide_post":
            limit = self.profile.automation.max_auto_replies_per_sender_per_hour
            state, note = outbox_store.SUPPRESSED, f"reply cap of {limit} per sender per hour"
        meta: dict[str, Any] = {"case_ref": case.ref, "external_id": message.external_id}
        if thread:
            meta["thread"] = thread
        if template:
            meta["template"] = template
        for name in ("platform", "page_id", "post_id"):
            if name in message.metadata:
                meta[name] = message.metadata[name]
        outbound = OutboundMessage(
            channel=message.channel, recipient=recipient, body=body, idempotency_key=key,
            subject=self._subject(message, case) if message.channel == Channel.EMAIL else None,
            public=public, kind=kind, in_reply_to=message.external_id,
            references=tuple(dict.fromkeys((*message.thread_ids, message.external_id))),
            metadata=meta,
        )
        message_id = (outbox_store.message_id_for(key, self.mail_domain)
                      if message.channel == Channel.EMAIL else None)
        queued = outbox_store.enqueue(session, outbound, now, case_id=case.id, inbound_id=row.id,
                                      give_up_after=self.give_up_after, message_id=message_id,
                                      state=state, note=note)
        if queued is None:
            return 0
        case_store.add_event(session, case.id, now, "intake", "reply_queued",
                             note or f"{kind} queued for {message.channel.value}",
                             {"outbox_id": queued.id, "kind": kind, "state": state},
                             inbound_id=row.id)
        return 1 if state == outbox_store.PENDING else 0

    def _subject(self, message: InboundMessage, case: CaseRow) -> str:
        base = (message.subject or "").strip() or "Your message"
        if case.ref.lower() not in base.lower():
            base = f"{base} [{case.ref}]"
        return base if base.lower().startswith("re:") else f"Re: {base}"

    def _context(self, message: InboundMessage, result: Triage, decision: Decision,
                 case: CaseRow) -> dict[str, Any]:
        stage = case.stages[-1] if case.stages else None
        respond = next((d for d in (stage.deadlines if stage else []) if d.kind == "respond"),
                       None)
        officer = decision.officer or Officer(case.officer_name or "Complaints Team",
                                              case.officer_title or "Complaints Officer")
        name = (message.sender_name or "").strip()
        greeting = name if name and "@" not in name and not message.public else "customer"
        return {
            "ref": case.ref,
            "route": decision.route.value,
            "greeting": greeting,
            "understanding": summary.understanding(message.text, message.subject),
            "outcome_sought": summary.outcome_sought(message.text),
            "stage_label": STAGE_LABELS.get(case.current_stage or "", "Stage 1 (investigation)"),
            "officer": officer,
            "respond_by": respond.due.strftime("%A %d %B %Y") if respond else "",
            "escalation_window": describe_period(self.profile.timescales.escalation_window),
            "exclusion": self.profile.exclusion_for(decision.route),
            "has_personal_data": bool(result.pii),
        }

    # -- staff card --------------------------------------------------------------------------

    def queue_card(self, session: Session, row: InboundRow, message: InboundMessage,
                   result: Triage, decision: Decision, case: CaseRow | None,
                   created: bool, now: datetime) -> None:
        """A card for the staff queue when a person should look (issue 5's rules)."""
        if self.staff is None or case is None:
            return
        urgent = bool(result.flags & {Flag.HEALTH_SAFETY, Flag.SAFEGUARDING})
        if not (created or decision.needs_staff or result.needs_review or urgent
                or decision.kind in CARD_KINDS):
            return
        payload = card_payload(session, row, message, result, decision, case, self.profile)
        if message.public:
            context = self._context(message, result, decision, case)
            payload["suggested_public_reply"] = render("public_reply", self.profile, **context)
        outbound = OutboundMessage(
            channel=self.staff.channel, recipient=self.staff.destination,
            body=json.dumps(payload, ensure_ascii=False), idempotency_key=f"card:{row.id}",
            kind="staff_card", metadata={"case_ref": case.ref},
        )
        outbox_store.enqueue(session, outbound, now, case_id=case.id, inbound_id=row.id,
                             give_up_after=timedelta(days=7))


def card_payload(session: Session, row: InboundRow, message: InboundMessage, result: Triage,
                 decision: Decision, case: CaseRow, profile: PolicyProfile) -> dict[str, Any]:
    """Everything a staff card shows; public posts are redacted here, before leaving."""
    text = redact_text(message.text, result) if message.public else message.text
    sender = "[redacted: public post]" if message.public else (message.sender or "")
    deadlines = [
        {"stage": stage.name, "kind": d.kind, "due": d.due.isoformat(),
         "working_days": d.working_days, "met": d.met_at is not None}
        for stage in case.stages for d in stage.deadlines
    ]
    messages_on_case = session.scalar(
        select(func.count()).select_from(InboundRow).where(InboundRow.case_id == case.id)
    )
    return {
        "inbound_id": row.id,
        "case_ref": case.ref,
        "case_status": case.status,
        "stage": case.current_stage,
        "channel": message.channel.value,
        "public": message.public,
        "received_at": message.received_at.isoformat(),
        "sender": sender,
        "subject": message.subject,
        "text": text,
        "route": result.route.value,
        "decision": decision.kind.value,
        "confidence": result.confidence,
        "needs_review": result.needs_review,
        "flags": sorted(f.value for f in result.flags),
        "reasons": [*decision.reasons, *result.reasons],
        "pii_types": sorted({span.type.value for span in result.pii}),
        "deadlines": deadlines,
        "officer": {"name": case.officer_name, "title": case.officer_title},
        "on_call_group": profile.on_call_group,
        "policy": profile.name,
        "messages_on_case": int(messages_on_case or 0),
        "suggested_public_reply": None,
    }
