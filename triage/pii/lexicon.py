"""Hand-written word lists that stop ordinary words being read as names.

Separate from the generated gazetteers because these are judgement calls by the team, reviewed
in code review, while the gazetteers are regenerated from faker.
"""

from __future__ import annotations

from spacy.lang.en.stop_words import STOP_WORDS

from triage.pii.wordlists import words

STOP: frozenset[str] = frozenset(w.lower() for w in STOP_WORDS)
COMMON_WORDS: frozenset[str] = words("common_words.txt") | STOP
NON_NAME_WORDS: frozenset[str] = words("non_name_words.txt")
ORG_WORDS: frozenset[str] = words("org_words.txt")
