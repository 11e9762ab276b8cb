"""Signed requests as Slack sends them: the v0 signature, and real payload shapes for
block_actions, view_submission, slash commands, url_verification and app_home_opened."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

from tests.fakes.slack_api import APP_ID, BOT_USER, TEAM_ID

STAFF = {"id": "U0STAFF01", "username": "sam.patel", "name": "sam.patel", "team_id": TEAM_ID}


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends: X-Slack-Request-Timestamp and the v0 HMAC-SHA256 signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def form(payload: dict[str, Any]) -> str:
    """Interactivity payloads arrive form-encoded as `payload=<json>`."""
    return urlencode({"payload": json.dumps(payload)})


_counter = [0]


def action_ts() -> str:
    _counter[0] += 1
    return f"{int(time.time())}.{_counter[0]:06d}"


def block_actions(action: dict[str, Any], *, channel: str, message_ts: str,
                  user: dict[str, Any] | None = None) -> dict[str, Any]:
    """A block_actions payload for one element of a card."""
    action = {"action_ts": action_ts(), **action}
    return {
        "type": "block_actions",
        "user": user or STAFF,
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                      "is_ephemeral": False},
        "trigger_id": f"{int(time.time())}.1234567890.abcdef0123456789",
        "team": {"id": TEAM_ID, "domain": "intake-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "complaints-triage"},
        "message": {"type": "message", "subtype": "bot_message", "text": "card",
                    "ts": message_ts, "bot_id": "B0INTAKEBOT"},
        "state": {"values": {}},
        "response_url": "https://hooks.slack.com/actions/T0INTAKE1/1/abcdef",
        "actions": [action],
    }


def route_select(ref: str, route: str) -> dict[str, Any]:
    return {"type": "static_select", "action_id": "intake_route",
            "block_id": f"intake_case:{ref}",
            "selected_option": {"text": {"type": "plain_text", "text": route, "emoji": True},
                                "value": route},
            "placeholder": {"type": "plain_text", "text": "Change route", "emoji": True}}


def button(action_id: str, ref: str, value: str | None = None) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "block_id": f"intake_case:{ref}",
            "text": {"type": "plain_text", "text": action_id, "emoji": True},
            "value": value if value is not None else ref}


def users_select(ref: str, user: str) -> dict[str, Any]:
    return {"type": "users_select", "action_id": "intake_assign",
            "block_id": f"intake_case:{ref}", "selected_user": user,
            "initial_user": None}


def view_submission(callback_id: str, view_id: str, private_metadata: str,
                    values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A modal submission; `values` maps block_id to the element's state value."""
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "intake-test"},
        "user": STAFF,
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "trigger_id": f"{int(time.time())}.1234567890.fedcba9876543210",
        "view": {
            "id": view_id, "team_id": TEAM_ID, "type": "modal", "blocks": [],
            "private_metadata": private_metadata, "callback_id": callback_id,
            "state": {"values": {block: {"value": v} for block, v in values.items()}},
            "hash": "1763800000.abcdef", "title": {"type": "plain_text", "text": "Form"},
            "clear_on_close": False, "notify_on_close": False, "root_view_id": view_id,
            "previous_view_id": None, "app_id": APP_ID, "external_id": "",
            "app_installed_team_id": TEAM_ID, "bot_id": "B0INTAKEBOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def slash_command(text: str, user: str = STAFF["id"]) -> str:
    return urlencode({
        "token": "legacy-verification-token", "team_id": TEAM_ID, "team_domain": "intake-test",
        "channel_id": "C0TRIAGE01", "channel_name": "complaints-triage", "user_id": user,
        "user_name": "sam.patel", "command": "/intake", "text": text, "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": "https://hooks.slack.com/commands/T0INTAKE1/1/abcdef",
        "trigger_id": f"{int(time.time())}.1234567890.0123456789abcdef",
    })


def url_verification(challenge: str) -> str:
    return json.dumps({"token": "legacy-verification-token", "challenge": challenge,
                       "type": "url_verification"})


def app_home_opened(user: str = STAFF["id"]) -> str:
    return json.dumps({
        "token": "legacy-verification-token", "team_id": TEAM_ID, "api_app_id": APP_ID,
        "event": {"type": "app_home_opened", "user": user, "channel": "D0HOME0001",
                  "tab": "home", "event_ts": f"{int(time.time())}.000100"},
        "type": "event_callback", "event_id": f"Ev0HOME{int(time.time())}",
        "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": TEAM_ID, "user_id": BOT_USER,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
    })
