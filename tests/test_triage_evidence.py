"""Reasons quote the customer's sentence behind a flag or route, with personal data removed."""

from __future__ import annotations

from datetime import UTC, datetime

from intake.profiles import load_profile
from models import Channel, InboundMessage
from triage import triage_message
from triage.evidence import MAX_CHARS, sentence_at
from triage.nlp import get_nlp
from triage.pii import detect_pii

TEXT = ("Hi, this is the third time I have reported the black mould at 14 Kelso Road, LS9 7QP. "
        "My son Jake Ashworth has asthma and he is coughing every night. Please call "
        "07700 900123.")


def test_flag_and_route_reasons_quote_redacted_sentences() -> None:
    message = InboundMessage(channel=Channel.EMAIL, external_id="e1", text=TEXT,
                             received_at=datetime(2026, 1, 5, 10, tzinfo=UTC))
    result = triage_message(message, load_profile("hos-2024"))
    quoted = [r for r in result.reasons if " in their words: " in r]
    assert any(r.startswith("health_safety in their words: ") for r in quoted), result.reasons
    joined = " ".join(result.reasons)
    for value in ("Kelso", "LS9 7QP", "Jake", "Ashworth", "07700"):
        assert value not in joined
    assert "[ADDRESS]" in joined or "[PERSON]" in joined
    assert len(set(quoted)) == len(quoted)


def test_a_long_sentence_is_cut_around_the_evidence() -> None:
    text = ("I have been writing to you about many things for a very long time and "
            "nothing ever seems to change no matter who I speak to or what I say, and "
            "last night my daughter got an electric shock from the socket in the hall, "
            "which the electrician was meant to replace weeks ago but never did")
    doc = get_nlp()(text)
    start = text.index("electric shock")
    sentence = sentence_at(doc, start, start + len("electric shock"), detect_pii(text))
    assert sentence is not None
    assert "electric shock" in sentence
    assert len(sentence) <= MAX_CHARS + 6
    assert sentence.startswith("...")
