"""Run the rule vocabularies over a parsed message and report every phrase that fired.

Rules are spaCy PhraseMatchers on lemmas (one per vocabulary group in `triage.vocab`) plus a few
token-pattern Matcher rules for shapes a phrase list cannot express ("will/going to ... a
solicitor"). Hits carry their character offsets so reasons can quote the customer's own words.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from triage.nlp import get_nlp
from triage.vocab import ALL_GROUPS, RuleGroup


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One phrase of one vocabulary group found in the message."""

    group: str
    text: str
    start: int
    end: int


# Token patterns: a future or conditional verb followed, within the clause (no punctuation
# between), by a legal word.
# These mark a *threat* of legal action, which the Code treats as a complaint, not as `legal`.
_THREAT_PATTERNS: list[list[dict[str, object]]] = [
    [
        {"LOWER": {"IN": ["will", "'ll", "gonna", "going", "shall", "might", "may", "could"]}},
        {"IS_PUNCT": False, "OP": "{0,6}"},
        {"LEMMA": {"IN": ["solicitor", "lawyer", "court", "sue", "ombudsman", "legal", "mp",
                          "councillor", "press", "paper", "news"]}},
    ],
    [
        {"LEMMA": {"IN": ["consider", "think", "seek", "get", "contact", "speak", "talk"]}},
        {"IS_PUNCT": False, "OP": "{0,4}"},
        {"LEMMA": {"IN": ["solicitor", "lawyer", "legal", "ombudsman", "mp", "councillor"]}},
    ],
]


class RuleSet:
    """The compiled matchers for every vocabulary group (built once, shared by all threads)."""

    def __init__(self, nlp: Language, groups: tuple[RuleGroup, ...] = ALL_GROUPS) -> None:
        self.groups = {group.name: group for group in groups}
        self.phrases = PhraseMatcher(nlp.vocab, attr="LEMMA")
        for group in groups:
            patterns = list(nlp.pipe(group.phrases))
            self.phrases.add(group.name, patterns)
        self.tokens = Matcher(nlp.vocab)
        self.tokens.add("legal_threat", _THREAT_PATTERNS)

    def hits(self, doc: Doc) -> list[RuleHit]:
        """Every hit in text order; overlapping phrases of one group are kept once."""
        found: list[RuleHit] = []
        seen: set[tuple[str, int]] = set()
        vocab = doc.vocab
        for match_id, start, end in self.phrases(doc):
            name = vocab.strings[match_id]
            span = doc[start:end]
            key = (name, span.start_char)
            if key in seen:
                continue
            seen.add(key)
            found.append(RuleHit(name, span.text, span.start_char, span.end_char))
        for _match_id, start, end in self.tokens(doc):
            span = doc[start:end]
            key = ("legal_threat", span.start_char)
            if key in seen:
                continue
            seen.add(key)
            found.append(RuleHit("legal_threat", span.text, span.start_char, span.end_char))
        found.sort(key=lambda hit: (hit.start, hit.group))
        return found


@lru_cache(maxsize=1)
def get_rules() -> RuleSet:
    """The shared rule set over the shared pipeline."""
    return RuleSet(get_nlp())


def group_counts(hits: list[RuleHit]) -> Counter[str]:
    """How many phrases of each group fired: the rule features the model sees."""
    return Counter(hit.group for hit in hits)


def phrases_of(hits: list[RuleHit], group: str, limit: int = 3) -> list[str]:
    """Up to `limit` distinct phrases of one group, as the customer wrote them."""
    out: list[str] = []
    for hit in hits:
        phrase = hit.text.lower()
        if hit.group == group and phrase not in out:
            out.append(phrase)
        if len(out) >= limit:
            break
    return out
