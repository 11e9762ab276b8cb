"""The numpy scorer that ships must score exactly as the scikit-learn estimators it came from."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from models.vocabulary import Flag, Route
from triage.data import load_examples
from triage.model import ModelConfig, TriageModel
from triage.scorer import LinearModel, char_wb_ngrams, word_ngrams
from triage.training import analyse_examples

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "triage" / "data" / "labelled"

AWKWARD = [
    "", "a", "I  am\tstill\n\nwaiting!!", "ÉCOLE naïve café", "x y", "🙄🙄 useless", "ab",
    "word\u00a0with nbsp", "  leading and trailing  ", "Mrs O'Neil-Smith (flat 3b)",
]


@pytest.mark.parametrize("text", AWKWARD)
def test_char_ngrams_match_scikit_learn(text: str) -> None:
    analyser = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).build_analyzer()
    assert char_wb_ngrams(text) == analyser(text)


@pytest.mark.parametrize("text", AWKWARD)
def test_word_ngrams_match_scikit_learn(text: str) -> None:
    analyser = TfidfVectorizer(token_pattern=r"\S+", lowercase=False,
                               ngram_range=(1, 2)).build_analyzer()
    assert word_ngrams(text) == analyser(text)


@pytest.fixture(scope="module")
def fitted() -> tuple[TriageModel, list[str]]:
    files = [LABELLED / "email.jsonl", LABELLED / "social.jsonl"]
    examples = load_examples(files)[:900]
    texts = [a.model_text for a in analyse_examples(examples)]
    model = TriageModel.fit(texts[:700], [e.route for e in examples[:700]],
                            [e.flags for e in examples[:700]], config=ModelConfig())
    return model, texts[700:]


def test_exported_scores_equal_scikit_learn(fitted: tuple[TriageModel, list[str]]) -> None:
    model, unseen = fitted
    shipped = model.export()
    matrix = model.vectorizer.transform(unseen)
    features = shipped.transform(unseen)
    for row, item in enumerate(features):
        dense = np.zeros(matrix.shape[1])
        dense[item.indices] = item.values
        assert np.allclose(dense, matrix[row].toarray()[0], atol=1e-6)
    expected = model.route_model.predict_proba(matrix)
    assert [r.value for r in shipped.route_labels] == list(model.route_model.classes_)
    route_proba, flag_proba = shipped.probabilities(features)
    assert np.allclose(route_proba, expected, atol=1e-5)
    assert set(flag_proba) == set(model.flag_models) and Flag.HEALTH_SAFETY in flag_proba
    for flag, estimator in model.flag_models.items():
        assert np.allclose(flag_proba[flag], estimator.predict_proba(matrix)[:, 1], atol=1e-5)


def test_saved_model_loads_and_scores_the_same(fitted: tuple[TriageModel, list[str]],
                                               tmp_path: Path) -> None:
    model, unseen = fitted
    shipped = model.export()
    shipped.meta["version"] = "svm-test"
    shipped.save(tmp_path)
    loaded = LinearModel.load(tmp_path)
    assert loaded.version == "svm-test" and loaded.flag_thresholds == shipped.flag_thresholds
    before = shipped.probabilities(shipped.transform(unseen))[0]
    after = loaded.probabilities(loaded.transform(unseen))[0]
    assert np.allclose(before, after, atol=1e-5)  # weights are stored as float32
    top = loaded.top_route_features(loaded.transform(["still no repair after six visits"])[0],
                                    Route.COMPLAINT)
    assert all(isinstance(word, str) and word for word in top)


def test_model_of_another_format_is_refused_with_advice(tmp_path: Path) -> None:
    (tmp_path / "vocabulary.json").write_text(json.dumps({"format": 1}), encoding="utf-8")
    with pytest.raises(ValueError, match="intake train"):
        LinearModel.load(tmp_path)


def test_triage_at_run_time_imports_neither_scikit_learn_nor_scipy() -> None:
    code = (
        "import sys\n"
        "from datetime import datetime, timezone\n"
        "from intake.profiles import load_profile\n"
        "from models import Channel, InboundMessage\n"
        "from triage import triage_message\n"
        "r = triage_message(InboundMessage(channel=Channel.EMAIL, external_id='x',\n"
        "    received_at=datetime.now(timezone.utc), text='Still no heating after 3 visits'),\n"
        "    load_profile('hos-2024'))\n"
        "assert r.model_version != 'rules', r.model_version\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"
