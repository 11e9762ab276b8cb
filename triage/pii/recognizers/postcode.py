"""UK postcodes in every valid shape (A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA, AA9A 9AA).

Letters that Royal Mail never uses in each position are excluded by the pattern itself, which
is what keeps lower-case social posts ("m11ae") from matching ordinary words.
"""

from __future__ import annotations

from models import PiiType
from triage.pii.base import Pattern, PatternRecognizer

# Outward code: area (1-2 letters; Q, V, X never first; I, J, Z never second) + district.
_OUTWARD = (
    r"(?:[a-pr-uwyz][0-9][0-9a-hjkpstuw]?"
    r"|[a-pr-uwyz][a-hk-y][0-9][0-9abehmnprv-y]?"
    r"|[a-pr-uwyz][0-9][a-hjkpstuw]"
    r"|[a-pr-uwyz][a-hk-y][0-9][a-hjkps-uw])"
)
# Inward code: digit + two letters, never C, I, K, M, O, V.
_INWARD = r"[0-9][abd-hjlnp-uw-z]{2}"


class UkPostcodeRecognizer(PatternRecognizer):
    """A full UK postcode, with or without the space, any case."""

    name = "UkPostcodeRecognizer"
    entity = PiiType.POSTCODE
    patterns = (
        Pattern("uk_postcode", rf"(?<![a-z0-9]){_OUTWARD}[ \t]?{_INWARD}(?![a-z0-9])", 0.9),
        Pattern("girobank", r"(?<![a-z0-9])gir ?0aa(?![a-z0-9])", 0.9),
    )
    context = ("postcode", "post code", "address", "live at", "living at", "flat", "road", "street")

    def validate(self, value: str) -> bool:
        """A postcode written with a space in the wrong place or all-digits is rejected."""
        return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
