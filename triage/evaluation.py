"""Score triage results against labelled lines: routes, flags, personal data, dates.

Figures are the ones the acceptance targets use: per-route precision/recall/F1 and macro-F1
(over the routes that occur in the gold labels or the predictions), the confusion matrix, F1 per
flag, and personal-data span precision/recall where a predicted span counts when it overlaps a
gold span of the same type. Dates and recurrence are scored where the gold carries them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from models import Triage
from models.vocabulary import Flag, Route
from triage.data import Example


@dataclass(frozen=True, slots=True)
class PRF:
    """Precision, recall, F1 and how many gold items there were."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Report:
    """Everything `intake eval` prints."""

    n: int
    routes: dict[Route, PRF]
    macro_f1: float
    accuracy: float
    labels: list[Route]
    confusion: np.ndarray
    flags: dict[Flag, PRF]
    flag_micro_f1: float
    pii: PRF
    pii_any_type: PRF
    dates: dict[str, float] = field(default_factory=dict)
    calibration_error: float = 0.0
    review_rate: float = 0.0


def prf(tp: int, fp: int, fn: int) -> PRF:
    """Precision, recall and F1 from counts (0 where undefined)."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PRF(precision, recall, f1, tp + fn)


def route_scores(gold: Sequence[Route], pred: Sequence[Route]) -> tuple[dict[Route, PRF], float]:
    """Per-route PRF and macro-F1 over routes seen in gold or predictions."""
    present = [r for r in Route if r in set(gold) | set(pred)]
    scores: dict[Route, PRF] = {}
    for route in present:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g is route and p is route)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g is not route and p is route)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g is route and p is not route)
        scores[route] = prf(tp, fp, fn)
    macro = float(np.mean([s.f1 for s in scores.values()])) if scores else 0.0
    return scores, macro


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def pii_scores(gold: Sequence[Sequence[tuple[int, int, str]]],
               pred: Sequence[Sequence[tuple[int, int, str]]],
               typed: bool = True) -> PRF:
    """Span precision/recall by overlap (and same type when `typed`)."""
    tp_pred = fp = tp_gold = fn = 0
    for gold_spans, pred_spans in zip(gold, pred, strict=True):
        for p in pred_spans:
            if any(_overlaps(p[:2], g[:2]) and (not typed or p[2] == g[2]) for g in gold_spans):
                tp_pred += 1
            else:
                fp += 1
        for g in gold_spans:
            if any(_overlaps(p[:2], g[:2]) and (not typed or p[2] == g[2]) for p in pred_spans):
                tp_gold += 1
            else:
                fn += 1
    precision = tp_pred / (tp_pred + fp) if tp_pred + fp else 0.0
    recall = tp_gold / (tp_gold + fn) if tp_gold + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PRF(precision, recall, f1, tp_gold + fn)


def expected_calibration_error(confidence: Sequence[float], correct: Sequence[bool],
                               bins: int = 10) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by size."""
    conf = np.asarray(confidence, dtype=float)
    hit = np.asarray(correct, dtype=float)
    if conf.size == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for low, high in itertools.pairwise(edges):
        mask = (conf > low) & (conf <= high)
        if mask.any():
            total += mask.sum() * abs(hit[mask].mean() - conf[mask].mean())
    return float(total / conf.size)


def _date_figures(examples: Sequence[Example], results: Sequence[Triage]) -> dict[str, float]:
    dated = [(e.incident_date, r.incident_date) for e, r in zip(examples, results, strict=True)
             if e.incident_date is not None]
    figures: dict[str, float] = {}
    if dated:
        exact = sum(1 for g, p in dated if p == g)
        near = sum(1 for g, p in dated if p is not None and abs((p - g).days) <= 31)
        found = sum(1 for _g, p in dated if p is not None)
        figures.update({"dated_lines": float(len(dated)), "date_exact": exact / len(dated),
                        "date_within_31_days": near / len(dated), "date_found": found / len(dated)})
    rec = [(e.recurring, r.recurring) for e, r in zip(examples, results, strict=True)
           if e.recurring is not None]
    if rec:
        figures["recurring_lines"] = float(len(rec))
        figures["recurring_accuracy"] = sum(1 for g, p in rec if g == p) / len(rec)
    return figures


def evaluate(examples: Sequence[Example], results: Sequence[Triage]) -> Report:
    """Compare results with the gold labels of the same examples, in the same order."""
    gold = [e.route for e in examples]
    pred = [r.route for r in results]
    routes, macro = route_scores(gold, pred)
    labels = list(routes)
    index = {route: i for i, route in enumerate(labels)}
    confusion = np.zeros((len(labels), len(labels)), dtype=int)
    for g, p in zip(gold, pred, strict=True):
        confusion[index[g], index[p]] += 1
    flags: dict[Flag, PRF] = {}
    all_tp = all_fp = all_fn = 0
    for flag in Flag:
        tp = sum(1 for e, r in zip(examples, results, strict=True)
                 if flag in e.flags and flag in r.flags)
        fp = sum(1 for e, r in zip(examples, results, strict=True)
                 if flag not in e.flags and flag in r.flags)
        fn = sum(1 for e, r in zip(examples, results, strict=True)
                 if flag in e.flags and flag not in r.flags)
        flags[flag] = prf(tp, fp, fn)
        all_tp, all_fp, all_fn = all_tp + tp, all_fp + fp, all_fn + fn
    gold_pii = [e.pii for e in examples]
    pred_pii = [[(s.start, s.end, s.type.value) for s in r.pii] for r in results]
    correct = [g is p for g, p in zip(gold, pred, strict=True)]
    return Report(
        n=len(examples),
        routes=routes,
        macro_f1=macro,
        accuracy=sum(correct) / len(correct) if correct else 0.0,
        labels=labels,
        confusion=confusion,
        flags=flags,
        flag_micro_f1=prf(all_tp, all_fp, all_fn).f1,
        pii=pii_scores(gold_pii, pred_pii, typed=True),
        pii_any_type=pii_scores(gold_pii, pred_pii, typed=False),
        dates=_date_figures(examples, results),
        calibration_error=expected_calibration_error([r.confidence for r in results], correct),
        review_rate=sum(1 for r in results if r.needs_review) / len(results) if results else 0.0,
    )


def format_report(report: Report) -> str:
    """The plain-text report `intake eval` prints."""
    lines = [f"messages: {report.n}", "", f"{'route':<16}{'precision':>10}{'recall':>8}"
             f"{'f1':>8}{'support':>9}"]
    for route, s in report.routes.items():
        lines.append(f"{route.value:<16}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>8.3f}"
                     f"{s.support:>9}")
    lines += [f"{'macro-F1':<16}{report.macro_f1:>26.3f}",
              f"{'accuracy':<16}{report.accuracy:>26.3f}",
              f"calibration error (ECE): {report.calibration_error:.3f}   "
              f"sent to review: {report.review_rate:.1%}", "", "confusion matrix "
              "(rows gold, columns predicted):"]
    short = [r.value[:6] for r in report.labels]
    lines.append(" " * 16 + "".join(f"{s:>8}" for s in short))
    for route, row in zip(report.labels, report.confusion, strict=True):
        lines.append(f"{route.value:<16}" + "".join(f"{v:>8}" for v in row))
    lines += ["", f"{'flag':<16}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"]
    for flag, s in report.flags.items():
        lines.append(f"{flag.value:<16}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>8.3f}"
                     f"{s.support:>9}")
    lines.append(f"{'flags micro-F1':<16}{report.flag_micro_f1:>26.3f}")
    lines += ["", "personal data spans (overlap):",
              f"  same type:  precision {report.pii.precision:.3f}  recall "
              f"{report.pii.recall:.3f}  (gold spans {report.pii.support})",
              f"  any type:   precision {report.pii_any_type.precision:.3f}  recall "
              f"{report.pii_any_type.recall:.3f}"]
    if report.dates:
        lines += ["", "dates and recurrence:"]
        lines += [f"  {k}: {v:.3f}" if v <= 1 else f"  {k}: {int(v)}"
                  for k, v in report.dates.items()]
    return "\n".join(lines)


def plot_confusion(report: Report, path: str) -> None:
    """Save the confusion matrix as a PNG (matplotlib without a display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r.value for r in report.labels]
    fig, ax = plt.subplots(figsize=(1.0 + 0.75 * len(names), 0.8 + 0.65 * len(names)))
    ax.imshow(report.confusion, cmap="Blues")
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    peak = report.confusion.max() if report.confusion.size else 0
    for i in range(len(names)):
        for j in range(len(names)):
            value = int(report.confusion[i, j])
            if value:
                ax.text(j, i, str(value), ha="center", va="center",
                        color="white" if value > peak / 2 else "black", fontsize=8)
    ax.set_title(f"triage routes (macro-F1 {report.macro_f1:.3f}, n={report.n})")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
