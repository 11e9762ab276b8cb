"""Dates of birth: a written date with birth context, or a full date too old to be an incident.

A bare date in a complaint is almost always an incident or appointment date, which is not
personal data in our sense, so a recent date needs context ("DOB", "born", "date of birth").
A full date more than 16 years back, though, cannot be anything a landlord would be asked to act
on (complaints are out of time after 12 months), and in practice it is someone's birth date
written beside their name: "Mr Leonard Pratt (02/11/1941)".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from models import PiiSpan, PiiType
from triage.pii.base import AnalysisContext, Pattern, PatternRecognizer

_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
           r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_DAY = r"(?:[0-3]?\d(?:st|nd|rd|th)?)"
_YEAR = r"(?:19|20)\d{2}"
OLD_DATE_YEARS = 16


class DateOfBirthRecognizer(PatternRecognizer):
    """Numeric and written dates preceded by birth context, or old enough to be a birth date."""

    name = "DateOfBirthRecognizer"
    entity = PiiType.DATE_OF_BIRTH
    patterns = (
        Pattern("numeric",
                r"(?<![\d/.-])[0-3]?\d[/.-][01]?\d[/.-](?:19|20)?\d{2}(?![\d/-]|\.\d)", 0.2),
        Pattern("iso", r"(?<!\d)(?:19|20)\d{2}-[01]\d-[0-3]\d(?!\d)", 0.2),
        Pattern("written", rf"(?<![a-z0-9]){_DAY}(?: of)?[ -]{_MONTHS}\.?,?[ -]{_YEAR}(?!\d)", 0.2),
        Pattern("us_written", rf"(?<![a-z0-9]){_MONTHS}\.? {_DAY},? {_YEAR}(?!\d)", 0.2),
    )
    context = ("dob", "d.o.b", "d.o.b.", "date of birth", "born", "birthday", "birth date",
               "b.", "date of birth:", "aged")
    context_window = 30
    context_boost = 0.6

    def analyze(self, ctx: AnalysisContext) -> Iterable[PiiSpan]:
        """One pass: a date with birth context, or a full date too old to be an incident."""
        if not any(c.isdigit() for c in ctx.text):
            return
        oldest = date.today().year - OLD_DATE_YEARS
        for pattern, compiled in self._compiled:
            for match in compiled.finditer(ctx.text):
                start, end = match.span()
                if self.has_context(ctx, start, end):
                    yield self.span(start, end, pattern.score + self.context_boost)
                    continue
                year = _year(match.group(0))
                if year is not None and 1900 <= year <= oldest:
                    yield self.span(start, end, 0.55)


def _year(value: str) -> int | None:
    """The four-digit year in a date, or None for two-digit years (ambiguous)."""
    found = re.search(r"(?:19|20)\d{2}", value)
    return int(found.group(0)) if found and len(re.sub(r"\D", "", value)) >= 6 else None
