"""Measurements behind the model choice in docs/triage.md (not used at run time).

    python -m triage.experiments [FILES...]

Compares, on the same deterministic held-out split and by leave-one-file-out, the content-route
macro-F1 of the shipped scikit-learn models (calibrated logistic regression and linear SVM on
TF-IDF) with spaCy's own text classifiers (bag-of-words and the CNN ensemble), each trained
with fixed seeds. Content route = the gold route with out_of_time counted as complaint, since
out_of_time is decided by policy after the classifier.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import spacy
from spacy.training import Example as SpacyExample
from spacy.util import fix_random_seed, minibatch

from models.vocabulary import Route
from triage.analysis import Analysis
from triage.data import Example, is_held_out, load_examples
from triage.evaluation import route_scores
from triage.model import (
    CONTENT_ROUTES,
    ModelConfig,
    build_route_classifier,
    build_vectorizer,
    content_route,
)
from triage.training import analyse_examples

_BOW = {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": True, "ngram_size": 2,
        "no_output_layer": False, "length": 262144}


def _spacy_textcat(train_texts: Sequence[str], train_labels: Sequence[str],
                   architecture: str, seed: int, epochs: int) -> Any:
    fix_random_seed(seed)
    nlp = spacy.blank("en")
    config: dict[str, Any] = {"model": _BOW} if architecture == "bow" else {}
    textcat: Any = nlp.add_pipe("textcat", config=config)
    for route in CONTENT_ROUTES:
        textcat.add_label(route.value)
    examples = []
    for text, label in zip(train_texts, train_labels, strict=True):
        cats = {r.value: float(r.value == label) for r in CONTENT_ROUTES}
        examples.append(SpacyExample.from_dict(nlp.make_doc(text), {"cats": cats}))
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(examples)
        for batch in minibatch(examples, size=32):
            nlp.update(batch, sgd=optimizer, drop=0.2)
    return nlp


def _textcat_predict(nlp: Any, texts: Sequence[str]) -> list[Route]:
    return [Route(max(doc.cats, key=doc.cats.__getitem__)) for doc in nlp.pipe(texts)]


def _sklearn_predict(examples: Sequence[Example], analyses: Sequence[Analysis],
                     test_analyses: Sequence[Analysis], kind: str, seed: int) -> list[Route]:
    """The route half of `TriageModel.fit` alone (flags do not enter this comparison)."""
    config = ModelConfig(kind=kind, route_c=0.5 if kind == "svm" else 20.0)
    vectorizer = build_vectorizer(config)
    matrix = vectorizer.fit_transform([a.model_text for a in analyses])
    labels = [content_route(e.route).value for e in examples]
    classifier = build_route_classifier(config, labels, seed)
    classifier.fit(matrix, labels)
    proba = classifier.predict_proba(vectorizer.transform([a.model_text for a in test_analyses]))
    return [Route(classifier.classes_[i]) for i in np.argmax(proba, axis=1)]


def compare(examples: Sequence[Example], analyses: Sequence[Analysis], seed: int = 13,
            epochs: int = 12) -> dict[str, dict[str, float]]:
    """Content-route macro-F1 per method on the held-out split and leave-one-file-out."""
    folds: dict[str, tuple[list[int], list[int]]] = {
        "held-out": ([i for i, e in enumerate(examples) if not is_held_out(e.id)],
                     [i for i, e in enumerate(examples) if is_held_out(e.id)]),
    }
    for source in sorted({e.source for e in examples}):
        folds[f"lofo:{source}"] = ([i for i, e in enumerate(examples) if e.source != source],
                                   [i for i, e in enumerate(examples) if e.source == source])
    methods = ("sklearn-lr", "sklearn-svm", "spacy-bow", "spacy-ensemble")
    out: dict[str, dict[str, float]] = {m: {} for m in methods}
    for fold, (train_idx, test_idx) in folds.items():
        gold = [content_route(examples[i].route) for i in test_idx]
        for method in methods:
            if method in ("spacy-ensemble", "sklearn-lr") and fold != "held-out":
                continue  # minutes per fold on a shared CPU; the held-out split suffices
            started = time.perf_counter()
            if method.startswith("sklearn"):
                pred = _sklearn_predict([examples[i] for i in train_idx],
                                        [analyses[i] for i in train_idx],
                                        [analyses[i] for i in test_idx],
                                        method.split("-")[1], seed)
            else:
                nlp = _spacy_textcat([examples[i].item.text for i in train_idx],
                                     [content_route(examples[i].route).value for i in train_idx],
                                     method.split("-")[1], seed,
                                     epochs if method == "spacy-bow" else max(4, epochs // 3))
                pred = _textcat_predict(nlp, [examples[i].item.text for i in test_idx])
            _, macro = route_scores(gold, pred)
            out[method][fold] = macro
            print(f"{fold:<20} {method:<15} macro-F1 {macro:.3f} "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the comparison table for the given labelled files (default: all shipped)."""
    args = argv if argv is not None else sys.argv[1:]
    paths = [Path(a) for a in args] or sorted(
        (Path(__file__).parent / "data" / "labelled").glob("*.jsonl"))
    examples = load_examples(paths)
    analyses = analyse_examples(examples)
    table = compare(examples, analyses)
    print(f"\n{'method':<16}{'held-out':>10}{'LOFO mean':>11}")
    for method, figures in table.items():
        lofo = [v for k, v in figures.items() if k.startswith("lofo:")]
        mean = f"{sum(lofo) / len(lofo):>11.3f}" if lofo else f"{'-':>11}"
        print(f"{method:<16}{figures.get('held-out', 0.0):>10.3f}{mean}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
