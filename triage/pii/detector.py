"""`detect_pii`: run the default registry over a text under a policy profile."""

from __future__ import annotations

from functools import lru_cache

from models import PiiSpan, PolicyProfile
from triage.pii.base import AnalysisContext
from triage.pii.recognizers import (
    AccountRefRecognizer,
    BankAccountRecognizer,
    DateOfBirthRecognizer,
    EmailRecognizer,
    NiNumberRecognizer,
    PersonRecognizer,
    SortCodeRecognizer,
    UkAddressRecognizer,
    UkPhoneRecognizer,
    UkPlaceNameRecognizer,
    UkPostcodeRecognizer,
)
from triage.pii.registry import RecognizerRegistry


def build_default_registry() -> RecognizerRegistry:
    """Every built-in recognizer. Order does not matter: overlaps are resolved by score."""
    return RecognizerRegistry([
        EmailRecognizer(),
        UkPhoneRecognizer(),
        UkPostcodeRecognizer(),
        NiNumberRecognizer(),
        SortCodeRecognizer(),
        BankAccountRecognizer(),
        DateOfBirthRecognizer(),
        AccountRefRecognizer(),
        UkAddressRecognizer(),
        UkPlaceNameRecognizer(),
        PersonRecognizer(),
    ])


@lru_cache(maxsize=1)
def default_registry() -> RecognizerRegistry:
    """The shared registry, built once per process (compiling patterns, loading gazetteers)."""
    return build_default_registry()


def detect_pii(text: str, profile: PolicyProfile | None = None) -> list[PiiSpan]:
    """Personal-data spans in `text`: sorted, non-overlapping, each naming its recognizer.

    `profile.triage.account_ref_patterns` adds the landlord's own reference formats.
    """
    if not text:
        return []
    return default_registry().analyze(AnalysisContext.of(text, profile))
