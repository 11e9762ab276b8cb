"""Train the triage models from labelled lines, reproducibly.

Same files + same seed -> the same model: lines are read in file order, the held-out split is a
hash of each id (triage.data), and every estimator is seeded. The held-out 20 % is never
trained on; its figures are written into meta.json beside the model so anyone can see what
the shipped model scored. Staff corrections join the training lines through
`triage.feedback` when `intake train --include-feedback` asks for them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from models.policy import PolicyProfile
from models.vocabulary import Flag
from triage.analysis import Analysis, analyse_many
from triage.api import triage_with
from triage.data import HOLDOUT_PERCENT, Example, is_held_out
from triage.evaluation import Report, evaluate
from triage.model import ModelConfig, TriageModel
from triage.nlp import get_nlp
from triage.scorer import LinearModel

DEFAULT_SEED = 13


@dataclass
class TrainResult:
    """The trained model and, when there was a held-out split, its figures."""

    model: LinearModel
    train_count: int
    held_out_count: int
    held_out: Report | None


def analyse_examples(examples: Sequence[Example], progress: bool = False,
                     desc: str = "reading") -> list[Analysis]:
    """Parse every example once (the slow part), with a progress bar if asked."""
    out: list[Analysis] = []
    chunk = 256
    bar = tqdm(total=len(examples), desc=desc, unit="msg", disable=not progress)
    for start in range(0, len(examples), chunk):
        batch = examples[start : start + chunk]
        out.extend(analyse_many([e.item for e in batch]))
        bar.update(len(batch))
    bar.close()
    return out


def model_version(examples: Sequence[Example], seed: int, kind: str) -> str:
    """A short, reproducible name for a model: kind + hash of its training ids and labels."""
    digest = hashlib.sha256()
    for example in examples:
        digest.update(f"{example.id}\t{example.route.value}\t"
                      f"{','.join(sorted(f.value for f in example.flags))}\n".encode())
    digest.update(f"seed={seed}".encode())
    return f"{kind}-{digest.hexdigest()[:10]}"


def fit(examples: Sequence[Example], analyses: Sequence[Analysis], *, seed: int = DEFAULT_SEED,
        kind: str = "svm", progress: bool = False,
        config: ModelConfig | None = None) -> LinearModel:
    """Fit route and flag models on already-analysed examples, exported for numpy scoring
    (held-out and leave-one-file-out figures then come from exactly what ships)."""
    stages = 2 + len(Flag)
    bar = tqdm(total=stages, desc="training", unit="step", disable=not progress)

    def step(name: str) -> None:
        bar.set_postfix_str(name)
        bar.update(1)

    model = TriageModel.fit(
        [a.model_text for a in analyses],
        [e.route for e in examples],
        [e.flags for e in examples],
        seed=seed,
        config=config or ModelConfig(kind=kind, route_c=1.0 if kind == "svm" else 20.0),
        progress=step,
    )
    bar.close()
    shipped = model.export()
    shipped.meta["version"] = model_version(examples, seed, kind)
    return shipped


def train(
    examples: Sequence[Example],
    profile: PolicyProfile,
    *,
    seed: int = DEFAULT_SEED,
    kind: str = "svm",
    holdout: bool = True,
    progress: bool = False,
    sources: Sequence[str] = (),
) -> TrainResult:
    """Train on the non-held-out examples (or all of them) and score the held-out split."""
    get_nlp()  # build the pipeline before the progress bars start
    analyses = analyse_examples(examples, progress=progress)
    pairs = list(zip(examples, analyses, strict=True))
    train_pairs = [(e, a) for e, a in pairs if not (holdout and is_held_out(e.id))]
    held_pairs = [(e, a) for e, a in pairs if holdout and is_held_out(e.id)]
    if not train_pairs:
        raise ValueError("no training lines left after the held-out split")
    model = fit([e for e, _ in train_pairs], [a for _, a in train_pairs], seed=seed, kind=kind,
                progress=progress)
    report: Report | None = None
    if held_pairs:
        results = triage_with([e.item for e, _ in held_pairs], profile, model,
                              [a for _, a in held_pairs])
        report = evaluate([e for e, _ in held_pairs], results)
    model.meta.update(_meta(train_pairs, held_pairs, report, seed, kind, holdout, sources))
    return TrainResult(model, len(train_pairs), len(held_pairs), report)


def _meta(train_pairs: Sequence[tuple[Example, Analysis]],
          held_pairs: Sequence[tuple[Example, Analysis]], report: Report | None, seed: int,
          kind: str, holdout: bool, sources: Sequence[str]) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "kind": kind,
        "seed": seed,
        "trained_on": len(train_pairs),
        "held_out": len(held_pairs),
        "held_out_rule": (f"sha256('intake-holdout:' + id)[:8] as int % 100 < "
                          f"{HOLDOUT_PERCENT}") if holdout else "none (trained on everything)",
        "sources": sorted(set(sources)),
    }
    if report is not None:
        meta["held_out_figures"] = {
            "macro_f1": round(report.macro_f1, 4),
            "accuracy": round(report.accuracy, 4),
            "complaint_recall": round(report.routes[next(r for r in report.routes
                                                         if r.value == "complaint")].recall, 4)
            if any(r.value == "complaint" for r in report.routes) else None,
            "flag_f1": {f.value: round(s.f1, 4) for f, s in report.flags.items()},
            "flag_micro_f1": round(report.flag_micro_f1, 4),
            "calibration_error": round(report.calibration_error, 4),
        }
    return meta


def leave_one_file_out(
    examples: Sequence[Example],
    analyses: Sequence[Analysis],
    profile: PolicyProfile,
    *,
    seed: int = DEFAULT_SEED,
    kind: str = "svm",
    config: ModelConfig | None = None,
) -> dict[str, Report]:
    """Train on every file but one and test on that one, for each file (writer) in turn.

    This is the honest figure: the acceptance messages are written by people whose style the
    model has never seen, which a random split of one writer's lines cannot show.
    """
    reports: dict[str, Report] = {}
    sources = sorted({e.source for e in examples})
    for source in sources:
        train_idx = [i for i, e in enumerate(examples) if e.source != source]
        test_idx = [i for i, e in enumerate(examples) if e.source == source]
        if not train_idx or not test_idx:
            continue
        model = fit([examples[i] for i in train_idx], [analyses[i] for i in train_idx],
                    seed=seed, kind=kind, config=config)
        results = triage_with([examples[i].item for i in test_idx], profile, model,
                              [analyses[i] for i in test_idx])
        reports[source] = evaluate([examples[i] for i in test_idx], results)
    return reports


def save(result: TrainResult, directory: Path) -> None:
    """Write the model where `intake triage` loads it from."""
    result.model.save(directory)
