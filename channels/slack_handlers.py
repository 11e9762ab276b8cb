"""Bolt listeners: card buttons, modals, the `/intake` command and the App Home tab.

Listeners only translate Slack payloads into `intake.actions.StaffActions` calls and render the
result; the decisions (what a route change means, what the customer is sent) live in intake/.
Buttons are acknowledged first (Slack wants an answer within 3 seconds), then the action runs
and the card is updated in place; modals are validated and acted on before their ack so a
refusal (an extension past the policy maximum) shows as an error in the modal itself.

Idempotency keys: a button click's `action_ts`, a modal's view id. Slack retries a delivery
with the same payload, so a retry finds its key already claimed and changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from channels import slack_blocks as blocks
from channels.slack_cards import SLACK, SlackCards, call
from intake.actions import ActionRefused, ActionResult, Actor, StaffActions
from intake.errors import DeliveryError
from intake.staff_queue import open_queue
from models import Officer, PolicyProfile, Route
from storage import staff_refs

log = logging.getLogger("intake.channels.slack")

Ack = Callable[..., Awaitable[None]]
DEFAULT_TITLE = "Complaints Officer"


def _actor(user: dict[str, Any]) -> Actor:
    return Actor(id=str(user.get("id") or "unknown"),
                 name=user.get("name") or user.get("username"), channel=SLACK)


def _ref_of(action: dict[str, Any]) -> str:
    block_id = str(action.get("block_id") or "")
    if block_id.startswith(blocks.ACTIONS_BLOCK_PREFIX):
        return block_id[len(blocks.ACTIONS_BLOCK_PREFIX):]
    return str(action.get("value") or "")


def _input(view: dict[str, Any], block_id: str) -> Any:
    value = view.get("state", {}).get("values", {}).get(block_id, {}).get("value", {})
    if "selected_option" in value:
        return (value.get("selected_option") or {}).get("value")
    return value.get("value")


class SlackStaff:
    """Holds what the listeners need; `register(app)` wires them to Bolt."""

    def __init__(self, actions: StaffActions, cards: SlackCards, profile: PolicyProfile) -> None:
        self.actions = actions
        self.cards = cards
        self.profile = profile

    def register(self, app: AsyncApp) -> None:
        app.action(blocks.A_CONFIRM)(self.on_confirm)
        app.action(blocks.A_ROUTE)(self.on_route)
        app.action(blocks.A_ASSIGN)(self.on_assign)
        app.action(blocks.A_ESCALATE)(self.on_escalate)
        app.action(blocks.A_EXTEND)(self.on_extend)
        app.action(blocks.A_CLOSE)(self.on_close)
        app.action(blocks.A_FULL_TEXT)(self.on_full_text)
        app.view(blocks.V_EXTEND)(self.on_extend_submit)
        app.view(blocks.V_CLOSE)(self.on_close_submit)
        app.command("/intake")(self.on_command)
        app.event("app_home_opened")(self.on_home_opened)

    # -- shared ------------------------------------------------------------------------------

    async def _after(self, result: ActionResult, key: str) -> None:
        if result.done:
            await self.cards.refresh_or_queue(result.case_id, key)

    async def _tell(self, client: AsyncWebClient, body: dict[str, Any], text: str) -> None:
        """An ephemeral note to the member of staff who clicked (refusals, confirmations)."""
        channel = (body.get("container") or {}).get("channel_id") or \
            (body.get("channel") or {}).get("id")
        user = (body.get("user") or {}).get("id")
        if not channel or not user:
            return
        try:
            await call(client, "chat.postEphemeral", channel=channel, user=user, text=text)
        except DeliveryError as exc:
            log.warning("could not tell the user about an action: %s", exc)

    async def _button(self, ack: Ack, body: dict[str, Any], client: AsyncWebClient,
                      run: Callable[[str, Actor, str], ActionResult]) -> None:
        await ack()
        action = body["actions"][0]
        ref = _ref_of(action)
        key = f"{action.get('action_id')}:{action.get('action_ts')}"
        try:
            result = await asyncio.to_thread(run, ref, _actor(body.get("user") or {}), key)
        except ActionRefused as exc:
            await self._tell(client, body, str(exc))
            return
        await self._after(result, key)
        if not result.done:
            await self._tell(client, body, result.message)

    # -- buttons -----------------------------------------------------------------------------

    @staticmethod
    def _card_ts(body: dict[str, Any]) -> str | None:
        return (body.get("container") or {}).get("message_ts")

    async def on_confirm(self, ack: Ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        ts = self._card_ts(body)
        await self._button(ack, body, client, lambda ref, actor, key: self.actions.confirm(
            ref, actor, key, self.cards.inbound_for_card(ts)))

    async def on_route(self, ack: Ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        selected = str((body["actions"][0].get("selected_option") or {}).get("value") or "")
        if selected not in Route._value2member_map_:
            await ack()
            await self._tell(client, body, f"Unknown route {selected!r}.")
            return
        route = Route(selected)
        ts = self._card_ts(body)
        await self._button(ack, body, client, lambda ref, actor, key: self.actions.change_route(
            ref, route, actor, key, self.cards.inbound_for_card(ts)))

    async def on_escalate(self, ack: Ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        await self._button(ack, body, client,
                           lambda ref, actor, key: self.actions.escalate(ref, actor, key))

    async def officer_for_user(self, client: AsyncWebClient, user: str) -> Officer:
        """users.info real name; title from the policy profile's officers, else Slack's."""
        try:
            data = await call(client, "users.info", user=user)
        except DeliveryError as exc:
            raise ActionRefused(f"Slack did not tell us who {user} is ({exc}).") from exc
        info = data.get("user") or {}
        profile = info.get("profile") or {}
        name = (profile.get("real_name") or info.get("real_name") or info.get("name")
                or user).strip()
        known = [self.profile.assignment.default, self.profile.assignment.stage2,
                 *self.profile.assignment.by_flag.values()]
        title = next((o.title for o in known if o.name.lower() == name.lower()), None)
        return Officer(name, title or (profile.get("title") or "").strip() or DEFAULT_TITLE)

    async def on_assign(self, ack: Ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        action = body["actions"][0]
        user = str(action.get("selected_user") or "")
        if not user:
            return
        key = f"{action.get('action_id')}:{action.get('action_ts')}"
        try:
            officer = await self.officer_for_user(client, user)
            result = await asyncio.to_thread(self.actions.assign, _ref_of(action), officer,
                                             _actor(body.get("user") or {}), key, user)
        except ActionRefused as exc:
            await self._tell(client, body, str(exc))
            return
        await self._after(result, key)
        if result.done:
            await self.publish_home(client, user)

    async def on_extend(self, ack: Ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        ref = _ref_of(body["actions"][0])
        try:
            left, cap = await asyncio.to_thread(self.actions.extension_left, ref)
        except ActionRefused as exc:
            await self._tell(client, body, str(exc))
            return
        if left <= 0:
            await self._tell(client, body, f"{ref} is already extended by the policy maximum "
                                           f"of {cap} working days.")
            return
        container = body.get("container") or {}
        view = blocks.extend_view(ref, left, cap, container.get("channel_id"),
                                  container.get("message_ts"))
        await self._open(client, body, view)

    async def on_close(self, ack: Ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        ref = _ref_of(body["actions"][0])
        found = await asyncio.to_thread(self.cards.state_for_ref, ref)
        if found is None:
            await self._tell(client, body, f"There is no case {ref}.")
            return
        container = body.get("container") or {}
        view = blocks.close_view(ref, found[1].get("stage"), container.get("channel_id"),
                                 container.get("message_ts"))
        await self._open(client, body, view)

    async def on_full_text(self, ack: Ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        value = str(body["actions"][0].get("value") or "")
        payload = await asyncio.to_thread(self.cards.payload_for, int(value)) \
            if value.isdigit() else None
        if payload is None:
            await self._tell(client, body, "That message is no longer available.")
            return
        await self._open(client, body, blocks.full_text_view(payload))

    async def _open(self, client: AsyncWebClient, body: dict[str, Any],
                    view: dict[str, Any]) -> None:
        try:
            await call(client, "views.open", trigger_id=body["trigger_id"], view=view)
        except DeliveryError as exc:
            await self._tell(client, body, f"Slack could not open the form ({exc}); try again.")

    # -- modals ------------------------------------------------------------------------------

    async def _submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any],
                      run: Callable[[str, Actor, str], ActionResult],
                      field_for_errors: str) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        key = f"view:{view.get('id')}"
        try:
            result = await asyncio.to_thread(run, str(meta.get("ref") or ""),
                                             _actor(body.get("user") or {}), key)
        except ActionRefused as exc:
            await ack(response_action="errors", errors={field_for_errors: str(exc)[:150]})
            return
        await ack()
        await self._after(result, key)

    async def on_extend_submit(self, ack: Ack, body: dict[str, Any],
                               view: dict[str, Any]) -> None:
        raw_days = str(_input(view, "days") or "").strip()
        reason = str(_input(view, "reason") or "").strip()
        if not raw_days.isdigit() or int(raw_days) < 1:
            await ack(response_action="errors", errors={"days": "Enter a whole number of "
                                                                "working days, 1 or more."})
            return
        if not reason:
            await ack(response_action="errors", errors={"reason": "Give the reason; the "
                                                                  "customer is told it."})
            return
        days = int(raw_days)
        await self._submit(ack, body, view,
                           lambda ref, actor, key: self.actions.extend(ref, days, reason, actor,
                                                                       key), "days")

    async def on_close_submit(self, ack: Ack, body: dict[str, Any],
                              view: dict[str, Any]) -> None:
        outcome = str(_input(view, "outcome") or "")
        reasons = str(_input(view, "reasons") or "").strip()
        remedy = str(_input(view, "remedy") or "")
        learning = str(_input(view, "learning") or "")
        if not reasons:
            await ack(response_action="errors", errors={"reasons": "Give the reasons for the "
                                                                   "decision."})
            return
        await self._submit(ack, body, view,
                           lambda ref, actor, key: self.actions.close(
                               ref, outcome, reasons, remedy, learning, actor, key), "outcome")

    # -- queue views -------------------------------------------------------------------------

    def _queues(self, user: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        cal = self.actions.calendar
        today = cal.local_date(self.actions.clock())
        with self.actions.db.transaction() as session:
            ids = staff_refs.assigned_case_ids(session, SLACK, user)
            mine = [i.as_json() for i in open_queue(session, cal, today, ids)]
            team = [i.as_json() for i in open_queue(session, cal, today, limit=30)]
        return mine, team

    async def on_command(self, ack: Ack, command: dict[str, Any]) -> None:
        words = str(command.get("text") or "").split()
        verb = words[0].lower() if words else "queue"
        if verb == "queue":
            mine, team = await asyncio.to_thread(self._queues, str(command.get("user_id")))
            found = (blocks.list_blocks("Your open cases", mine, "None assigned to you.")
                     + blocks.list_blocks("Team queue (by due date)", team, "Nothing waiting."))
            await ack(text=f"{len(team)} open case(s)", blocks=found[:50])
            return
        if verb == "case" and len(words) == 2:
            detail = await asyncio.to_thread(self.cards.state_for_ref, words[1])
            if detail is None:
                await ack(text=f"There is no case {words[1]}. {blocks.HELP}")
                return
            await ack(text=f"{detail[0]['ref']}: {detail[0]['route']}",
                      blocks=blocks.case_blocks(*detail))
            return
        await ack(text=blocks.HELP)

    async def publish_home(self, client: AsyncWebClient, user: str) -> None:
        mine, team = await asyncio.to_thread(self._queues, user)
        try:
            await call(client, "views.publish", user_id=user,
                       view=blocks.home_view(mine, team))
        except DeliveryError as exc:
            log.warning("App Home not published: %s", exc)

    async def on_home_opened(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") == "home":
            await self.publish_home(client, str(event.get("user")))
