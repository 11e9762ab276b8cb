"""UK phone numbers: a loose candidate regex, then `phonenumbers` decides.

The regex only finds digit runs shaped like a UK number (+44, 0044, leading 0, spaces, dashes,
brackets); `phonenumbers` then checks length and numbering-plan validity. Ofcom's drama ranges
(07700 900xxx) are "possible" but not "valid" in libphonenumber's metadata, so a possible
10-digit geographic or mobile number is accepted too: people write real numbers we cannot
distinguish from drama ones, and missing one leaks it. A number written with another country
code ("+48 512 345 678": residents' family abroad, their old phone) is accepted when
`phonenumbers` says it is valid for that country.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import phonenumbers

from models import PiiSpan, PiiType
from triage.pii.base import AnalysisContext, Recognizer

_CANDIDATE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?44\s?(?:\(0\)\s?)?|\(?0|\+[1-9]\d{0,2}\s?)"
    r"\d[\d\s().-]{6,15}\d(?![\d])"
)
_CONTEXT = re.compile(r"(?:phone|mobile|mob|tel|call|ring|text|number|contact|landline|whatsapp)")


class UkPhoneRecognizer(Recognizer):
    """UK mobile and landline numbers in any common written format."""

    name = "UkPhoneRecognizer"
    entity = PiiType.PHONE

    def analyze(self, ctx: AnalysisContext) -> Iterable[PiiSpan]:
        """Candidates from the regex, each checked with phonenumbers."""
        pos = 0
        while (match := _CANDIDATE.search(ctx.text, pos)) is not None:
            found = self._longest_valid(match.group(0))
            if found is None:
                # "CMP-2024-00000. 07700 900000": the candidate began inside a reference;
                # look again from the next character so the phone number itself is tried.
                pos = match.start() + 1
                continue
            length, score = found
            start, end = match.start(), match.start() + length
            pos = end
            before = ctx.lower[max(0, start - 30) : start]
            if _CONTEXT.search(before):
                score = min(1.0, score + 0.1)
            yield self.span(start, end, score)

    def _longest_valid(self, raw: str) -> tuple[int, float] | None:
        """The longest prefix of the candidate, cut at a separator, that is a UK number.

        The candidate regex is greedy, so "07700 900944 17 Belvedere Road" arrives with the
        house number attached; trying shorter prefixes recovers the phone number.
        """
        raw = re.split(r"\s{2,}|\n", raw, maxsplit=1)[0]
        cuts = [m.start() for m in re.finditer(r"[\s.()-]+", raw)] + [len(raw)]
        for cut in sorted(set(cuts), reverse=True):
            value = raw[:cut].rstrip(" .-(")
            score = self.score(value)
            if score is not None:
                return len(value), score
        return None

    @staticmethod
    def score(value: str) -> float | None:
        """0.9 valid UK, 0.8 valid foreign (+CC), 0.7 possible UK shape, None otherwise."""
        digits = re.sub(r"\D", "", value)
        if len(digits) < 9 or len(digits) > 15:
            return None
        try:
            number = phonenumbers.parse(value, "GB")
        except phonenumbers.NumberParseException:
            return None
        if number.country_code != 44:
            foreign = value.lstrip().startswith("+") and phonenumbers.is_valid_number(number)
            return 0.8 if foreign else None
        if len(digits) < 10:
            return None
        national = str(number.national_number)
        if phonenumbers.is_valid_number(number):
            return 0.9
        possible = phonenumbers.is_possible_number(number)
        if possible and len(national) == 10 and national[0] in "1237":
            return 0.7
        return None
