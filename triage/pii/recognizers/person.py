"""Names of people by rules and gazetteers: titles, known names, sign-offs, relations.

Measured against a small spaCy NER trained on generated text (docs/pii.md), these rules are
faster and explainable. Each rule is a way people actually write names in complaints:
"Mrs Pike", "Mr D. Asante", "Priya Shah", "A. Briggs", "my son Jake", "spoke to Dave",
"Dave the plumber", and the name under "Kind regards," or alone on the last lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from models import PiiSpan, PiiType
from triage.pii.base import AnalysisContext, Recognizer
from triage.pii.gazetteer import (
    core_first_names,
    first_names,
    first_names_lower,
    surnames,
    surnames_lower,
)
from triage.pii.lexicon import NON_NAME_WORDS, ORG_WORDS, STOP
from triage.pii.recognizers.names import (
    CALLED_RE,
    DASH_SIGN_RE,
    IAM_RE,
    INITIAL_RE,
    LOWER_PAIR_RE,
    LOWER_RELATION_RE,
    LOWER_TITLE_RE,
    NAME_IS_RE,
    NAME_RE,
    RELATION_RE,
    SENTENCE_END,
    SIGNOFF_RE,
    THE_JOB_RE,
    TITLE_RE,
    common,
    is_stop,
    known,
)


class PersonRecognizer(Recognizer):
    """Rule-and-gazetteer person names."""

    name = "PersonRecognizer"
    entity = PiiType.PERSON

    def analyze(self, ctx: AnalysisContext) -> Iterable[PiiSpan]:
        """Apply each rule; overlapping results are resolved by the registry."""
        text = ctx.text
        yield from self._titles(text)
        yield from self._initials(text)
        yield from self._signoffs(text)
        yield from self._contexts(text)
        yield from self._gazetteer_runs(text)
        if any(c.islower() for c in text):
            yield from self._lower_case(text)

    def _titles(self, text: str) -> Iterator[PiiSpan]:
        for match in TITLE_RE.finditer(text):
            words = list(NAME_RE.finditer(text, match.start(), match.end()))
            if len(words) <= 1:  # title + initial only: "Ms L"
                yield self.span(match.start(), match.end(), 0.8)
                continue
            # Drop trailing street/organisation words ("Dr Foster Road" is a street), but keep
            # a lone surname that happens to be one ("Mrs Field", "Mr Hall").
            while len(words) > 2 and is_stop(words[-1].group(0)):
                words.pop()
            if len(words) == 2 and words[1].group(0).lower() in ORG_WORDS:
                continue
            if len(words) == 2 and is_stop(words[1].group(0)):
                after = NAME_RE.match(text, words[1].end() + 1)
                if after and after.start() == words[1].end() + 1 and is_stop(after.group(0)):
                    continue
            yield self.span(match.start(), words[-1].end(), 0.92)

    def _initials(self, text: str) -> Iterator[PiiSpan]:
        """"A. Briggs", "D Walsh": initials before a surname-like word."""
        for match in INITIAL_RE.finditer(text):
            init, name = match.group("init"), match.group("name")
            if common(name) or is_stop(name):
                continue
            dotted = "." in init
            if not dotted and (init.strip() in ("I", "A") or name not in surnames()):
                continue
            before = text[max(0, match.start() - 3) : match.start()]
            if not dotted and SENTENCE_END.search(before) and name not in surnames():
                continue
            yield self.span(match.start(), match.end(), 0.75 if name in surnames() else 0.6)

    def _signoffs(self, text: str) -> Iterator[PiiSpan]:
        for regex in (SIGNOFF_RE, DASH_SIGN_RE):
            for match in regex.finditer(text):
                raw_words = list(re.finditer(r"\S+", match.group("name")))
                words: list[str] = []
                for w in raw_words:
                    if common(w.group(0)) or not w.group(0)[0].isalpha():
                        break
                    words.append(w.group(0))
                if not words or any(w.lower() in ORG_WORDS for w in
                                    (x.group(0).strip(",.") for x in raw_words)):
                    continue
                words = [w.rstrip(",.!") for w in words]
                capitalised = all(w[0].isupper() for w in words)
                known = words[0] in first_names() or words[0].lower() in first_names_lower()
                if not (capitalised or known):
                    continue
                start = match.start("name")
                end = start + raw_words[len(words) - 1].start() + len(words[-1])
                yield self.span(start, end, 0.88 if known else 0.8)

    def _contexts(self, text: str) -> Iterator[PiiSpan]:
        for regex, score, needs_known in ((RELATION_RE, 0.8, False), (CALLED_RE, 0.62, True),
                                          (IAM_RE, 0.7, True), (THE_JOB_RE, 0.78, False),
                                          (NAME_IS_RE, 0.85, False)):
            for match in regex.finditer(text):
                start = match.start("name")
                words = match.group("name").split()
                while len(words) > 1 and common(words[-1]):
                    words.pop()  # "Thanks, Antony My GP": the name ends before "My"
                after = NAME_RE.match(text, match.end() + 1) if match.end() < len(text) else None
                if any(is_stop(w) for w in words) or (after and is_stop(after.group(0))):
                    continue  # "from Wesley Court", "to Pennine Roofing": a place or a firm
                if common(words[0]):
                    continue
                if needs_known and not (words[0] in first_names()
                                        or (len(words) > 1 and words[-1] in surnames())):
                    continue
                ends = [m.end() for m in re.finditer(r"\S+", match.group("name"))]
                yield self.span(start, start + ends[len(words) - 1], score)

    def _lower_case(self, text: str) -> Iterator[PiiSpan]:
        """Names typed without capitals: "mr wilkins", "zoe stevenson" (both words known)."""
        for match in LOWER_TITLE_RE.finditer(text):
            if not common(match.group("name")):
                yield self.span(match.start(), match.end(), 0.8)
        lower_firsts, lower_lasts = first_names_lower(), surnames_lower()
        for match in LOWER_RELATION_RE.finditer(text):
            name = match.group("name")
            if name in lower_firsts and not common(name):
                yield self.span(match.start("name"), match.end("name"), 0.7)  # "my son jake"
        for match in LOWER_PAIR_RE.finditer(text):
            first, last = match.group("first"), match.group("last")
            if first in lower_firsts and last in lower_lasts and not common(first) \
                    and not common(last) and not is_stop(last):
                yield self.span(match.start(), match.end(), 0.6)

    def _gazetteer_runs(self, text: str) -> Iterator[PiiSpan]:
        """Runs of capitalised words led by a known first name, or ending in a known surname."""
        tokens = list(NAME_RE.finditer(text))
        i = 0
        while i < len(tokens):
            run, stopped_by = self._run(text, tokens, i)
            if stopped_by is not None and stopped_by.lower() in ORG_WORDS:
                i += len(run) + 1  # "Redmond Clarke Solicitors": a firm, not a person
                continue
            if not run:
                i += 1
                continue
            found = self._judge_run(text, run, place_follows=stopped_by is not None)
            if found is None:
                i += 1
                continue
            span, used = found
            yield span
            i += used

    @staticmethod
    def _run(text: str, tokens: list[re.Match[str]], i: int) -> tuple[list[re.Match[str]],
                                                                        str | None]:
        """Up to three adjacent name tokens from `i`, and the stop word that ended the run."""
        first = tokens[i].group(0)
        if is_stop(first):
            return [], first
        run = [tokens[i]]
        j = i + 1
        while j < len(tokens) and len(run) < 3:
            if text[run[-1].end() : tokens[j].start()] not in (" ", "\t"):
                return run, None
            word = tokens[j].group(0)
            surname_like = word in surnames() and word.lower() not in _STRONG_PLACE
            if is_stop(word) and not (len(run) == 1 and first in first_names() and surname_like):
                return run, word
            if common(word) and word not in surnames():
                return run, None
            run.append(tokens[j])
            j += 1
        return run, None

    def _judge_run(self, text: str, run: list[re.Match[str]],
                   place_follows: bool) -> tuple[PiiSpan, int] | None:
        """Decide whether a run of capitalised words is a person's name, and at what score."""
        tok = run[0]
        word = tok.group(0)
        second = run[1].group(0) if len(run) > 1 else ""
        firsts, lasts = first_names(), surnames()
        sentence_start = bool(SENTENCE_END.search(text[max(0, tok.start() - 3) : tok.start()]))
        line_start = text.rfind("\n", 0, tok.start()) + 1
        line_end = text.find("\n", run[-1].end())
        line_end = len(text) if line_end < 0 else line_end
        alone = text[line_start : tok.start()].strip() == "" and re.fullmatch(
            r"[ \t]*(?:[,(<].*|\d.*)?", text[run[-1].end() : line_end]) is not None
        if len(run) > 1 and word in firsts:
            if not common(word):
                return self.span(tok.start(), run[-1].end(), 0.85), len(run)
            if second in lasts or (not sentence_start and word in core_first_names()):
                return self.span(tok.start(), run[-1].end(), 0.75), len(run)  # "Grace Okonjo"
        if len(run) == 1 and word in firsts and word.lower() not in NON_NAME_WORDS \
                and not place_follows:
            if not sentence_start and not common(word):
                return self.span(tok.start(), tok.end(), 0.6), 1
            if not sentence_start and word.lower() not in STOP and word in core_first_names():
                return self.span(tok.start(), tok.end(), 0.55), 1  # "our officer Dawn"
            if word in core_first_names() and not common(word):
                return self.span(tok.start(), tok.end(), 0.55), 1
            return None
        if len(run) >= 2 and not common(word) and (second in lasts or (alone and known(word))) \
                and (not sentence_start or alone or second in lasts):
            return self.span(tok.start(), run[1].end(), 0.7 if alone else 0.65), 2
        return None


# Street words that are never a surname in practice ("Lane", "Croft", "Hill" can be).
_STRONG_PLACE = frozenset((
    "road", "street", "avenue", "close", "drive", "way", "court", "house", "tower", "terrace",
    "crescent", "place", "gardens", "grove", "mews", "square", "row", "walk", "rise", "view",
    "parade", "estate", "flats",
))
