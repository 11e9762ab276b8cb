"""detect_pii's contract and redaction, including property-based tests with hypothesis."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import PiiSpan, PiiType
from triage.pii import (
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
    build_default_registry,
    detect_pii,
    redact,
    resolve_overlaps,
)
from triage.pii.base import AnalysisContext

MESSAGE = ("Hi, I'm Priya Shah at Flat 3, Marsh Court, OL9 6QA 🏠. Call 07700 900218 or "
           "priya@example.com. Tenancy ref TEN-0042187, NI JH 47 82 19 A, DOB 04/07/1961, "
           "sort code 20-45-77 acc 41234567.\nThanks,\nPriya")


def test_contract_sorted_disjoint_named() -> None:
    spans = detect_pii(MESSAGE)
    assert spans == sorted(spans, key=lambda s: (s.start, s.end))
    for a, b in itertools.pairwise(spans):
        assert a.end <= b.start
    assert all(s.recognizer for s in spans)
    assert {s.type for s in spans} == set(PiiType)


def test_offsets_count_an_emoji_as_one_character() -> None:
    text = "🏠🔥 leak at 22 Tanner Row"
    (span,) = detect_pii(text)
    assert text[span.start : span.end] == "22 Tanner Row"
    assert span.start == 11


def test_empty_and_clean_text() -> None:
    assert detect_pii("") == []
    assert detect_pii("The lift has been broken for three weeks.") == []


def test_redact_replaces_each_span_with_its_type() -> None:
    text = "Thanks,\nPriya Shah\n07700 900218"
    assert redact(text, detect_pii(text)) == "Thanks,\n[PERSON]\n[PHONE]"


def test_redact_tolerates_overlapping_and_unsorted_spans() -> None:
    spans = [PiiSpan(6, 12, PiiType.PHONE), PiiSpan(0, 8, PiiType.PERSON)]
    assert redact("abcdefghijklmn", spans) == "[PERSON]mn"


def test_registry_add_remove_and_custom_recognizer() -> None:
    class BadgeRecognizer(PatternRecognizer):
        name = "BadgeRecognizer"
        entity = PiiType.ACCOUNT_REF
        patterns = (Pattern("badge", r"\bBDG\d{3}\b", 0.3),)
        context = ("badge",)

    registry = build_default_registry()
    registry.add(BadgeRecognizer())
    ctx = AnalysisContext.of("staff badge BDG123. The lift is broken again on our floor. BDG456")
    found = [(ctx.text[s.start : s.end], s.recognizer) for s in registry.analyze(ctx)]
    assert found == [("BDG123", "BadgeRecognizer")]  # context required to pass the threshold
    registry.remove("BadgeRecognizer")
    assert registry.analyze(ctx) == []
    assert len(RecognizerRegistry()) == 0


def test_resolve_overlaps_prefers_score_then_length() -> None:
    spans = [PiiSpan(0, 5, PiiType.PERSON, score=0.6), PiiSpan(0, 10, PiiType.ADDRESS, score=0.9),
             PiiSpan(12, 14, PiiType.POSTCODE, score=0.5)]
    assert [s.type for s in resolve_overlaps(spans)] == [PiiType.ADDRESS, PiiType.POSTCODE]


# -- properties ------------------------------------------------------------------------------

_VALUES = {
    "PERSON": st.sampled_from(["Priya Shah", "Mrs June Pike", "Oluwaseun Bankole", "Mr D. Asante"]),
    "POSTCODE": st.sampled_from(["OL9 6QA", "m11ae", "SW1A 2AA", "ne6 2lp"]),
    "PHONE": st.from_regex(r"07700 900\d{3}", fullmatch=True),
    "EMAIL": st.from_regex(r"[a-z]{3,8}\.[a-z]{3,8}@example\.(com|org|net)", fullmatch=True),
    "ACCOUNT_REF": st.from_regex(r"CMP-202[4-6]-\d{5}", fullmatch=True),
    "ADDRESS": st.from_regex(r"[1-9]\d? (Tanner Row|Mill Lane|Kestrel Road|Elm Close)",
                             fullmatch=True),
}
_FILLER = st.sampled_from([
    "the boiler is broken again", "nobody came", "please help", "I have asked three times",
    "🏠 still leaking", "it's been weeks", "reported 12/03/2025", "£45.50 charged twice", "",
])


@st.composite
def messages(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A message of filler sentences with personal data values slotted in between."""
    parts: list[str] = []
    values: list[str] = []
    for _ in range(draw(st.integers(1, 5))):
        parts.append(draw(_FILLER))
        kind = draw(st.sampled_from(sorted(_VALUES)))
        value = draw(_VALUES[kind])
        values.append(value)
        parts.append(value)
    parts.append(draw(_FILLER))
    return ". ".join(p for p in parts if p) + ".", values


def _covered(text: str, spans: Iterable[PiiSpan], value: str) -> bool:
    start = text.find(value)
    return any(s.start < start + len(value) and start < s.end for s in spans)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
def test_redacted_text_never_contains_a_detected_value(message: tuple[str, list[str]]) -> None:
    text, _values = message
    spans = detect_pii(text)
    redacted = redact(text, spans)
    for span in spans:
        value = text[span.start : span.end]
        assert value not in redacted or len(value) < 3 or value in "".join(
            f"[{t.value}]" for t in PiiType)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
def test_slotted_values_are_detected_and_redacted(message: tuple[str, list[str]]) -> None:
    text, values = message
    spans = detect_pii(text)
    redacted = redact(text, spans)
    for value in values:
        assert _covered(text, spans, value), (value, text)
        assert value not in redacted


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_valid_spans(text: str) -> None:
    spans = detect_pii(text)
    for a, b in itertools.pairwise(spans):
        assert a.end <= b.start
    for span in spans:
        assert 0 <= span.start < span.end <= len(text)
    assert len(redact(text, spans)) <= len(text) + 16 * len(spans)


def test_pathological_inputs_stay_fast() -> None:
    """Repeated keywords must not make any regex backtrack quadratically."""
    import time

    for chunk in ("ref ", "Mr A. ", "01/02/1950 ", "12-34-56 07700 ", "Aaa ", "flat 1 ",
                  "rent account ", "Regards\n", "0" * 40 + " "):
        text = chunk * (8000 // len(chunk))
        started = time.perf_counter()
        detect_pii(text)
        assert time.perf_counter() - started < 3.0, chunk
