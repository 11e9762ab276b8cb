"""The recognizer abstraction: one small class per kind of personal data.

Modelled on presidio's `PatternRecognizer`: a recognizer owns its patterns, the context words
that make a match more likely, and an optional validator (checksum or validity rule). Keeping
each detector this small makes every result explainable ("found by UkPostcodeRecognizer") and
lets a landlord's profile add patterns without touching code.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from models import PiiSpan, PiiType, PolicyProfile


@dataclass(frozen=True, slots=True)
class Pattern:
    """One regular expression and the score a bare match earns before context is weighed."""

    name: str
    regex: str
    score: float
    flags: int = re.IGNORECASE

    def compile(self) -> re.Pattern[str]:
        """Compile once; recognizers keep the compiled form."""
        return re.compile(self.regex, self.flags)


@dataclass(slots=True)
class AnalysisContext:
    """Per-call state shared by recognizers, computed once per text (lower-cased copy)."""

    text: str
    lower: str
    profile: PolicyProfile | None = None
    cache: dict[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, text: str, profile: PolicyProfile | None = None) -> AnalysisContext:
        """Build the context for one text."""
        return cls(text=text, lower=text.lower(), profile=profile)


class Recognizer(ABC):
    """Finds one type of personal data. Subclasses set `name`, `entity` and implement `analyze`."""

    name: str = "Recognizer"
    entity: PiiType = PiiType.PERSON

    @abstractmethod
    def analyze(self, ctx: AnalysisContext) -> Iterable[PiiSpan]:
        """Yield the spans found in `ctx.text` (may overlap; the registry resolves overlaps)."""

    def span(self, start: int, end: int, score: float, entity: PiiType | None = None) -> PiiSpan:
        """A result that names this recognizer, so staff can see why text was redacted."""
        return PiiSpan(start=start, end=end, type=entity or self.entity, recognizer=self.name,
                       score=round(min(score, 1.0), 3))


class PatternRecognizer(Recognizer):
    """Regex matches, boosted by context words before the match, filtered by a validator.

    A match scoring below `threshold` after the context boost is dropped; `requires_context`
    recognizers (bank account numbers, dates of birth) give a bare match too low a score to pass.
    """

    patterns: Sequence[Pattern] = ()
    context: Sequence[str] = ()
    context_window: int = 40
    context_boost: float = 0.4
    threshold: float = 0.5
    group: int | str = 0

    def __init__(self) -> None:
        self._compiled = [(p, p.compile()) for p in self.patterns]
        self._context_re = (
            re.compile(r"(?<![a-z])(?:" + "|".join(re.escape(c) for c in self.context)
                       + r")(?![a-z])")
            if self.context else None
        )

    def validate(self, value: str) -> bool:
        """Override with a checksum or validity rule; True keeps the match."""
        del value
        return True

    def has_context(self, ctx: AnalysisContext, start: int, end: int) -> bool:
        """True when a context word appears shortly before the match (or right after it)."""
        if self._context_re is None:
            return False
        before = ctx.lower[max(0, start - self.context_window) : start]
        if self._context_re.search(before):
            return True
        after = ctx.lower[end : end + 15]
        return bool(self._context_re.search(after))

    def extra_patterns(self, ctx: AnalysisContext) -> list[tuple[Pattern, re.Pattern[str]]]:
        """Patterns that depend on the policy profile (none by default)."""
        del ctx
        return []

    def analyze(self, ctx: AnalysisContext) -> Iterable[PiiSpan]:
        """Run every pattern, weigh context, validate, and keep matches over the threshold."""
        for pattern, compiled in [*self._compiled, *self.extra_patterns(ctx)]:
            for match in compiled.finditer(ctx.text):
                start, end = match.span(self.group)
                if start == end:
                    continue
                value = ctx.text[start:end]
                if not self.validate(value):
                    continue
                score = pattern.score
                if self.has_context(ctx, start, end):
                    score += self.context_boost
                if score >= self.threshold:
                    yield self.span(start, end, score)
