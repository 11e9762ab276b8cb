"""Is the problem still going on, or keeps coming back?

Recurrence matters for policy: a problem that is still happening is never out of time, however
long ago it started (Code 2.3). Residents say so with words like "still", "again", "ongoing",
"every time it rains" (dates such as "since March" are read by triage.dates; a bare "since" is
not a cue: "I've since moved"); they say it has ended with "fixed now", "been fine ever
since", "no longer". A message is recurring when an ongoing cue fires and the ended cues do not
outweigh it (ended cues win ties: "it was fixed in 2024 and has been fine since" is over).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from triage.nlp import get_nlp

ONGOING: tuple[str, ...] = (
    "still", "again", "yet again", "back again", "ongoing", "on-going", "on going", "keeps",
    "keep happening", "keeps happening", "keep coming back", "keeps coming back",
    "every time", "each time", "every night", "every day", "every week", "every weekend",
    "every winter", "every year", "every autumn", "every month", "every morning",
    "every evening", "whenever", "constantly", "continually", "continues", "continuing",
    "carry on", "carries on", "carrying on", "all the time", "persist", "persistent",
    "recurring", "came back", "come back", "is back", "it's back", "not fixed",
    "never fixed", "never been fixed", "hasn't been fixed", "has not been fixed",
    "not been fixed", "not sorted", "not been sorted", "never sorted", "no better",
    "getting worse", "got worse", "worse", "to this day", "still waiting", "nobody has",
    "no one has", "nothing has been done", "nothing's been done", "repeatedly", "third time",
    "fourth time", "fifth time", "second time", "when it rains", "every time it rains",
    "whenever it rains", "over and over", "right now", "at the moment", "currently",
    "for weeks", "for months", "for years", "been going on", "going on",
    "still not", "still no", "not resolved", "unresolved", "without heating",
    "without hot water", "without a", "weeks now", "months now", "years now",
)
ENDED: tuple[str, ...] = (
    "fixed now", "fine now", "it's fine now", "all fine now", "been fine since",
    "fine ever since", "been fine ever since", "right ever since", "been right ever since",
    "resolved now", "sorted now", "all sorted", "was sorted", "got sorted", "was fixed",
    "were fixed", "was replaced", "was repaired", "was corrected", "has been fine",
    "no longer", "moved out", "moved on", "moved away", "all done now", "done now",
    "it's done", "was done", "were done", "sold", "in the past", "at the time",
    "came up fine", "works fine now", "working fine now", "is great", "ever since",
    "a bad memory", "back then", "my old", "his old", "her old", "old place", "old flat",
    "old house", "used to", "fine since", "all fine since", "better since", "much better since",
    "no more problem", "no more problems", "no problem since", "no problems since",
    "has since been", "have since been", "since been replaced", "since been fixed",
    "since been repaired", "fixed ages ago", "sorted ages ago", "all finished", "it's fine",
    "all good now", "hasn't been back", "has not been back", "not been back",
    "never been back", "haven't had any problems", "no issues since",
    # Feelings that linger are not the problem going on.
    "still annoyed", "still cross", "still miffed", "still upset", "still angry",
    "still unhappy", "still bothered", "still think", "still feel", "still fuming",
    "still livid", "still gutted", "still bug", "still bugs", "still bothering", "still like",
    "still be able", "still able", "still claim", "still bring",
    "still not forgiven", "still think about", "still thinking about", "still remember",
    "since moved", "since left", "since then all fine", "since then it's been fine",
)


@dataclass(frozen=True, slots=True)
class Recurrence:
    """Whether the problem is ongoing, with the cue phrases that decided it."""

    recurring: bool
    ongoing_cues: tuple[str, ...]
    ended_cues: tuple[str, ...]


class RecurrenceDetector:
    """PhraseMatchers on lemmas for the ongoing and ended vocabularies."""

    def __init__(self, nlp: Language) -> None:
        self.matcher = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.matcher.add("ongoing", list(nlp.pipe(ONGOING)))
        self.matcher.add("ended", list(nlp.pipe(ENDED)))

    def __call__(self, doc: Doc) -> Recurrence:
        ongoing: list[str] = []
        ended: list[str] = []
        ended_spans: list[tuple[int, int]] = []
        matches = sorted(self.matcher(doc), key=lambda m: (m[1], -(m[2] - m[1])))
        for match_id, start, end in matches:
            label = doc.vocab.strings[match_id]
            if label == "ended":
                ended_spans.append((start, end))
                ended.append(doc[start:end].text.lower())
        for match_id, start, end in matches:
            label = doc.vocab.strings[match_id]
            inside = any(s <= start and end <= e for s, e in ended_spans)
            if label == "ongoing" and not inside:
                ongoing.append(doc[start:end].text.lower())
        recurring = bool(ongoing) and len(set(ended)) < len(set(ongoing))
        return Recurrence(recurring, tuple(dict.fromkeys(ongoing)), tuple(dict.fromkeys(ended)))


@lru_cache(maxsize=1)
def get_recurrence() -> RecurrenceDetector:
    """The shared detector over the shared pipeline."""
    return RecurrenceDetector(get_nlp())
