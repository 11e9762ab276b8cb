"""National Insurance numbers: two prefix letters, six digits, suffix A-D.

HMRC never issues prefixes with D, F, I, Q, U or V, never O as the second letter, and never the
administrative prefixes BG, GB, KN, NK, NT, TN, ZZ; the validator applies those rules so that
codes like "QQ 12 34 56 C" (the standard example) are not reported.
"""

from __future__ import annotations

import re

from models import PiiType
from triage.pii.base import Pattern, PatternRecognizer

_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


class NiNumberRecognizer(PatternRecognizer):
    """A valid NI number, spaced or not; context ("NI", "national insurance") raises the score."""

    name = "NiNumberRecognizer"
    entity = PiiType.NI_NUMBER
    patterns = (
        Pattern("ni_number",
                r"(?<![a-z0-9])[a-ceghj-pr-tw-z][a-ceghj-npr-tw-z][ -]?\d{2}[ -]?\d{2}[ -]?\d{2}"
                r"[ -]?[a-d](?![a-z0-9])",
                0.8),
    )
    context = ("ni", "nino", "n.i", "national insurance", "ni number", "ni no")

    def validate(self, value: str) -> bool:
        """Reject administrative prefixes and mixed-up spacing."""
        compact = re.sub(r"[ -]", "", value).upper()
        return compact[:2] not in _BAD_PREFIXES
