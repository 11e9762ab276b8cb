"""Slack's outbound half: staff cards and digests from the outbox, cards updated in place.

Every Web API call goes through `call()`, which turns Slack's failures into the sender's
vocabulary: HTTP 429 (with its Retry-After), 5xx, Slack's own transient error codes and an
unreachable host are temporary (`DeliveryError(temporary=True)`, the row waits and is retried,
so Slack being down delays cards but loses none); anything else (a wrong channel, a revoked
token) is permanent and visible as a dead outbox row.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from channels import slack_blocks as blocks
from intake.calendar import WorkingCalendar
from intake.errors import DeliveryError
from intake.staff_queue import DIGEST_KIND
from models import Channel, OutboundMessage
from storage import cases as case_store
from storage import outbox as outbox_store
from storage import staff_refs
from storage.db import Database
from storage.outbox import Claimed
from storage.tables import CaseEventRow, CaseRow, OutboxRow

log = logging.getLogger("intake.channels.slack")

SLACK = Channel.SLACK.value
CARD_KIND = "staff_card"
REFRESH_KIND = "card_refresh"
TEMPORARY_ERRORS = {"ratelimited", "rate_limited", "service_unavailable", "fatal_error",
                    "internal_error", "request_timeout", "team_added_to_org"}
STAFF_ACTIONS = {"confirmed", "route_changed", "assigned", "escalated", "deadline_extended",
                 "stage_closed", "closed", "stage_reopened"}


def _header(headers: Any, name: str) -> str | None:
    for key, value in dict(headers or {}).items():
        if str(key).lower() == name.lower():
            return str(value[0] if isinstance(value, list) else value)
    return None


def delivery_error(exc: SlackApiError, method: str) -> DeliveryError:
    """Classify a Slack API failure for the outbox (temporary ones carry retry_after)."""
    status = int(getattr(exc.response, "status_code", 0) or 0)
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    code = str(data.get("error") or f"HTTP {status}")
    temporary = status == 429 or status >= 500 or code in TEMPORARY_ERRORS
    error = DeliveryError(f"slack {method}: {code}", temporary=temporary)
    if status == 429 or code in ("ratelimited", "rate_limited"):
        raw = _header(exc.response.headers, "Retry-After")
        seconds = int(raw) if raw and raw.strip().isdigit() else 30
        error.retry_after = timedelta(seconds=max(1, seconds))  # type: ignore[attr-defined]
    return error


async def call(client: AsyncWebClient, method: str, **kwargs: Any) -> dict[str, Any]:
    """One Web API call; failures raised as DeliveryError (see module docstring)."""
    try:
        response = await client.api_call(method, json=kwargs)
    except SlackApiError as exc:
        raise delivery_error(exc, method) from exc
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"slack {method}: unreachable ({type(exc).__name__})",
                            temporary=True) from exc
    return dict(response.data) if isinstance(response.data, dict) else {}


def case_state(session: Any, case: CaseRow, cal: WorkingCalendar,
               today: date) -> dict[str, Any]:
    """What a card shows about the case now: route, status, officer, deadlines, last action."""
    deadlines = []
    for stage in case.stages:
        for d in stage.deadlines:
            met = d.met_at is not None or (stage.closed_at is not None
                                           and d.kind != "escalation_window")
            deadlines.append({
                "stage": stage.name, "kind": d.kind, "due": d.due.isoformat(),
                "working_days": d.working_days, "extended_by": d.extended_by, "met": met,
                "working_days_left": None if met else cal.working_days_between(today, d.due),
                "overdue": not met and d.due < today,
            })
    last = session.scalar(
        select(CaseEventRow).where(CaseEventRow.case_id == case.id,
                                   CaseEventRow.action.in_(sorted(STAFF_ACTIONS)))
        .order_by(CaseEventRow.id.desc()).limit(1))
    officer = (f"{case.officer_name}, {case.officer_title}" if case.officer_name else None)
    return {
        "ref": case.ref, "route": case.route, "status": case.status,
        "stage": case.current_stage, "officer": officer, "deadlines": deadlines,
        "last_action": (f"{last.reason} ({last.actor}, {last.at:%d %b %H:%M} UTC)"
                        if last is not None else None),
    }


class SlackCards:
    """Posts and updates staff cards; knows which Slack message shows which case."""

    def __init__(self, client: AsyncWebClient, db: Database, cal: WorkingCalendar,
                 clock: Callable[[], datetime]) -> None:
        self.client = client
        self.db = db
        self.cal = cal
        self.clock = clock

    # -- database side (run in a worker thread) ------------------------------------------

    def _state(self, case_id: int) -> dict[str, Any] | None:
        with self.db.transaction() as session:
            case = session.get(CaseRow, case_id)
            if case is None:
                return None
            return case_state(session, case, self.cal, self.cal.local_date(self.clock()))

    def _cards(self, case_id: int) -> list[tuple[str, str, int | None, dict[str, Any]]]:
        """(channel, ts, outbox id, payload) of every card posted for the case."""
        out: list[tuple[str, str, int | None, dict[str, Any]]] = []
        with self.db.transaction() as session:
            for ref in staff_refs.cards_for_case(session, SLACK, case_id):
                meta = ref.meta or {}
                outbox_id = meta.get("outbox_id")
                row = session.get(OutboxRow, outbox_id) if outbox_id else None
                if row is None or not meta.get("channel"):
                    continue
                out.append((str(meta["channel"]), ref.value, row.id, json.loads(row.body)))
        return out

    def payload_for(self, outbox_id: int) -> dict[str, Any] | None:
        """The stored card payload (already redacted for public posts) of a posted card."""
        with self.db.transaction() as session:
            row = session.get(OutboxRow, outbox_id)
            if row is None or row.kind != CARD_KIND:
                return None
            return dict(json.loads(row.body))

    def inbound_for_card(self, ts: str | None) -> int | None:
        """The customer message a card shows, so a correction labels that very message."""
        if not ts:
            return None
        with self.db.transaction() as session:
            ref = staff_refs.card_by_ts(session, SLACK, ts)
            value = (ref.meta or {}).get("inbound_id") if ref is not None else None
            return int(value) if value is not None else None

    def state_for_ref(self, ref: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(case detail, card state) for `/intake case REF`."""
        from intake.views import case_detail

        with self.db.transaction() as session:
            case = case_store.load_case(session, ref)
            if case is None:
                return None
            today = self.cal.local_date(self.clock())
            return case_detail(session, case), case_state(session, case, self.cal, today)

    # -- Slack side ----------------------------------------------------------------------

    async def post_card(self, row: Claimed) -> None:
        """Post (or, after a crash between post and record, update) one staff card."""
        payload = json.loads(row.body)
        case_id = row.case_id
        state = (await asyncio.to_thread(self._state, case_id) if case_id else None) or {}
        content = {"blocks": blocks.card_blocks(payload, state, row.id),
                   "text": blocks.card_fallback(payload, state)}
        existing = await asyncio.to_thread(self._existing_card, row.id)
        if existing is not None:
            await call(self.client, "chat.update", channel=existing[0], ts=existing[1],
                       **content)
            return
        data = await call(self.client, "chat.postMessage", channel=row.recipient,
                          unfurl_links=False, unfurl_media=False, **content)
        await asyncio.to_thread(self._record_card, row, str(data.get("channel") or row.recipient),
                                str(data["ts"]), payload)

    def _existing_card(self, outbox_id: int) -> tuple[str, str] | None:
        with self.db.transaction() as session:
            ref = staff_refs.card_for_outbox(session, SLACK, outbox_id)
            if ref is None:
                return None
            return str((ref.meta or {}).get("channel")), ref.value

    def _record_card(self, row: Claimed, channel: str, ts: str, payload: dict[str, Any]) -> None:
        with self.db.transaction() as session:
            staff_refs.add_card(session, SLACK, ts, row.case_id, self.clock(),
                                {"channel": channel, "outbox_id": row.id,
                                 "inbound_id": payload.get("inbound_id")})

    async def refresh(self, case_id: int) -> int:
        """Update every card of the case in place (chat.update); returns how many."""
        state = await asyncio.to_thread(self._state, case_id)
        if state is None:
            return 0
        cards = await asyncio.to_thread(self._cards, case_id)
        for channel, ts, outbox_id, payload in cards:
            await call(self.client, "chat.update", channel=channel, ts=ts,
                       blocks=blocks.card_blocks(payload, state, outbox_id),
                       text=blocks.card_fallback(payload, state))
        return len(cards)

    def queue_refresh(self, case_id: int, key: str) -> None:
        """Slack failed while updating cards after an action: let the outbox retry it."""
        with self.db.transaction() as session:
            outbox_store.enqueue(session, OutboundMessage(
                channel=Channel.SLACK, recipient="cards", body=json.dumps({"case_id": case_id}),
                idempotency_key=f"refresh:{case_id}:{key}"[:200], kind=REFRESH_KIND),
                self.clock(), case_id=case_id, inbound_id=None,
                give_up_after=timedelta(hours=12))

    async def refresh_or_queue(self, case_id: int, key: str) -> None:
        try:
            await self.refresh(case_id)
        except DeliveryError as exc:
            log.warning("case_id=%s card update failed (%s); queued for retry", case_id, exc)
            await asyncio.to_thread(self.queue_refresh, case_id, key)


class SlackTransport:
    """The outbox transport for channel "slack" (intake.sender.Transport)."""

    def __init__(self, cards: SlackCards) -> None:
        self.cards = cards

    async def send(self, row: Claimed) -> None:
        if row.kind == CARD_KIND:
            await self.cards.post_card(row)
        elif row.kind == DIGEST_KIND:
            digest = json.loads(row.body)
            await call(self.cards.client, "chat.postMessage", channel=row.recipient,
                       blocks=blocks.digest_blocks(digest), text=blocks.digest_fallback(digest))
        elif row.kind == REFRESH_KIND:
            await self.cards.refresh(int(json.loads(row.body)["case_id"]))
        else:
            raise DeliveryError(f"slack: nothing delivers outbox kind {row.kind!r} "
                                "(the Slack channel is for staff)", temporary=False)
