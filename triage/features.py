"""Turn a parsed message into the text the statistical models read.

One string per message: lemmas in order (numbers, emails, links and @handles replaced by
placeholders so the model learns "a phone number was given", not the number), followed by one
token per rule phrase that fired (`rule_legal_claim`, ...) and the channel. The word "complaint"
and its forms are removed: the Code says the word need not be used and must not decide the
route (1.3), so the model has to learn from what the resident describes instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from triage.rules import RuleHit

# Forms of "complain" never reach the model (policy-facts 1.3: the word does not decide).
MASKED_LEMMAS: frozenset[str] = frozenset(
    {"complaint", "complain", "complaints", "complained", "complaining", "complainant"}
)
_EMAIL = re.compile(r"^[\w.+\-]+@[\w\-]+\.[\w.\-]+$")
_HANDLE = re.compile(r"^@\w+$")
_URL = re.compile(r"^(?:https?://|www\.)", re.I)
_HASHTAG = re.compile(r"^#\w+$")


# Model form of each word form (depends on the form alone), cached for the hot path.
_FORMS: dict[int, str | None] = {}
_MISSING = "\x00missing"


@dataclass(frozen=True, slots=True)
class MessageFeatures:
    """The model input for one message, with the rule hits kept for the reasons."""

    text: str
    hits: tuple[RuleHit, ...]


def _token_form(lemma: str, text: str, like_num: bool) -> str | None:
    if lemma in MASKED_LEMMAS or text.lower() in MASKED_LEMMAS:
        return None
    if _EMAIL.match(text):
        return "<email>"
    if _URL.match(text):
        return "<url>"
    if _HANDLE.match(text):
        return "<handle>"
    if _HASHTAG.match(text):
        return text.lower()
    if like_num or any(ch.isdigit() for ch in text):
        return "<num>"
    return lemma or text.lower()


def _form_of(token: Token) -> str | None:
    form = _FORMS.get(token.orth, _MISSING)
    if form is _MISSING:
        if token.is_space or (token.is_punct and token.text not in ("?", "!")):
            form = None
        else:
            form = _token_form(token.lemma_, token.text, token.like_num)
        if len(_FORMS) < 500_000:
            _FORMS[token.orth] = form
    return form


def surfaces(doc: Doc, features: Sequence[str]) -> list[tuple[str, int, int] | None]:
    """The customer's own words behind each model feature ("be break" -> "was broken"), with
    their character offsets, or None where a feature is not in the message.

    Features are light lemmas, which read oddly ("tim", "hav"); reasons quote what the
    customer wrote instead. The message's forms are worked out once for all features.
    """
    kept = [t for t in doc if _form_of(t) is not None]
    forms = [_form_of(t) for t in kept]
    out: list[tuple[str, int, int] | None] = []
    for feature in features:
        wanted = feature.split()
        n = len(wanted)
        found = next((i for i in range(len(forms) - n + 1) if forms[i : i + n] == wanted), None)
        if found is None:
            out.append(None)
            continue
        span = doc[kept[found].i : kept[found + n - 1].i + 1]
        out.append((span.text, span.start_char, span.end_char))
    return out


def model_text(doc: Doc, hits: list[RuleHit], channel: str, public: bool,
               subject: str | None = None, extra: list[str] | None = None) -> str:
    """The single string the route and flag models read (see module docstring)."""
    words: list[str] = []
    if subject:
        words.append("<subject>")
        for raw in re.findall(r"[\w'@#./+\-]+", subject.lower()):
            form = _token_form(raw, raw, raw.isdigit())
            if form:
                words.append(form)
        words.append("</subject>")
    for token in doc:
        form = _form_of(token)
        if form:
            words.append(form)
    words.extend(f"rule_{hit.group}" for hit in hits)
    words.extend(extra or ())
    words.append(f"channel_{channel}")
    if public:
        words.append("channel_public")
    return " ".join(words)
