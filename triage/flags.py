"""Flags (health & safety, safeguarding, abusive, third party), independent of the route.

Each flag is decided by its own calibrated model when one is shipped; a short list of
unambiguous phrases ("carbon monoxide", "suicidal", "we act for") raises the flag whatever the
model says, because missing those is costly and they are rarely said in passing. Without a
model (a fresh checkout before training), the full vocabulary of `triage.vocab` decides alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.vocabulary import Flag
from triage.nlp import lemmatise
from triage.rules import RuleHit, phrases_of
from triage.vocab import ABUSIVE, HEALTH_SAFETY, SAFEGUARDING, THIRD_PARTY, RuleGroup

FLAG_GROUPS: dict[Flag, RuleGroup] = {
    Flag.HEALTH_SAFETY: HEALTH_SAFETY,
    Flag.SAFEGUARDING: SAFEGUARDING,
    Flag.ABUSIVE: ABUSIVE,
    Flag.THIRD_PARTY: THIRD_PARTY,
}

# Phrases that raise a flag on their own (lemmatised like the matcher does).
_STRONG: dict[Flag, tuple[str, ...]] = {
    Flag.HEALTH_SAFETY: (
        "gas smell", "smell of gas", "smell gas", "gas leak", "carbon monoxide", "co alarm",
        "exposed wire", "exposed wires", "bare wires", "live wire", "sparking",
        "electric shock", "burning smell", "water through the light", "asbestos",
        "ceiling fell", "ceiling came down", "ceiling has come down", "collapsed",
        "fire door", "fire doors", "black mould", "raw sewage", "risk to life",
    ),
    Flag.SAFEGUARDING: (
        "domestic abuse", "domestic violence", "self-harm", "self harm", "suicidal",
        "kill myself", "end it all", "end my life", "cuckooing", "county lines", "groomed",
        "harm myself", "don't want to be here", "financial abuse",
    ),
    Flag.ABUSIVE: ("cunt", "cunts", "i know where you live", "watch your back",
                   "i'll find you", "i will find you"),
    Flag.THIRD_PARTY: ("on behalf of", "my constituent", "we act for", "our client",
                       "support worker", "advocate", "on her behalf", "on his behalf"),
}
_STRONG_LEMMAS: dict[Flag, frozenset[str]] = {
    flag: frozenset(" ".join(lemmatise(w) for w in p.split()) for p in phrases)
    for flag, phrases in _STRONG.items()
}


@dataclass(frozen=True, slots=True)
class FlagDecision:
    """One raised flag and why."""

    flag: Flag
    reason: str


def _strong_hits(hits: tuple[RuleHit, ...], flag: Flag) -> list[str]:
    group = FLAG_GROUPS[flag].name
    wanted = _STRONG_LEMMAS[flag]
    return [h.text.lower() for h in hits
            if h.group == group and " ".join(lemmatise(w) for w in h.text.lower().split())
            in wanted]


def possible_flags(probabilities: dict[Flag, float] | None,
                   thresholds: dict[Flag, float] | None = None) -> frozenset[Flag]:
    """Flags whose model score reached half its cut-off without raising the flag. Used where
    caution is cheap (triage.policy), never to flag. Vocabulary phrases alone do not count:
    words like "flood" or "damp" sit in most old, finished repair stories and measured as
    keeping four out-of-time messages in time for every complaint they saved."""
    scores = probabilities or {}
    cut_offs = thresholds or {}
    return frozenset(flag for flag, score in scores.items()
                     if score >= 0.5 * cut_offs.get(flag, 0.5))


def decide_flags(hits: tuple[RuleHit, ...], probabilities: dict[Flag, float] | None,
                 thresholds: dict[Flag, float] | None = None) -> list[FlagDecision]:
    """Flags raised for one message, each with a reason staff can read."""
    decisions: list[FlagDecision] = []
    for flag in Flag:
        group = FLAG_GROUPS[flag]
        quoted = ", ".join(f"'{p}'" for p in phrases_of(list(hits), group.name))
        strong = _strong_hits(hits, flag)
        if strong:
            decisions.append(FlagDecision(flag, f"{flag.value}: rule fired: "
                                                f"{group.meaning} ('{strong[0]}')"))
            continue
        if probabilities is not None and flag in probabilities:
            score = probabilities[flag]
            threshold = (thresholds or {}).get(flag, 0.5)
            if score >= threshold:
                why = f" ({quoted})" if quoted else ""
                decisions.append(FlagDecision(
                    flag, f"{flag.value}: model score {score:.2f}: {group.meaning}{why}"))
            continue
        if quoted:
            decisions.append(FlagDecision(flag, f"{flag.value}: rule fired: {group.meaning} "
                                                f"({quoted})"))
    return decisions
