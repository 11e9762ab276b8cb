"""The registry of recognizers: which detectors run, in one place.

Like presidio's `RecognizerRegistry`, it lets tests and landlords add or remove a recognizer
without editing the detector, and it owns the rule for resolving overlapping results.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from models import PiiSpan
from triage.pii.base import AnalysisContext, Recognizer


class RecognizerRegistry:
    """An ordered set of recognizers, looked up by name."""

    def __init__(self, recognizers: Iterable[Recognizer] = ()) -> None:
        self._recognizers: dict[str, Recognizer] = {}
        for recognizer in recognizers:
            self.add(recognizer)

    def add(self, recognizer: Recognizer) -> None:
        """Register a recognizer; a second one with the same name replaces the first."""
        self._recognizers[recognizer.name] = recognizer

    def remove(self, name: str) -> None:
        """Unregister by name (no error when absent)."""
        self._recognizers.pop(name, None)

    def get(self, name: str) -> Recognizer:
        """The recognizer registered under `name`."""
        return self._recognizers[name]

    def __iter__(self) -> Iterator[Recognizer]:
        return iter(self._recognizers.values())

    def __len__(self) -> int:
        return len(self._recognizers)

    def analyze(self, ctx: AnalysisContext) -> list[PiiSpan]:
        """All recognizers' raw results, overlaps resolved, sorted by position."""
        found: list[PiiSpan] = []
        for recognizer in self._recognizers.values():
            found.extend(recognizer.analyze(ctx))
        return resolve_overlaps(found)


def resolve_overlaps(spans: Iterable[PiiSpan]) -> list[PiiSpan]:
    """Keep a non-overlapping subset: higher score first, then the longer span.

    Redaction needs disjoint spans; when two recognizers claim the same characters the more
    certain (then the more complete) reading wins.
    """
    ordered = sorted(spans, key=lambda s: (-s.score, -(s.end - s.start), s.start))
    kept: list[PiiSpan] = []
    for span in ordered:
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: (s.start, s.end))
