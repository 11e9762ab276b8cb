"""The shared spaCy pipeline: tokeniser and a light lemmatiser.

We may not download trained spaCy models, so the pipeline is `spacy.blank("en")` plus our own
components. spaCy's blank English pipeline has no lemmatiser (its tables live in an extra
package), so `intake_lemmatizer` strips common English inflections with a handful of rules. The
result is closer to a stem than a dictionary lemma, but it is applied identically to messages
and to rule phrases, which is all matching needs: "leaking", "leaked" and "leaks" all meet the
rule word "leak".
"""

from __future__ import annotations

import re
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

# Irregular forms that suffix stripping cannot reach.
_IRREGULAR: dict[str, str] = {
    "was": "be", "were": "be", "is": "be", "are": "be", "am": "be", "been": "be", "being": "be",
    "'s": "'s", "has": "have", "had": "have", "having": "have", "did": "do", "does": "do",
    "done": "do", "went": "go", "gone": "go", "goes": "go", "came": "come", "told": "tell",
    "said": "say", "says": "say", "left": "leave", "fell": "fall", "fallen": "fall",
    "broke": "break", "broken": "break", "took": "take", "taken": "take", "gave": "give",
    "given": "give", "made": "make", "making": "make", "makes": "make", "got": "get",
    "gotten": "get", "kept": "keep", "sent": "send", "felt": "feel", "thought": "think",
    "bought": "buy", "caught": "catch", "built": "build", "heard": "hear", "met": "meet",
    "paid": "pay", "wrote": "write", "written": "write", "spoke": "speak", "spoken": "speak",
    "children": "child", "kids": "kid", "people": "person", "men": "man", "women": "woman",
    "mice": "mouse", "feet": "foot", "teeth": "tooth", "lives": "life", "knives": "knife",
    "leaves": "leave", "wires": "wire", "stairs": "stair", "neighbours": "neighbour",
    "neighbors": "neighbour", "neighbor": "neighbour", "mold": "mould", "moldy": "mouldy",
    "cos": "because", "coz": "because", "u": "you", "ur": "your", "pls": "please",
    "plz": "please", "thx": "thanks", "ta": "thanks", "wont": "will", "won't": "will",
    "cant": "can", "can't": "can", "dont": "do", "don't": "do", "didnt": "do", "didn't": "do",
    "isnt": "be", "isn't": "be", "aint": "be", "ain't": "be",
}
_VOWELS = set("aeiouy")
_WORD = re.compile(r"^[a-z][a-z'\-]*$")


@lru_cache(maxsize=65536)
def lemmatise(word: str) -> str:
    """The light lemma of one lower-case word (cached: the vocabulary of messages is small)."""
    low = word.lower()
    if low in _IRREGULAR:
        return _IRREGULAR[low]
    if not _WORD.match(low) or len(low) <= 3:
        return low
    stem = low
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""),
                         ("s", "")):
        if stem.endswith(suffix) and len(stem) - len(suffix) >= 3:
            if suffix == "s" and stem.endswith(("ss", "us", "is")):
                break
            if suffix == "es" and not stem.endswith(("shes", "ches", "xes", "sses", "zes")):
                continue
            stem = stem[: -len(suffix)] + repl
            break
    if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in _VOWELS | {"l", "s", "z"}:
        stem = stem[:-1]
    if len(stem) > 3 and stem.endswith("e") and not stem.endswith(("ee", "ie", "ye")):
        stem = stem[:-1]
    return stem


_LEMMA_IDS: dict[int, int] = {}


@Language.component("intake_lemmatizer")
def intake_lemmatizer(doc: Doc) -> Doc:
    """Set `token.lemma` from `lemmatise` so Matcher/PhraseMatcher rules can use LEMMA.

    The lemma's string-store id is cached per word form: this runs on every token of every
    message, and the hot path must stay well above 200 messages a second on one core.
    """
    strings = doc.vocab.strings
    cache = _LEMMA_IDS
    for token in doc:
        lemma_id = cache.get(token.orth)
        if lemma_id is None:
            lemma_id = strings.add(lemmatise(token.lower_))
            if len(cache) < 500_000:
                cache[token.orth] = lemma_id
        token.lemma = lemma_id
    return doc


@lru_cache(maxsize=1)
def get_nlp() -> Language:
    """The one shared pipeline, built once per process (about 0.2 s).

    The rule-based sentencizer (punctuation and line breaks) gives the sentence that reasons
    quote (triage.evidence); it costs about 0.02 ms a message. A statistical parser would
    need a downloaded model and far more time for no gain here.
    """
    nlp = spacy.blank("en")
    nlp.add_pipe("intake_lemmatizer")
    nlp.add_pipe("sentencizer")
    return nlp
