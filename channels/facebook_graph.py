"""Replies through the Facebook Graph API: the outbound half of the social channel.

Outbox rows on channel "social" are delivered by kind:
- `public_reply`: a comment under the customer's comment or post (`POST /{id}/comments`); the
  pipeline already made it free of personal data and capped it per thread;
- `private_reply`: one Messenger message referring to the comment or post (Send API with
  recipient `{comment_id}` / `{post_id}`); its answer names the customer's PSID, which is
  recorded so their later direct messages thread onto the same case;
- `hide_post`: hides the comment or visitor post (`POST /{id}` with `is_hidden=true`);
- anything else on a private message: Send API to the PSID.
Messenger texts are limited to 2000 characters, so long replies go in parts; each part sent is
recorded, and a retry resumes after the last one, so no part is sent twice.

Rows from the social-listening feed (another platform, no page) cannot be posted by Intake:
they fail permanently with a reason saying they are kept for staff, instead of retrying.
Errors: HTTP 429/5xx, unreachable, Graph codes 1, 2, 4, 17, 32, 613 or `is_transient` are
temporary (retried with backoff, honouring Retry-After); everything else is permanent.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from intake.errors import DeliveryError
from storage import social_links
from storage.db import Database
from storage.outbox import Claimed

log = logging.getLogger("intake.channels.facebook")

DEFAULT_GRAPH_URL = "https://graph.facebook.com/v26.0"
TEMPORARY_CODES = frozenset({1, 2, 4, 17, 32, 613})
MESSENGER_LIMIT = 2000
COMMENT_KINDS = frozenset({"public_reply", "private_reply", "hide_post"})
# What staff do by hand with a feed post's row, which Intake cannot deliver itself.
STAFF_TODO = {
    "public_reply": "staff post the suggested public reply (on the staff card) by hand",
    "hide_post": "staff hide or report the post by hand (it holds personal data)",
    "": "staff contact the customer privately by hand (the reply text is in this row)",
}


def graph_error(status: int, data: Any, retry_after: str | None) -> DeliveryError:
    """Classify a Graph API failure; the message names codes, never what was sent."""
    error = data.get("error") if isinstance(data, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    subcode = error.get("error_subcode")
    temporary = (status == 429 or status >= 500 or code in TEMPORARY_CODES
                 or error.get("is_transient") is True)
    reason = str(error.get("message") or "")[:200]
    exc = DeliveryError(f"Graph API HTTP {status} code {code} subcode {subcode}: {reason}",
                        temporary=temporary)
    if retry_after and retry_after.strip().isdigit():
        exc.retry_after = timedelta(seconds=int(retry_after.strip()))  # type: ignore[attr-defined]
    return exc


def split_text(text: str, limit: int = MESSENGER_LIMIT) -> list[str]:
    """Parts of at most `limit` characters, cut at paragraph, line or word boundaries."""
    text = text.strip()
    parts: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n\n"), 0)
        if cut < limit // 2:
            cut = window.rfind("\n")
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts or [""]


def object_id(row: Claimed) -> str | None:
    """The Facebook comment or post a reply is about: the inbound message's external id,
    without the suffixes we add for edits (`:edited:...`) or reused ids (`#...`)."""
    source = row.in_reply_to or str(row.metadata.get("external_id") or "")
    if not source or source.startswith("unidentified:"):
        return None
    return re.split(r"[:#]", source, maxsplit=1)[0] or None


class GraphClient:
    """A small Graph API client on aiohttp: one session, JSON bodies, classified errors."""

    def __init__(self, base_url: str, page_token: str, app_secret: str,
                 timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.page_token = page_token
        # appsecret_proof lets the app require it ("Require App Secret"), so a leaked page
        # token alone cannot call the API on our behalf.
        self.proof = hmac.new(app_secret.encode(), page_token.encode(), hashlib.sha256).hexdigest()
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    async def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        if self._closed:  # shutting down: the row is retried after the restart, not lost
            raise DeliveryError("Graph API client is shutting down", temporary=True)
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        url = f"{self.base_url}/{path.lstrip('/')}"
        try:
            async with self._session.post(
                url, json=payload, params={"appsecret_proof": self.proof},
                headers={"Authorization": f"Bearer {self.page_token}"},
            ) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After")
                text = await response.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"Graph API unreachable: {type(exc).__name__}",
                                temporary=True) from exc
        try:
            data = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError:
            data = {}
        if status >= 400 or (isinstance(data, dict) and "error" in data):
            raise graph_error(status, data, retry_after)
        return data if isinstance(data, dict) else {}

    async def close(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None


class GraphTransport:
    """The `social` channel's Transport (intake.sender.Transport)."""

    def __init__(self, client: GraphClient, db: Database,
                 clock: Callable[[], datetime]) -> None:
        self.client = client
        self.db = db
        self.clock = clock

    async def send(self, row: Claimed) -> None:
        platform = str(row.metadata.get("platform") or "")
        page_id = row.metadata.get("page_id")
        if platform != "facebook" or not page_id:
            todo = STAFF_TODO.get(row.kind, STAFF_TODO[""])
            raise DeliveryError(f"kept for staff, not sent: Intake cannot post on "
                                f"{platform or 'this platform'}; {todo}", temporary=False)
        page = str(page_id)
        if row.kind in COMMENT_KINDS:
            target = object_id(row)
            if target is None:
                raise DeliveryError(f"{row.kind}: the message has no Facebook id to answer",
                                    temporary=False)
            is_post = target == str(row.metadata.get("post_id") or "")
            if row.kind == "public_reply":
                await self._public_reply(row, target)
            elif row.kind == "hide_post":
                await self.client.post(target, {"is_hidden": True})
                log.info("outbox=%s hid facebook object %s", row.id, target)
            else:
                await self._messages(row, page, {"post_id" if is_post else "comment_id": target})
            return
        if row.public:
            raise DeliveryError(f"{row.kind}: not sent in public (only public_reply is)",
                                temporary=False)
        if not row.recipient:
            raise DeliveryError("no Messenger recipient (PSID)", temporary=False)
        await self._messages(row, page, {"id": row.recipient})

    async def _public_reply(self, row: Claimed, target: str) -> None:
        answer = await self.client.post(f"{target}/comments", {"message": row.body.strip()})
        comment_id = answer.get("id")
        if comment_id:
            await asyncio.to_thread(self._record_comment, row, str(comment_id))
        log.info("outbox=%s public reply to %s posted as %s", row.id, target, comment_id)

    async def _messages(self, row: Claimed, page: str, first: dict[str, str]) -> None:
        """Send the reply in parts; the first part goes to `first`, later ones to the PSID."""
        parts = split_text(row.body)
        done = await asyncio.to_thread(self._sent_parts, row.id) if len(parts) > 1 else {}
        psid = next((str(a["recipient_id"]) for a in done.values() if a.get("recipient_id")),
                    first.get("id"))
        for index, text in enumerate(parts):
            if index in done:
                continue
            recipient = first if index == 0 else {"id": psid or ""}
            if index > 0 and not psid:
                raise DeliveryError("Messenger did not name the recipient of the first part",
                                    temporary=False)
            answer = await self.client.post(f"{page}/messages", {
                "recipient": recipient, "messaging_type": "RESPONSE", "message": {"text": text},
            })
            if index == 0 and answer.get("recipient_id"):
                psid = str(answer["recipient_id"])
                if "id" not in first:
                    await asyncio.to_thread(self._link, row, psid, page)
            if len(parts) > 1:
                await asyncio.to_thread(self._record_part, row, index, answer)
        log.info("outbox=%s kind=%s sent to messenger in %s part(s)", row.id, row.kind,
                 len(parts))

    # -- storage (blocking; run in threads) -------------------------------------------------

    def _link(self, row: Claimed, psid: str, page: str) -> None:
        source = row.in_reply_to or str(row.metadata.get("external_id") or "")
        with self.db.transaction() as session:
            social_links.link_psid(session, psid, row.case_id, source, page, self.clock())
        log.info("outbox=%s private reply opened a messenger conversation for case id %s",
                 row.id, row.case_id)

    def _record_comment(self, row: Claimed, comment_id: str) -> None:
        source = row.in_reply_to or str(row.metadata.get("external_id") or "")
        with self.db.transaction() as session:
            social_links.record_page_comment(session, comment_id, row.case_id, source,
                                             self.clock())

    def _sent_parts(self, outbox_id: int) -> dict[int, dict[str, Any]]:
        with self.db.transaction() as session:
            return social_links.sent_parts(session, outbox_id)

    def _record_part(self, row: Claimed, index: int, answer: dict[str, Any]) -> None:
        kept = {k: str(v) for k, v in answer.items() if k in ("recipient_id", "message_id")}
        with self.db.transaction() as session:
            social_links.record_part(session, row.id, index, row.case_id, kept, self.clock())
