"""Street addresses: a house or flat number with a street or building name.

UK addresses are highly regular ("22 Tanner Row", "Flat 3, Marsh Court", "flat 12b Kestrel House,
Moor Road"), so a thoroughfare or building word after a number is decisive. Residents also name
their block or street without a number ("the lift in Hollins Court"): `UkPlaceNameRecognizer`
reports those at a lower score, separately, because the labelling guide does not count them as
addresses and the trade-off (docs/pii.md: +7 points of address recall, -18 of precision) is a
policy choice a deployment may reverse with `registry.remove("UkPlaceNameRecognizer")`.
A bare "flat 12" with no street identifies nobody outside the block and is left.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from models import PiiSpan, PiiType
from triage.pii.base import AnalysisContext, Recognizer
from triage.pii.gazetteer import BUILDING_SUFFIXES, STREET_SUFFIXES
from triage.pii.wordlists import words

_STOP = (
    r"the|a|an|my|our|your|his|her|their|of|and|or|to|in|on|at|for|with|is|was|are|were|be|been"
    r"|times|days|weeks|months|years|hours|mins|minutes|people|kids|children|floors|bed|bedroom"
    r"|bedrooms|storey|story|foot|feet|metres|meters|miles|yards|pm|am|x|no|nos|other|more|new"
    r"|old|big|small|different|separate|same|whole|last|next|first|second|third|phone|calls"
    r"|emails|letters|visits|occasions|appointments|engineers|men|workers|that|this|which|who"
)
_WORD = rf"(?!(?:{_STOP})\b)[A-Za-z][A-Za-z'’.-]*"
_STREET = "|".join(sorted(STREET_SUFFIXES, key=len, reverse=True))
_BUILDING = "|".join(sorted(BUILDING_SUFFIXES, key=len, reverse=True))
_UNIT = r"(?:flat|apartment|apt|unit|room|maisonette|no\.?|number)"
_NUM = r"\d{1,4}[a-z]?(?:[-/]\d{1,4}[a-z]?)?"
_COMPOUND = r"[A-Z][a-z]+(?:way|gate|side|croft|fold|field|fields|lands|mead|dale|wood|hurst|moor)"

_STREET_ADDR = re.compile(
    rf"(?i:(?<![\w£$.,])(?:{_UNIT}[ \t]*{_NUM}[ \t]*,?[ \t]*)?{_NUM},?[ \t]+"
    rf"(?:{_WORD}[ \t]+){{0,3}}"
    rf"(?:{_STREET})\b\.?)",
)
_BUILDING_ADDR = re.compile(
    rf"(?i:(?<![\w£$.,]){_UNIT}[ \t]*{_NUM}[ \t]*,?[ \t]+(?:{_WORD}[ \t]+){{1,3}}(?:{_BUILDING})\b"
    rf"(?:[ \t]*,?[ \t]*(?:{_NUM}[ \t]+)?(?:{_WORD}[ \t]+){{1,3}}(?:{_STREET})\b\.?)?)",
)
_NUMBERED_BUILDING = re.compile(
    rf"(?<![\w£$.,]){_NUM},?[ \t]+(?:[A-Z][A-Za-z'’-]+[ \t]+){{1,3}}(?i:{_BUILDING})\b"
)
_NUMBERED_COMPOUND = re.compile(rf"(?<![\w£$.,]){_NUM},?[ \t]+{_COMPOUND}\b(?=[ \t]*(?:,|\n|$))")
_PLACE_SUFFIX = "|".join(sorted(words("place_suffixes.txt", lower=False), key=len, reverse=True))
_NAMED_PLACE = re.compile(
    rf"(?:(?i:block)[ \t]+[A-Z]\b,?[ \t]+)?(?<![\w'’-])(?P<first>[A-Z][a-z'’]+)"
    rf"(?:[ \t]+[A-Z][a-z'’]+)?[ \t]+(?:{_PLACE_SUFFIX})\b"
)
_PLACE_NOT_FIRST = words("place_not_first.txt")
_TOWN_AFTER = re.compile(r",?[ \t]*([A-Z][a-z]+(?:[ \t-](?:upon|on|under|le|in|[A-Z][a-z]+))*)"
                         r"(?=[ \t]*(?:,|\n|$|\.|[A-Za-z]{1,2}\d))")
_TOWN_STOP = words("common_words.txt")
_ABBREVIATIONS = frozenset(("rd", "st", "ave", "av", "dr", "ln", "cl", "cres", "gdns", "sq", "pl",
                            "tce", "terr", "ct"))
_LOWER_AMBIGUOUS = frozenset(("way", "view", "top", "end", "side", "park", "place", "green",
                              "hill", "close", "court", "row", "walk", "yard", "field", "fields"))


class UkAddressRecognizer(Recognizer):
    """House/flat number + street or building, with a town written inside the address."""

    name = "UkAddressRecognizer"
    entity = PiiType.ADDRESS

    def analyze(self, ctx: AnalysisContext) -> Iterable[PiiSpan]:
        """Match the address shapes and extend each over a following town name."""
        text = ctx.text
        for regex, score in ((_BUILDING_ADDR, 0.9), (_STREET_ADDR, 0.88), (_NUMBERED_BUILDING, 0.8),
                             (_NUMBERED_COMPOUND, 0.75)):
            for match in regex.finditer(text):
                parts = match.group(0).split()
                if parts[-1].lower().rstrip(".") in _LOWER_AMBIGUOUS \
                        and not any(w[:1].isupper() for w in parts[1:]) \
                        and all(w.lower() in _TOWN_STOP for w in parts[1:-1]):
                    continue  # "2 way", "3 close calls": lower-case common words, not a street
                end = match.end()
                if text[end - 1] == "." and parts[-1].lower().rstrip(".") not in _ABBREVIATIONS:
                    end -= 1  # a full stop, not "Rd."
                yield self.span(match.start(), self._extend_town(text, end), score)

    @staticmethod
    def _extend_town(text: str, end: int) -> int:
        """Include ", Burnley" when a town name follows the street inside the address."""
        town = _TOWN_AFTER.match(text, end)
        if town and town.group(1).split()[0].lower() not in _TOWN_STOP:
            return town.end(1)
        return end


class UkPlaceNameRecognizer(Recognizer):
    """A named block or street without a number: "Hollins Court", "Block B, Sycamore Rise"."""

    name = "UkPlaceNameRecognizer"
    entity = PiiType.ADDRESS

    def analyze(self, ctx: AnalysisContext) -> Iterable[PiiSpan]:
        """Capitalised words ending in an unambiguous street/building word, minus public places."""
        for match in _NAMED_PLACE.finditer(ctx.text):
            if match.group("first").lower() in _PLACE_NOT_FIRST:
                continue
            yield self.span(match.start(), match.end(), 0.7)
