"""Our understanding of a complaint and the outcome sought, for acknowledgements (Code 5.6).

Extractive and conservative: we restate the customer's own opening sentences (private replies
only) and pick out sentences that say what they want. When nothing says what they want we ask,
rather than guess.
"""

from __future__ import annotations

import re

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n{2,}")
_GREETING = re.compile(
    r"^(dear|hi|hello|hiya|good (morning|afternoon|evening)|to whom)\b[^\n]*\n", re.I
)
_OUTCOME = re.compile(
    r"\b(i|we)\s+(would like|want|need|expect|am asking|are asking|demand|request)\b"
    r"|\bplease\s+(can|could|would)?\s*(you\s+)?(fix|sort|repair|send|arrange|refund|compensate|"
    r"replace|remove|move|call|contact|reimburse|investigate|apologi[sz]e)\b"
    r"|\b(compensation|refund|apology|reimburse)",
    re.I,
)
_MAX_WORDS = 60


def _sentences(text: str) -> list[str]:
    body = _GREETING.sub("", text.strip(), count=1)
    parts = [re.sub(r"\s+", " ", p).strip() for p in _SENTENCE.split(body)]
    return [p for p in parts if len(p.split()) >= 3]


def _clip(text: str, limit: int = _MAX_WORDS) -> str:
    words = text.split()
    return " ".join(words[:limit]) + (" ..." if len(words) > limit else "")


def understanding(text: str, subject: str | None = None) -> str:
    """A short restatement: the subject line and the opening of the message."""
    sentences = _sentences(text)
    opening = _clip(" ".join(sentences[:3])) if sentences else "(your message had no text)"
    if subject and subject.strip() and not subject.lower().startswith(("re:", "fw:", "fwd:")):
        return f"{subject.strip()}: {opening}"
    return opening


def outcome_sought(text: str) -> str | None:
    """Sentences where the customer says what they want, or None when they do not say."""
    wanted = [s for s in _sentences(text) if _OUTCOME.search(s)]
    if not wanted:
        return None
    return _clip(" ".join(wanted[:2]), 50)
