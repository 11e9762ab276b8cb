"""Account references: tenancy, rent account, customer, repair job, case and claim numbers.

Two ways in: a distinctive format (letters then digits, such as CMP-2026-01187, TEN-0042187,
R/558210, RA 30118276) which is enough on its own, or any reference-shaped token after a context
word ("rent account 4412889", "claim number K01MA412", "crime number (43/88210/25)"). Prices,
years, dates and short counts never qualify: a plain number needs five digits and no currency
sign or decimal point. Landlords add their own formats via `profile.triage.account_ref_patterns`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from models import PiiSpan, PiiType
from triage.pii.base import AnalysisContext, Recognizer

_CONTEXT_WORDS = (
    r"tenancy(?: agreement)?|rent(?: account| acc| ac| a/c)?|account|acc|ac|a/c|acct|customer|cust"
    r"|client|payment|repair|job|work order|works order|order|ticket|case|complaint|enquiry"
    r"|inquiry|ref(?:erence)?|our ref|your ref|tenant|property|housing benefit|hb|claim|crime"
    r"|incident|possession|policy|file|universal credit|uc|matter|log|report"
)
_LINK = (r"(?:[ \t]*(?:ref(?:erence)?|no|num(?:ber)?|id|#|code)\b\.?){0,3}[ \t]*(?:is|was|=)?"
         r"[ \t]*[:#(-]?[ \t]*")
_TOKEN = r"[A-Z0-9]+(?:[-/][A-Z0-9]+)*"
_CONTEXTED = re.compile(
    rf"(?<![a-z])(?:{_CONTEXT_WORDS})\b{_LINK}"
    rf"(?P<ref>(?<![£$\d.])(?-i:[A-Z]{{1,4}}[ ](?=\d{{5}}))?(?=[A-Z/-]*\d){_TOKEN})"
    r"(?![\w/-])(?![.,]\d)",
    re.IGNORECASE,
)
_STRUCTURED = re.compile(
    r"(?<![\w/-])(?P<ref>[A-Z]{1,5}(?:[-/][A-Z]{1,4})*(?:[-/]|[ ](?=\d{6}))?\d{2,10}"
    r"(?:[-/]\d{2,8})*(?:-?[A-Z]{1,3})?)(?![\w/-])"
)
_DATE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$")
_POSTCODE = re.compile(r"^[A-Z]{1,2}\d{1,2}[A-Z]?\d[A-Z]{2}$", re.IGNORECASE)
_NI = re.compile(r"^[A-Z]{2}\d{6}[A-D]$", re.IGNORECASE)
_BANK_BEFORE = re.compile(r"sort ?code|bank account|bank details|s/c\b|iban|\d\d-\d\d-\d\d")


@lru_cache(maxsize=64)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _digits(value: str) -> int:
    return sum(c.isdigit() for c in value)


def _plausible(value: str) -> bool:
    """Reject what is a date, postcode, NI number, phone number or too short to be a reference."""
    compact = value.replace(" ", "")
    if _DATE.match(compact) or _POSTCODE.match(compact) or _NI.match(compact):
        return False
    digits = _digits(compact)
    letters = sum(c.isalpha() for c in compact)
    if compact.startswith("0") and digits >= 10 and letters == 0:
        return False  # a phone number
    return digits >= 5 or (digits >= 3 and letters >= 1 and len(compact) >= 5)


class AccountRefRecognizer(Recognizer):
    """Structured references, contextual references, and the profile's own patterns."""

    name = "AccountRefRecognizer"
    entity = PiiType.ACCOUNT_REF

    def analyze(self, ctx: AnalysisContext) -> Iterable[PiiSpan]:
        """Yield references found by format, by context, and by profile patterns."""
        for match in _STRUCTURED.finditer(ctx.text):
            value = match.group("ref")
            if _digits(value) >= 4 and _plausible(value):
                yield self.span(match.start("ref"), match.end("ref"), 0.75)
        for match in _CONTEXTED.finditer(ctx.text):
            value = match.group("ref")
            if _plausible(value) and not (value.isdigit() and self._bank(ctx, match.start("ref"))):
                yield self.span(match.start("ref"), match.end("ref"), 0.8)
        if ctx.profile is not None:
            for pattern in ctx.profile.triage.account_ref_patterns:
                for match in _compile(pattern).finditer(ctx.text):
                    if match.end() > match.start():
                        yield self.span(match.start(), match.end(), 0.9)

    @staticmethod
    def _bank(ctx: AnalysisContext, start: int) -> bool:
        """An account number right after a sort code is a bank account, not a rent account."""
        before = ctx.lower[max(0, start - 30) : start]
        return bool(_BANK_BEFORE.search(before)) and "rent" not in before[-15:]
