"""The optional spaCy NER: the shipped model loads offline, and training data is well formed."""

from __future__ import annotations

import pytest

from models import PiiType
from triage.pii.ner import MODEL_DIR, SpacyNerRecognizer, build_registry_with_ner
from triage.pii.synth import generate
from triage.pii.train_ner import LABELS, build_pipeline, to_examples

needs_model = pytest.mark.skipif(not (MODEL_DIR / "meta.json").exists(),
                                 reason="NER model not built (python -m triage.pii.train_ner)")


def test_training_examples_align_with_tokens() -> None:
    nlp = build_pipeline()
    lines = generate(40, seed=3)
    examples = to_examples(nlp, lines)
    assert len(examples) == 40
    labels = {ent.label_ for ex in examples for ent in ex.reference.ents}
    assert labels <= set(LABELS) and labels


@needs_model
def test_shipped_model_finds_a_generated_name_and_address() -> None:
    from triage.pii.base import AnalysisContext

    text = "Kind regards,\nSophie Turner\nFlat 4, Heron Court"
    spans = list(SpacyNerRecognizer().analyze(AnalysisContext.of(text)))
    kinds = {(text[s.start : s.end], s.type) for s in spans}
    assert ("Sophie Turner", PiiType.PERSON) in kinds
    assert all(s.recognizer == "SpacyNerRecognizer" for s in spans)


@needs_model
def test_registry_with_ner_keeps_rule_results_on_overlap() -> None:
    from triage.pii.base import AnalysisContext

    text = "I live at 22 Tanner Row OL9 6QA"
    spans = build_registry_with_ner().analyze(AnalysisContext.of(text))
    assert ("22 Tanner Row", "UkAddressRecognizer") in {
        (text[s.start : s.end], s.recognizer) for s in spans}
