"""The statistical models: a calibrated route classifier and one detector per flag.

Both read the string built by `triage.features.model_text` through the same TF-IDF features
(lemma 1-2 grams, including the rule tokens, plus character 3-5 grams that survive misspellings
and text-speak). The route model predicts the *content* route: `out_of_time` is a policy
decision made later from dates and the profile (triage.policy), so out-of-time lines are learnt
as the complaints they are. Linear models are used because they are fast (thousands of messages
a second on one core), small to ship, and explainable: every weight belongs to a word a
complaints officer can read. docs/triage.md has the measurements behind these choices.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from models.vocabulary import Flag, Route
from triage.scorer import LinearModel

CONTENT_ROUTES: tuple[Route, ...] = tuple(r for r in Route if r is not Route.OUT_OF_TIME)


def content_route(route: Route) -> Route:
    """The route the classifier learns: an out-of-time line is, by content, a complaint."""
    return Route.COMPLAINT if route is Route.OUT_OF_TIME else route


@dataclass(frozen=True)
class ModelConfig:
    """The knobs compared in docs/triage.md; the defaults are the measured best."""

    kind: str = "svm"
    route_c: float = 1.0
    flag_c: float = 1.0
    chars: bool = True
    char_features: int = 20000
    flag_threshold: float = 0.5
    tune_flag_thresholds: bool = True


def build_vectorizer(config: ModelConfig) -> FeatureUnion:
    """Word and character TF-IDF over the model text (see module docstring)."""
    parts: list[tuple[str, Any]] = [
        ("words", TfidfVectorizer(token_pattern=r"\S+", lowercase=False, ngram_range=(1, 2),
                                  min_df=2, sublinear_tf=True, dtype=np.float32)),
    ]
    if config.chars:
        parts.append(("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3,
                                               sublinear_tf=True,
                                               max_features=config.char_features,
                                               dtype=np.float32)))
    return FeatureUnion(parts)


def _cv_folds(labels: Sequence[object], seed: int) -> int | StratifiedKFold:
    counts: dict[object, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    smallest = min(counts.values())
    folds = max(2, min(5, smallest))
    return StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)


def build_route_classifier(config: ModelConfig, labels: Sequence[object], seed: int) -> Any:
    """A calibrated linear classifier: `lr` (logistic regression) or `svm` (linear SVM).

    `ensemble=False`: one base model fitted on all lines, with sigmoid calibrators fitted on
    cross-validated scores. One model instead of five keeps the file small and scoring fast.
    """
    if config.kind == "svm":
        base: Any = LinearSVC(C=config.route_c, class_weight="balanced", random_state=seed)
    else:
        base = LogisticRegression(C=config.route_c, class_weight="balanced", max_iter=5000,
                                  random_state=seed)
    return CalibratedClassifierCV(base, method="sigmoid", cv=_cv_folds(labels, seed),
                                  ensemble=False)


def build_flag_classifier(config: ModelConfig, labels: Sequence[object], seed: int) -> Any:
    """One binary detector per flag: a calibrated linear SVM (as fast and as accurate as
    logistic regression here, and a small fraction of its training time)."""
    base = LinearSVC(C=config.flag_c, class_weight="balanced", random_state=seed)
    return CalibratedClassifierCV(base, method="sigmoid", cv=_cv_folds(labels, seed),
                                  ensemble=False)


def tune_threshold(model: Any, matrix: csr_matrix, target: Sequence[int], seed: int,
                   default: float) -> float:
    """The probability cut-off that maximises F1 on cross-validated training predictions.

    Calibrated probabilities of a rare flag sit low, so 0.5 trades too much recall away.
    The cut-off is chosen on a coarse grid from out-of-fold predictions of the training lines
    only (never the held-out split) and kept within 0.2-0.6 so one odd fold cannot push it to
    an extreme.
    """
    folds = _cv_folds(target, seed)
    try:
        scores = cross_val_predict(clone(model), matrix, list(target), cv=folds,
                                   method="predict_proba")[:, 1]
    except ValueError:
        return default
    truth = np.asarray(target, dtype=bool)
    best, best_f1 = default, -1.0
    for cut in np.arange(0.2, 0.61, 0.05):
        predicted = scores >= cut
        tp = float(np.sum(predicted & truth))
        precision = tp / max(1.0, float(predicted.sum()))
        recall = tp / max(1.0, float(truth.sum()))
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(round(cut, 2)), f1
    return best


def _calibrated_parts(model: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(coef, intercept, a, b) of a fitted `CalibratedClassifierCV(ensemble=False)`.

    One base estimator was fitted on all lines; its sigmoid calibrators were fitted on
    cross-validated scores, one per class (one for the positive class when binary).
    """
    calibrated = model.calibrated_classifiers_[0]
    estimator = calibrated.estimator
    coef = np.atleast_2d(np.asarray(estimator.coef_, dtype=np.float64))
    intercept = np.atleast_1d(np.asarray(estimator.intercept_, dtype=np.float64))
    a = np.array([c.a_ for c in calibrated.calibrators], dtype=np.float64)
    b = np.array([c.b_ for c in calibrated.calibrators], dtype=np.float64)
    return coef, intercept, a, b


def _vocabulary(vectorizer: Any) -> tuple[dict[str, int], np.ndarray]:
    return ({str(k): int(v) for k, v in vectorizer.vocabulary_.items()},
            np.asarray(vectorizer.idf_, dtype=np.float64))


@dataclass
class TriageModel:
    """The scikit-learn estimators `intake train` fits; `export()` gives the shipped model."""

    vectorizer: FeatureUnion
    route_model: Any
    flag_models: dict[Flag, Any]
    flag_thresholds: dict[Flag, float]
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        routes: Sequence[Route],
        flags: Sequence[frozenset[Flag]],
        *,
        seed: int = 13,
        config: ModelConfig | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> TriageModel:
        """Train the vectoriser, the route model and every flag model (deterministic)."""
        config = config or ModelConfig()
        step = progress or (lambda _name: None)
        vectorizer = build_vectorizer(config)
        matrix = vectorizer.fit_transform(list(texts))
        step("features")
        labels = [content_route(r).value for r in routes]
        if len(set(labels)) < 2:
            raise ValueError("training lines need at least two different routes")
        route_model = build_route_classifier(config, labels, seed)
        route_model.fit(matrix, labels)
        step("route model")
        flag_models: dict[Flag, Any] = {}
        thresholds: dict[Flag, float] = {}
        for flag in Flag:
            target = [int(flag in f) for f in flags]
            if sum(target) >= 4:
                model = build_flag_classifier(config, target, seed)
                thresholds[flag] = (
                    tune_threshold(model, matrix, target, seed, config.flag_threshold)
                    if config.tune_flag_thresholds and sum(target) >= 10
                    else config.flag_threshold)
                model.fit(matrix, target)
                flag_models[flag] = model
            step(f"flag {flag.value}")
        return cls(vectorizer=vectorizer, route_model=route_model, flag_models=flag_models,
                   flag_thresholds=thresholds, meta={"config": asdict(config)})

    def export(self) -> LinearModel:
        """The arrays of every fitted estimator, for numpy-only scoring (triage.scorer)."""
        parts = dict(self.vectorizer.transformer_list)
        words, word_idf = _vocabulary(parts["words"])
        chars, char_idf = ({}, np.zeros(0)) if "chars" not in parts else _vocabulary(
            parts["chars"])
        coef, intercept, a, b = _calibrated_parts(self.route_model)
        if coef.shape[0] == 1:  # two routes: sklearn scores only the second class
            coef = np.vstack([coef, coef])
            intercept = np.concatenate([intercept, intercept])
            a, b = np.concatenate([-a, a]), np.concatenate([-b, b])
        columns, intercepts, cal_a, cal_b = [coef], [intercept], [a], [b]
        flag_order = list(self.flag_models)
        for flag in flag_order:
            f_coef, f_intercept, f_a, f_b = _calibrated_parts(self.flag_models[flag])
            columns.append(f_coef)
            intercepts.append(f_intercept)
            cal_a.append(f_a)
            cal_b.append(f_b)
        return LinearModel(
            word_vocabulary=words, char_vocabulary=chars, word_idf=word_idf, char_idf=char_idf,
            weights=np.vstack(columns).T.copy(), intercepts=np.concatenate(intercepts),
            cal_a=np.concatenate(cal_a), cal_b=np.concatenate(cal_b),
            route_labels=[Route(c) for c in self.route_model.classes_],
            flags=flag_order, flag_thresholds=dict(self.flag_thresholds),
            meta=dict(self.meta))
