"""The shipped triage model at run time: TF-IDF features and calibrated linear scores in numpy.

Training uses scikit-learn (`triage.model`), but importing scikit-learn and SciPy costs about
1.3 seconds, half of the start-up budget of `intake triage`. A trained linear model is only a
vocabulary, idf weights, one weight column per output and a sigmoid per output, so `intake
train` exports exactly those arrays and this module reproduces scikit-learn's arithmetic with
numpy alone: `TfidfVectorizer` (word 1-2 grams on whitespace tokens, `char_wb` 3-5 grams on
lower-cased text, sublinear tf, l2 per block, as in the `FeatureUnion`), `LinearSVC`'s decision
function and `CalibratedClassifierCV`'s sigmoid calibration with the multi-class
normalisation. `tests/test_triage_scorer.py` checks the two agree on every training line.

Files in the model directory: `weights.npz` (arrays) and `vocabulary.json` (the feature names,
readable, so reasons can quote them), beside `meta.json` (figures, data, seed).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from models.vocabulary import Flag, Route

WEIGHTS_FILE = "weights.npz"
VOCABULARY_FILE = "vocabulary.json"
META_FILE = "meta.json"
FORMAT_VERSION = 2


@dataclass(frozen=True)
class Features:
    """One message's non-zero TF-IDF columns (word columns first, then character columns)."""

    indices: np.ndarray
    values: np.ndarray


def word_ngrams(text: str) -> list[str]:
    """Whitespace tokens and adjacent pairs (`TfidfVectorizer(token_pattern=r"\\S+",
    lowercase=False, ngram_range=(1, 2))`)."""
    tokens = text.split()
    return tokens + [f"{a} {b}" for a, b in pairwise(tokens)]


def char_wb_ngrams(text: str, low: int = 3, high: int = 5) -> list[str]:
    """Character n-grams inside space-padded words, as scikit-learn's `char_wb` analyser makes
    them (a word shorter than n gives itself once and no longer n-grams)."""
    grams: list[str] = []
    for word in text.lower().split():
        padded = f" {word} "
        length = len(padded)
        for n in range(low, high + 1):
            if length <= n:
                grams.append(padded[:n])
                break
            grams.extend([padded[i : i + n] for i in range(length - n + 1)])
    return grams


def _block(grams: Iterable[str], vocabulary: dict[str, int], idf: np.ndarray,
           offset: int) -> tuple[list[int], list[float]]:
    """Sublinear tf x idf over the known n-grams, l2-normalised within the block."""
    indices: list[int] = []
    values: list[float] = []
    for gram, count in Counter(grams).items():
        column = vocabulary.get(gram)
        if column is not None:
            indices.append(column + offset)
            values.append((1.0 + math.log(count)) * float(idf[column]))
    norm = math.sqrt(sum(v * v for v in values))
    if norm > 0:
        values = [v / norm for v in values]
    return indices, values


def _sigmoid(scores: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Platt scaling as `_SigmoidCalibration.predict`: 1 / (1 + exp(a * f + b))."""
    return np.asarray(1.0 / (1.0 + np.exp(a * scores + b)))


@dataclass
class LinearModel:
    """Everything `intake triage` and `intake serve` need from a trained model.

    `weights` has one row per feature and one column per output: the route classes in
    `route_labels` order, then the flags in `flags` order; `intercepts`, `cal_a` and `cal_b`
    follow the same column order.
    """

    word_vocabulary: dict[str, int]
    char_vocabulary: dict[str, int]
    word_idf: np.ndarray
    char_idf: np.ndarray
    weights: np.ndarray
    intercepts: np.ndarray
    cal_a: np.ndarray
    cal_b: np.ndarray
    route_labels: list[Route]
    flags: list[Flag]
    flag_thresholds: dict[Flag, float]
    meta: dict[str, Any] = field(default_factory=dict)
    _word_names: list[str] | None = field(default=None, repr=False)

    @property
    def version(self) -> str:
        """Shown in reasons and stored with every triage record."""
        return str(self.meta.get("version", "untrained"))

    def transform(self, texts: Sequence[str]) -> list[Features]:
        """TF-IDF features of each model text (see `triage.features.model_text`)."""
        out: list[Features] = []
        words = len(self.word_vocabulary)
        for text in texts:
            w_idx, w_val = _block(word_ngrams(text), self.word_vocabulary, self.word_idf, 0)
            c_idx, c_val = ([], []) if not self.char_vocabulary else _block(
                char_wb_ngrams(text), self.char_vocabulary, self.char_idf, words)
            out.append(Features(np.asarray(w_idx + c_idx, dtype=np.int64),
                                np.asarray(w_val + c_val, dtype=np.float64)))
        return out

    def decision(self, features: Sequence[Features]) -> np.ndarray:
        """(messages x outputs) raw linear scores, before calibration."""
        scores = np.empty((len(features), self.weights.shape[1]))
        for row, item in enumerate(features):
            scores[row] = item.values @ self.weights[item.indices] + self.intercepts
        return scores

    def probabilities(self, features: Sequence[Features]
                      ) -> tuple[np.ndarray, dict[Flag, np.ndarray]]:
        """Calibrated route probabilities (messages x route_labels, summing to one per message)
        and the calibrated probability of each flag the model knows, from one pass of scores."""
        k = len(self.route_labels)
        calibrated = _sigmoid(self.decision(features), self.cal_a, self.cal_b)
        routes = calibrated[:, :k]
        total = routes.sum(axis=1, keepdims=True)
        uniform = np.full_like(routes, 1.0 / k)
        routes = np.divide(routes, total, out=uniform, where=total != 0)
        return routes, {flag: calibrated[:, k + i] for i, flag in enumerate(self.flags)}

    def top_route_features(self, item: Features, route: Route, k: int = 4) -> list[str]:
        """The word features that pushed this message most towards `route` (for reasons)."""
        if route not in self.route_labels:
            return []
        column = self.route_labels.index(route)
        words = item.indices < len(self.word_vocabulary)
        indices = item.indices[words]
        contributions = item.values[words] * self.weights[indices, column]
        if self._word_names is None:
            self._word_names = _ordered(self.word_vocabulary)
        order = np.argsort(-contributions, kind="stable")
        return [self._word_names[int(indices[i])] for i in order[:k] if contributions[i] > 0]

    def save(self, directory: Path) -> None:
        """Write weights, vocabulary and a readable meta.json to `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            directory / WEIGHTS_FILE, word_idf=self.word_idf.astype(np.float32),
            char_idf=self.char_idf.astype(np.float32), weights=self.weights.astype(np.float32),
            intercepts=self.intercepts, cal_a=self.cal_a, cal_b=self.cal_b)
        vocabulary = {
            "format": FORMAT_VERSION,
            "route_labels": [r.value for r in self.route_labels],
            "flags": [f.value for f in self.flags],
            "flag_thresholds": {f.value: t for f, t in self.flag_thresholds.items()},
            "words": _ordered(self.word_vocabulary),
            "chars": _ordered(self.char_vocabulary),
        }
        (directory / VOCABULARY_FILE).write_text(
            json.dumps(vocabulary, ensure_ascii=False, separators=(",", ":")) + "\n",
            encoding="utf-8")
        (directory / META_FILE).write_text(json.dumps(self.meta, indent=2, sort_keys=True) + "\n",
                                           encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> LinearModel:
        """Read a model written by `save`; a file from another format is refused by name."""
        vocabulary = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        if vocabulary.get("format") != FORMAT_VERSION:
            raise ValueError(f"{directory / VOCABULARY_FILE}: model format "
                             f"{vocabulary.get('format')!r}, expected {FORMAT_VERSION}: "
                             f"run `intake train` to rebuild it")
        with np.load(directory / WEIGHTS_FILE) as arrays:
            loaded = {name: arrays[name] for name in arrays.files}
        meta_path = directory / META_FILE
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        return cls(
            word_vocabulary={w: i for i, w in enumerate(vocabulary["words"])},
            char_vocabulary={c: i for i, c in enumerate(vocabulary["chars"])},
            word_idf=loaded["word_idf"].astype(np.float64),
            char_idf=loaded["char_idf"].astype(np.float64),
            weights=loaded["weights"].astype(np.float64),
            intercepts=loaded["intercepts"], cal_a=loaded["cal_a"], cal_b=loaded["cal_b"],
            route_labels=[Route(r) for r in vocabulary["route_labels"]],
            flags=[Flag(f) for f in vocabulary["flags"]],
            flag_thresholds={Flag(f): float(t)
                             for f, t in vocabulary["flag_thresholds"].items()},
            meta=meta,
        )


def _ordered(vocabulary: dict[str, int]) -> list[str]:
    names = [""] * len(vocabulary)
    for name, index in vocabulary.items():
        names[index] = name
    return names
