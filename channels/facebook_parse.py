"""Facebook Page webhook bodies -> InboundMessages. Pure: no I/O, no clock but the one given.

Facebook batches: one POST carries `entry[]` (one per page and moment), each with `changes[]`
(the `feed` field: posts and comments on the page, public) and/or `messaging[]` (Messenger,
private). Every post, comment and message becomes one InboundMessage whose external id is
Facebook's own (comment_id, post_id, message mid), so a redelivered batch is stored once.
The page's own posts, comments and Messenger echoes are dropped here, so our replies never
come back in as customer messages.

Problems are collected per item with the path of the field that is wrong; an item whose text
can still be read is kept (with the problem as its parse error), because what a customer
wrote must not be lost to a missing id.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from models import Attachment, Channel, InboundMessage

POST_ITEMS = frozenset({"status", "post", "photo", "video", "share"})
NOT_CUSTOMER_TEXT = frozenset({"reaction", "like", "event", "album", "rating", "checkin",
                               "milestone", "coupon", "question", "note", "story"})
KEPT_VERBS = frozenset({"add", "edited"})


class PayloadError(ValueError):
    """The whole body is unusable (not JSON, not a Page webhook); answered with a 400."""


@dataclass(frozen=True)
class Item:
    """One unit of a webhook body: a message to store, a problem, or something ignored.

    `parents` (comments) and `psid` (Messenger) are what the endpoint looks up in storage to
    thread the message onto an earlier case before it is stored.
    """

    where: str
    message: InboundMessage | None = None
    problem: str | None = None
    ignored: str | None = None
    parents: tuple[str, ...] = ()
    psid: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def load(body: bytes) -> dict[str, Any]:
    """Parse the body and check its envelope: `{"object": "page", "entry": [...]}`."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise PayloadError("body must be a JSON object with 'object' and 'entry'")
    kind = payload.get("object")
    if kind is None:
        raise PayloadError("missing field 'object' (expected \"page\")")
    if kind != "page":
        raise PayloadError(f"unknown object type {kind!r}: this endpoint takes Page webhooks "
                           "(object \"page\")")
    if not isinstance(payload.get("entry"), list):
        raise PayloadError("missing or invalid field 'entry' (expected a list)")
    return payload


def parse(payload: dict[str, Any], now: datetime) -> list[Item]:
    """Every item of a Page webhook body, in order."""
    items: list[Item] = []
    for i, entry in enumerate(payload["entry"]):
        where = f"entry[{i}]"
        if not isinstance(entry, dict):
            items.append(Item(where, problem=f"{where}: expected an object"))
            continue
        page_id = _id(entry.get("id"))
        if page_id is None:
            items.append(Item(where, problem=f"{where}.id: missing page id"))
            continue
        changes = entry.get("changes", [])
        messaging = entry.get("messaging", [])
        if not isinstance(changes, list) or not isinstance(messaging, list):
            items.append(Item(where, problem=f"{where}: 'changes' and 'messaging' must be lists"))
            continue
        for j, change in enumerate(changes):
            items.append(_change(f"{where}.changes[{j}]", page_id, change, now))
        for k, event in enumerate(messaging):
            items.append(_messaging(f"{where}.messaging[{k}]", page_id, event, now))
    return items


# -- feed changes ------------------------------------------------------------------------------

def _change(where: str, page_id: str, change: Any, now: datetime) -> Item:
    if not isinstance(change, dict):
        return Item(where, problem=f"{where}: expected an object")
    name = change.get("field")
    if name != "feed":
        return Item(where, ignored=f"field {name!r} is not handled")
    value = change.get("value")
    if not isinstance(value, dict):
        return Item(where, problem=f"{where}.value: missing or not an object")
    where = f"{where}.value"
    item = value.get("item")
    if item is None:
        return Item(where, problem=f"{where}.item: missing (expected 'comment', 'post', ...)")
    if item in NOT_CUSTOMER_TEXT:
        return Item(where, ignored=f"feed item {item!r} carries no customer text")
    if item != "comment" and item not in POST_ITEMS:
        return Item(where, ignored=f"feed item {item!r} is not handled")
    found = value.get("from")
    author: dict[str, Any] = found if isinstance(found, dict) else {}
    author_id = _id(author.get("id"))
    if author_id is not None and author_id == page_id:
        return Item(where, ignored="the page's own post or comment")
    verb = value.get("verb")
    if verb is not None and verb not in KEPT_VERBS:
        return Item(where, ignored=f"verb {verb!r}: nothing new to read")
    problems: list[str] = []
    if verb is None:
        problems.append(f"{where}.verb: missing (expected 'add', 'edited' or 'remove')")
    text = value.get("message", "")
    if not isinstance(text, str):
        problems.append(f"{where}.message: expected text")
        text = ""
    post_id = _id(value.get("post_id"))
    if post_id is None:
        problems.append(f"{where}.post_id: missing")
    object_id = _id(value.get("comment_id")) if item == "comment" else post_id
    if item == "comment" and object_id is None:
        problems.append(f"{where}.comment_id: missing")
    attachments = tuple(
        Attachment(filename=kind, content_type=f"{kind}/*" if kind != "link" else "text/uri-list",
                   size=0)
        for kind in ("photo", "video", "link") if value.get(kind)
    )
    raw = _raw(page_id, "feed", value)
    if not text.strip() and not attachments and problems:
        return Item(where, problem="; ".join(problems))
    received = _when(value.get("created_time"), now)
    if received is None:
        if "created_time" in value:
            problems.append(f"{where}.created_time: not a time")
        received = now
    external_id = object_id or f"unidentified:{hashlib.sha256(raw).hexdigest()[:24]}"
    parents: tuple[str, ...] = ()
    thread_ids: tuple[str, ...] = ()
    if verb == "edited" and object_id:
        external_id = f"{object_id}:edited:{hashlib.sha256(text.encode()).hexdigest()[:16]}"
        thread_ids = (object_id,)
    elif item == "comment":
        parent = _id(value.get("parent_id"))
        parents = tuple(dict.fromkeys(p for p in (parent, post_id) if p and p != object_id))
    metadata: dict[str, Any] = {
        "platform": "facebook", "page_id": page_id, "item": item, "verb": verb or "add",
        "thread_id": post_id or object_id or external_id,
    }
    if post_id:
        metadata["post_id"] = post_id
    if item == "comment" and object_id:
        metadata["comment_id"] = object_id
    message = InboundMessage(
        channel=Channel.SOCIAL, external_id=external_id, received_at=received, text=text,
        sender=author_id, sender_name=_str(author.get("name")), public=True, raw=raw,
        recipient=page_id, thread_ids=thread_ids, attachments=attachments,
        conversation_id=None if author_id else object_id, metadata=metadata,
    )
    return Item(where, message=message, problem="; ".join(problems) or None, parents=parents)


# -- Messenger ---------------------------------------------------------------------------------

def _messaging(where: str, page_id: str, event: Any, now: datetime) -> Item:
    if not isinstance(event, dict):
        return Item(where, problem=f"{where}: expected an object")
    body = event.get("message")
    if body is None:
        kinds = sorted(k for k in event if k not in ("sender", "recipient", "timestamp"))
        return Item(where, ignored=f"messaging event without a message ({', '.join(kinds)})")
    if not isinstance(body, dict):
        return Item(where, problem=f"{where}.message: expected an object")
    if body.get("is_echo"):
        return Item(where, ignored="echo of a message the page sent")
    found = event.get("sender")
    sender: dict[str, Any] = found if isinstance(found, dict) else {}
    psid = _id(sender.get("id"))
    if psid is not None and psid == page_id:
        return Item(where, ignored="message sent by the page")
    problems: list[str] = []
    if psid is None:
        problems.append(f"{where}.sender.id: missing")
    text = body.get("text", "")
    if not isinstance(text, str):
        problems.append(f"{where}.message.text: expected text")
        text = ""
    attachments = tuple(
        Attachment(filename=str(a.get("type") or "file"),
                   content_type=_content_type(str(a.get("type") or "")), size=0)
        for a in body.get("attachments") or [] if isinstance(a, dict)
    )
    mid = _id(body.get("mid"))
    if mid is None:
        problems.append(f"{where}.message.mid: missing")
    raw = _raw(page_id, "messaging", event)
    if not text.strip() and not attachments and problems:
        return Item(where, problem="; ".join(problems))
    received = _when(event.get("timestamp"), now, millis=True)
    if received is None:
        if "timestamp" in event:
            problems.append(f"{where}.timestamp: not a time")
        received = now
    metadata: dict[str, Any] = {"platform": "facebook", "page_id": page_id}
    if mid:
        metadata["mid"] = mid
    message = InboundMessage(
        channel=Channel.SOCIAL,
        external_id=mid or f"unidentified:{hashlib.sha256(raw).hexdigest()[:24]}",
        received_at=received, text=text, sender=psid, public=False, raw=raw,
        recipient=page_id, attachments=attachments, conversation_id=psid, metadata=metadata,
    )
    return Item(where, message=message, problem="; ".join(problems) or None, psid=psid)


# -- helpers -----------------------------------------------------------------------------------

def _id(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | str) and str(value).strip():
        return str(value).strip()
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _raw(page_id: str, kind: str, item: dict[str, Any]) -> bytes:
    """This item alone, canonically serialised: a redelivery in another batch has the same
    bytes (so the receiver recognises it), and other people's messages are not copied in."""
    return json.dumps({"page_id": page_id, kind: item}, sort_keys=True,
                      ensure_ascii=False).encode("utf-8")


def _when(value: Any, now: datetime, *, millis: bool = False) -> datetime | None:
    """Facebook sends Unix seconds (feed), milliseconds (Messenger) or ISO-8601 strings."""
    if value is None:
        return now
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if millis or value > 10**11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return _when(int(text), now, millis=millis)
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
            except ValueError:
                return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _content_type(kind: str) -> str:
    return {"image": "image/*", "video": "video/*", "audio": "audio/*",
            "file": "application/octet-stream"}.get(kind, "application/octet-stream")
