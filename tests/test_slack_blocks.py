"""The staff card stays within Slack's block limits whatever triage says."""

from __future__ import annotations

from channels.slack_blocks import card_blocks


def test_long_reasons_fit_one_section() -> None:
    payload = {"case_ref": "CMP-2026-00001", "route": "complaint", "confidence": 0.4,
               "flags": ["health_safety"], "text": "Mould again.",
               "reasons": [f"reason {i}: " + "x" * 400 for i in range(20)]}
    blocks = card_blocks(payload, {"status": "open", "deadlines": []})
    why = [b for b in blocks if b.get("type") == "section"
           and str(b.get("text", {}).get("text", "")).startswith("*Why*")]
    assert len(why) == 1
    text = why[0]["text"]["text"]
    assert len(text) <= 3000 and "reason 0:" in text
