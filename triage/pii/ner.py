"""The optional spaCy NER recognizer (PERSON, ADDRESS) and the "rules + NER" detector.

Not in the default registry: on our measurements (docs/pii.md) the rules alone score better on
real messages and run several times faster, so the model is kept for comparison and for
landlords who want to try it (`build_registry_with_ner()`); `python -m triage.pii.evaluate
--detector ner|both` reproduces the comparison.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from spacy.language import Language

from models import PiiSpan, PiiType, PolicyProfile
from triage.pii.base import AnalysisContext, Recognizer
from triage.pii.detector import build_default_registry
from triage.pii.registry import RecognizerRegistry, resolve_overlaps

MODEL_DIR = Path(__file__).resolve().parent / "model" / "ner"


@cache
def load_model(path: Path = MODEL_DIR) -> Language:
    """Load the shipped model once per process (from the package, never from the network)."""
    import spacy

    return spacy.load(path)


class SpacyNerRecognizer(Recognizer):
    """PERSON and ADDRESS entities from the project's own small NER model."""

    name = "SpacyNerRecognizer"
    entity = PiiType.PERSON

    def __init__(self, path: Path = MODEL_DIR, score: float = 0.58) -> None:
        self.path = path
        self.score = score

    def analyze(self, ctx: AnalysisContext) -> Iterable[PiiSpan]:
        """Run the model; a score just under the rules' keeps rule results on overlaps."""
        doc = load_model(self.path)(ctx.text)
        for ent in doc.ents:
            kind = PiiType.PERSON if ent.label_ == "PERSON" else PiiType.ADDRESS
            yield self.span(ent.start_char, ent.end_char, self.score, kind)


def build_registry_with_ner() -> RecognizerRegistry:
    """The default recognizers plus the NER model."""
    registry = build_default_registry()
    registry.add(SpacyNerRecognizer())
    return registry


@cache
def _combined() -> RecognizerRegistry:
    return build_registry_with_ner()


def detect_with_ner(text: str, profile: PolicyProfile | None = None,
                    combine: bool = True) -> list[PiiSpan]:
    """Rules + NER (`combine=True`) or the NER alone, for the comparison in docs/pii.md."""
    ctx = AnalysisContext.of(text, profile)
    if combine:
        return _combined().analyze(ctx)
    return resolve_overlaps(SpacyNerRecognizer().analyze(ctx))
