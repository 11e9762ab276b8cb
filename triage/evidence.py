"""The customer's own sentence behind a flag or a route, for staff to read at a glance.

A reason such as "health_safety: rule fired ('asthma')" says which words mattered; the
sentence around them says what is actually happening ("My son has asthma and the mould is on
his bedroom wall"). spaCy's sentence boundaries give that sentence. Reasons are shown in
Slack and stored with the case, so personal data inside the sentence is replaced by its
`[TYPE]` tag first, and a long sentence is cut around the evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

from spacy.tokens import Doc

from models import PiiSpan
from triage.pii.redact import redact

MAX_CHARS = 160


def sentence_at(doc: Doc, start: int, end: int, pii: Sequence[PiiSpan]) -> str | None:
    """The redacted sentence of `doc` that holds the characters `start:end`, or None."""
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or not doc.has_annotation("SENT_START"):
        return None
    sentence = span.sent
    inside = [PiiSpan(max(p.start, sentence.start_char) - sentence.start_char,
                      min(p.end, sentence.end_char) - sentence.start_char, p.type)
              for p in pii if p.start < sentence.end_char and p.end > sentence.start_char]
    text = " ".join(redact(sentence.text, inside).split())
    if len(text) <= MAX_CHARS:
        return text
    # Keep the evidence in view: centre the cut on it.
    offset = max(0, min(start - sentence.start_char - MAX_CHARS // 3, len(text) - MAX_CHARS))
    cut = text[offset : offset + MAX_CHARS].strip()
    return ("..." if offset > 0 else "") + cut + ("..." if offset + MAX_CHARS < len(text) else "")
