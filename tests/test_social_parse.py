"""The social channel's pure parts: Facebook webhook shapes, the feed, signatures, Graph errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from channels import facebook_parse, social_feed
from channels.facebook_graph import graph_error, object_id, split_text
from channels.social_signing import Verdict, sign, verify
from storage.outbox import Claimed
from tests.fakes.graph_api import (
    PAGE_ID,
    comment_change,
    message_event,
    page_body,
    post_change,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def parse(body: dict) -> list[facebook_parse.Item]:
    return facebook_parse.parse(facebook_parse.load(json.dumps(body).encode()), NOW)


def test_comment_post_and_message_shapes_become_inbound_messages() -> None:
    body = page_body(
        changes=[comment_change("Still no heating", comment_id="111_222", post_id="104_111"),
                 post_change("Bins not collected for weeks", post_id="104_333")],
        messaging=[message_event("Hello, any news?", mid="m_abc", psid="7100")],
    )
    comment, post, dm = parse(body)
    assert comment.message is not None and comment.problem is None
    m = comment.message
    assert (m.external_id, m.public, m.sender, m.text) == ("111_222", True, "6012345678901",
                                                           "Still no heating")
    assert m.metadata["thread_id"] == "104_111" and m.metadata["page_id"] == PAGE_ID
    assert m.received_at == datetime.fromtimestamp(1795860000, UTC)
    assert comment.parents == ("104_111",)
    assert post.message is not None and post.message.external_id == "104_333"
    assert post.message.metadata["thread_id"] == "104_333"
    assert dm.message is not None and dm.psid == "7100"
    d = dm.message
    assert (d.external_id, d.public, d.conversation_id, d.sender) == ("m_abc", False, "7100",
                                                                      "7100")
    assert d.received_at == datetime.fromtimestamp(1795860000.123, UTC)


def test_page_own_posts_echoes_reactions_and_removals_are_ignored() -> None:
    own = comment_change("Thanks, please DM us", comment_id="1_2", post_id="104_1",
                         user_id=PAGE_ID)
    removed = comment_change("", comment_id="1_3", post_id="104_1", verb="remove")
    reaction = {"field": "feed", "value": {"item": "reaction", "verb": "add",
                                           "post_id": "104_1", "reaction_type": "like"}}
    echo = message_event("We have logged", mid="m_echo", psid=PAGE_ID)
    echo2 = message_event("We have logged", mid="m_echo2", psid="7100")
    echo2["message"]["is_echo"] = True
    read = {"sender": {"id": "7100"}, "recipient": {"id": PAGE_ID}, "timestamp": 1,
            "read": {"watermark": 1}}
    items = parse(page_body(changes=[own, removed, reaction], messaging=[echo, echo2, read]))
    assert [i.message for i in items] == [None] * 6
    assert all(i.ignored and not i.problem for i in items)


def test_edit_threads_onto_the_original_and_retries_serialise_identically() -> None:
    first = parse(page_body(changes=[comment_change("x", comment_id="1_9", post_id="104_1")]))
    again = parse(page_body(changes=[comment_change("x", comment_id="1_9", post_id="104_1")]))
    assert first[0].message is not None and again[0].message is not None
    assert first[0].message.raw == again[0].message.raw
    edit = parse(page_body(changes=[comment_change("x, and my number is 07700 900123",
                                                   comment_id="1_9", post_id="104_1",
                                                   verb="edited")]))[0]
    assert edit.message is not None
    assert edit.message.external_id.startswith("1_9:edited:")
    assert edit.message.thread_ids == ("1_9",)


@pytest.mark.parametrize(("body", "reason"), [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (json.dumps({"object": "instagram", "entry": []}).encode(), "unknown object type"),
    (json.dumps({"entry": []}).encode(), "'object'"),
    (json.dumps({"object": "page"}).encode(), "'entry'"),
])
def test_unusable_bodies_are_refused_with_the_reason(body: bytes, reason: str) -> None:
    with pytest.raises(facebook_parse.PayloadError, match=reason):
        facebook_parse.load(body)


def test_missing_fields_are_named_but_readable_text_is_kept() -> None:
    change = comment_change("My boiler is broken", comment_id="x", post_id="104_1")
    del change["value"]["comment_id"]
    no_text = comment_change("", comment_id="y", post_id="104_1")
    del no_text["value"]["comment_id"]
    no_item = {"field": "feed", "value": {"verb": "add", "message": "hi"}}
    kept, dropped, unknown = parse(page_body(changes=[change, no_text, no_item]))
    assert kept.message is not None and kept.problem is not None
    assert "comment_id: missing" in kept.problem
    assert kept.message.external_id.startswith("unidentified:")
    assert dropped.message is None and dropped.problem and "comment_id" in dropped.problem
    assert unknown.message is None and unknown.problem and ".item: missing" in unknown.problem


def test_feed_posts_one_or_many_with_problems_named() -> None:
    one = social_feed.parse(social_feed.load(json.dumps({
        "platform": "X", "post_id": 123, "author": "@jo", "public": True, "text": "Damp again",
        "url": "https://x.com/jo/status/123", "created_at": "2026-11-23T09:00:00Z",
        "in_reply_to": None}).encode()), NOW)
    assert len(one) == 1 and one[0].message is not None and one[0].problem is None
    m = one[0].message
    assert (m.external_id, m.sender, m.public) == ("x:123", "x:@jo", True)
    assert m.received_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    many = social_feed.parse(social_feed.load(json.dumps([
        {"platform": "nextdoor", "post_id": "a", "text": "Lift broken", "in_reply_to": "z"},
        {"platform": "tiktok", "text": "no id here", "created_at": "yesterday"},
        {"platform": "instagram", "post_id": "c"},
    ]).encode()), NOW)
    assert many[0].message is not None and many[0].parents == ("nextdoor:z",)
    assert many[1].message is not None and many[1].problem is not None
    assert "post_id: missing" in many[1].problem and "created_at" in many[1].problem
    assert many[2].message is None and many[2].problem == "posts[2].text: missing"
    with pytest.raises(facebook_parse.PayloadError):
        social_feed.load(b"[]")


def test_signatures_missing_wrong_and_right() -> None:
    body = b'{"object":"page","entry":[]}'
    good = sign("s3cret", body)
    assert verify("s3cret", body, f"sha256={good}", prefix_required=True) is Verdict.OK
    assert verify("s3cret", body, good, prefix_required=True) is Verdict.INVALID
    assert verify("s3cret", body, good, prefix_required=False) is Verdict.OK
    assert verify("s3cret", body + b" ", f"sha256={good}", prefix_required=True) is Verdict.INVALID
    assert verify("other", body, f"sha256={good}", prefix_required=False) is Verdict.INVALID
    assert verify("s3cret", body, None, prefix_required=True) is Verdict.MISSING
    assert verify("s3cret", body, "sha256=zz\u00e9", prefix_required=True) is Verdict.INVALID


@pytest.mark.parametrize(("status", "code", "temporary"), [
    (429, None, True), (500, 1, True), (503, None, True), (400, 4, True), (400, 17, True),
    (400, 32, True), (400, 613, True), (400, 100, False), (400, 190, False),
    (403, 200, False), (400, 10, False),
])
def test_graph_errors_are_classified(status: int, code: int | None, temporary: bool) -> None:
    exc = graph_error(status, {"error": {"message": "m", "code": code}}, None)
    assert exc.temporary is temporary
    assert f"code {code}" in str(exc)


def test_graph_retry_after_and_transient_flag() -> None:
    exc = graph_error(400, {"error": {"code": 9999, "is_transient": True}}, "30")
    assert exc.temporary and exc.retry_after.total_seconds() == 30  # type: ignore[attr-defined]


def test_long_messenger_texts_split_at_boundaries() -> None:
    text = "\n\n".join(f"Paragraph {i}. " + "word " * 60 for i in range(20))
    parts = split_text(text)
    assert len(parts) > 1 and all(len(p) <= 2000 for p in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())
    assert all(p.startswith("Paragraph") for p in parts)
    assert split_text("short") == ["short"]


def _row(in_reply_to: str) -> Claimed:
    return Claimed(1, "social", "u", None, "b", None, in_reply_to, (), 1, NOW, True,
                   "public_reply", {}, None)


def test_object_id_strips_our_suffixes() -> None:
    assert object_id(_row("111_222")) == "111_222"
    assert object_id(_row("111_222:edited:abcd")) == "111_222"
    assert object_id(_row("111_222#0123456789abcdef")) == "111_222"
    assert object_id(_row("unidentified:abc")) is None
