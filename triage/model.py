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

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import joblib
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

MODEL_FILE = "triage-model.joblib"
META_FILE = "meta.json"
CONTENT_ROUTES: tuple[Route, ...] = tuple(r for r in Route if r is not Route.OUT_OF_TIME)
FORMAT_VERSION = 1


def content_route(route: Route) -> Route:
    """The route the classifier learns: an out-of-time line is, by content, a complaint."""
    return Route.COMPLAINT if route is Route.OUT_OF_TIME else route


@dataclass(frozen=True)
class ModelConfig:
    """The knobs compared in docs/triage.md; the defaults are the measured best."""

    kind: str = "svm"
    route_c: float = 0.5
    flag_c: float = 0.5
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


def linear_weights(model: Any) -> np.ndarray:
    """Average (classes x features) weights of the calibrated base estimators, for reasons."""
    estimators = [c.estimator for c in model.calibrated_classifiers_]
    return np.mean([np.atleast_2d(e.coef_) for e in estimators], axis=0)


@dataclass
class TriageModel:
    """Everything `intake train` writes and `triage_message` loads."""

    vectorizer: FeatureUnion
    route_model: Any
    route_labels: list[Route]
    flag_models: dict[Flag, Any]
    flag_thresholds: dict[Flag, float]
    meta: dict[str, Any] = field(default_factory=dict)
    _route_weights: np.ndarray | None = field(default=None, repr=False)
    _feature_names: np.ndarray | None = field(default=None, repr=False)

    @property
    def version(self) -> str:
        """Shown in reasons and stored with every triage record."""
        return str(self.meta.get("version", "untrained"))

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
        return cls(
            vectorizer=vectorizer,
            route_model=route_model,
            route_labels=[Route(c) for c in route_model.classes_],
            flag_models=flag_models,
            flag_thresholds=thresholds,
            meta={"config": asdict(config)},
        )

    def transform(self, texts: Sequence[str]) -> csr_matrix:
        """TF-IDF features for a batch of model texts."""
        return self.vectorizer.transform(list(texts))

    def route_proba(self, matrix: csr_matrix) -> np.ndarray:
        """(messages x route_labels) calibrated probabilities."""
        return np.asarray(self.route_model.predict_proba(matrix))

    def flag_proba(self, matrix: csr_matrix) -> dict[Flag, np.ndarray]:
        """Probability of each flag the model knows, per message."""
        return {flag: np.asarray(model.predict_proba(matrix))[:, 1]
                for flag, model in self.flag_models.items()}

    def feature_names(self) -> np.ndarray:
        """Names of the TF-IDF columns (cached: building them takes a moment)."""
        if self._feature_names is None:
            self._feature_names = self.vectorizer.get_feature_names_out()
        return self._feature_names

    def top_route_features(self, row: csr_matrix, route: Route, k: int = 4) -> list[str]:
        """The word features that pushed this message most towards `route`."""
        if route not in self.route_labels:
            return []
        if self._route_weights is None:
            self._route_weights = linear_weights(self.route_model)
        weights = self._route_weights
        index = self.route_labels.index(route)
        class_weights = weights[index] if weights.shape[0] > 1 else weights[0]
        contributions = row.multiply(class_weights).tocsr()
        names = self.feature_names()
        order = np.argsort(-contributions.data)
        out: list[str] = []
        for position in order:
            if contributions.data[position] <= 0:
                break
            name = str(names[contributions.indices[position]])
            if not name.startswith("words__"):
                continue
            out.append(name.removeprefix("words__"))
            if len(out) >= k:
                break
        return out

    def save(self, directory: Path) -> None:
        """Write the model and a readable meta.json (figures, data, seed) to `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": FORMAT_VERSION,
            "vectorizer": self.vectorizer,
            "route_model": self.route_model,
            "route_labels": [r.value for r in self.route_labels],
            "flag_models": {f.value: m for f, m in self.flag_models.items()},
            "flag_thresholds": {f.value: t for f, t in self.flag_thresholds.items()},
            "meta": self.meta,
        }
        joblib.dump(payload, directory / MODEL_FILE, compress=3)
        (directory / META_FILE).write_text(json.dumps(self.meta, indent=2, sort_keys=True) + "\n",
                                           encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> TriageModel:
        """Read a model written by `save`."""
        payload = joblib.load(directory / MODEL_FILE)
        if payload.get("format") != FORMAT_VERSION:
            raise ValueError(f"{directory / MODEL_FILE}: unsupported model format")
        return cls(
            vectorizer=payload["vectorizer"],
            route_model=payload["route_model"],
            route_labels=[Route(r) for r in payload["route_labels"]],
            flag_models={Flag(f): m for f, m in payload["flag_models"].items()},
            flag_thresholds={Flag(f): float(t) for f, t in payload["flag_thresholds"].items()},
            meta=dict(payload.get("meta", {})),
        )
