"""`POST /webhooks/social`: a generic feed of posts from a social-listening tool.

Posts from X, Instagram, TikTok, Nextdoor and the like arrive as JSON, one object or a list:
`{platform, post_id, author, public, text, url, created_at, in_reply_to}`, signed with
HMAC-SHA256 of the raw body under INTAKE_SOCIAL_SECRET in `X-Intake-Signature` ("sha256=<hex>"
or bare hex). Intake cannot post on those platforms, so for public posts the response carries
the personal-data-free public reply staff may post by hand (the Slack card carries it too).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from channels.facebook_parse import Item, PayloadError
from channels.social_signing import Verdict, verify
from channels.social_store import Stored, store_items, summary
from intake.outgoing import suggest_public_reply
from intake.receive import Receiver
from models import Channel, InboundMessage, PolicyProfile
from storage.db import Database

log = logging.getLogger("intake.channels.social_feed")

PATH = "/webhooks/social"
MAX_POSTS = 500


def load(body: bytes) -> list[Any]:
    """The posts of a feed body (one object or a list of them)."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"body is not valid JSON: {exc}") from exc
    posts = payload if isinstance(payload, list) else [payload]
    if not posts:
        raise PayloadError("body is an empty list: expected one or more posts")
    if len(posts) > MAX_POSTS:
        raise PayloadError(f"too many posts in one body ({len(posts)}; at most {MAX_POSTS})")
    return posts


def parse(posts: list[Any], now: datetime) -> list[Item]:
    """One Item per post; a post with readable text is kept even when other fields are bad."""
    return [_post(f"posts[{i}]", post, now) for i, post in enumerate(posts)]


def _post(where: str, post: Any, now: datetime) -> Item:
    if not isinstance(post, dict):
        return Item(where, problem=f"{where}: expected an object with platform, post_id, text")
    problems: list[str] = []
    platform = post.get("platform")
    if not isinstance(platform, str) or not platform.strip():
        problems.append(f"{where}.platform: missing")
        platform = "unknown"
    platform = platform.strip().lower()
    post_id = _ident(post.get("post_id"))
    if post_id is None:
        problems.append(f"{where}.post_id: missing")
    text = post.get("text")
    if not isinstance(text, str):
        problems.append(f"{where}.text: missing" if text is None else f"{where}.text: not text")
        return Item(where, problem="; ".join(problems))
    public = post.get("public", True)
    if not isinstance(public, bool):
        problems.append(f"{where}.public: expected true or false")
        public = True
    author = post.get("author")
    if author is not None and not isinstance(author, str):
        problems.append(f"{where}.author: expected text")
        author = None
    url = post.get("url")
    if url is not None and not isinstance(url, str):
        problems.append(f"{where}.url: expected text")
        url = None
    received = now
    if post.get("created_at") is not None:
        parsed = _time(post.get("created_at"))
        if parsed is None:
            problems.append(f"{where}.created_at: not an ISO-8601 time")
        else:
            received = parsed
    parent = _ident(post.get("in_reply_to"))
    if post.get("in_reply_to") is not None and parent is None:
        problems.append(f"{where}.in_reply_to: expected a post id")
    raw = json.dumps(post, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    external_id = (f"{platform}:{post_id}" if post_id
                   else f"unidentified:{hashlib.sha256(raw).hexdigest()[:24]}")
    parent_id = f"{platform}:{parent}" if parent else None
    metadata: dict[str, Any] = {"platform": platform, "source": "feed",
                                "thread_id": parent_id or external_id}
    if post_id:
        metadata["post_id"] = post_id
    if url:
        metadata["url"] = url
    sender = f"{platform}:{author.strip()}" if author and author.strip() else None
    message = InboundMessage(
        channel=Channel.SOCIAL, external_id=external_id, received_at=received, text=text,
        sender=sender, sender_name=author, public=public, raw=raw,
        conversation_id=None if sender else external_id, metadata=metadata,
    )
    return Item(where, message=message, problem="; ".join(problems) or None,
                parents=(parent_id,) if parent_id else ())


def _ident(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | str) and str(value).strip():
        return str(value).strip()
    return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class SocialFeed:
    """The feed endpoint: verify, parse, store, and suggest public replies."""

    def __init__(self, db: Database, receive: Receiver, secret: str, profile: PolicyProfile,
                 clock: Callable[[], datetime]) -> None:
        self.db = db
        self.receive = receive
        self.secret = secret
        self.profile = profile
        self.clock = clock

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(PATH, self.deliver)

    async def deliver(self, request: web.Request) -> web.Response:
        body = await request.read()
        verdict = verify(self.secret, body, request.headers.get("X-Intake-Signature"),
                         prefix_required=False)
        if verdict is Verdict.MISSING:
            return web.json_response({"error": "missing X-Intake-Signature header"}, status=401)
        if verdict is Verdict.INVALID:
            log.warning("social feed refused: X-Intake-Signature does not match")
            return web.json_response({"error": "X-Intake-Signature does not match the body"},
                                     status=403)
        try:
            items = parse(load(body), self.clock())
        except PayloadError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        try:
            stored = await store_items(self.db, self.receive, items)
        except Exception:
            log.exception("could not store social feed posts; answered 503 so the tool retries")
            return web.json_response({"error": "temporary storage failure; retry"}, status=503)
        posts = await asyncio.to_thread(self._suggestions, stored)
        result = {**summary(items, stored), "posts": posts}
        log.info("social feed: %s stored, %s duplicates, %s problems", len(result["stored"]),
                 len(result["duplicates"]), len(result["problems"]))
        if result["problems"]:
            return web.json_response({"error": "; ".join(result["problems"]), **result},
                                     status=400)
        return web.json_response(result)

    def _suggestions(self, stored: list[Stored]) -> list[dict[str, Any]]:
        """Per post: ids, whether it holds personal data, and the public reply to post."""
        from triage.pii import detect_pii

        out = []
        for entry in stored:
            message = entry.message
            spans = detect_pii(message.text, self.profile)
            reply = (suggest_public_reply(self.profile, has_personal_data=bool(spans))
                     if message.public else None)
            out.append({
                "platform": message.metadata.get("platform"),
                "post_id": message.metadata.get("post_id"),
                "inbound_id": entry.inbound_id,
                "duplicate": not entry.created,
                "public": message.public,
                "personal_data": bool(spans),
                "pii_types": sorted({span.type.value for span in spans}),
                "suggested_public_reply": reply,
            })
        return out
