"""Measure personal-data detection on labelled JSON Lines: per-type precision and recall.

    python -m triage.pii.evaluate FILE... [--errors N] [--detector rules|ner|both]
                                          [--exclude-ids triage/pii/data/seen_while_tuning.txt]
                                          [--without RECOGNIZER]

Accepts our labelled lines (`gold.pii`, interfaces.md) and presidio-research's synthetic format
(`spans` with presidio type names, mapped onto ours; unmapped gold types are reported apart).

Scoring is by overlap, because what matters for redaction is whether the personal data was
covered, not whether the boundaries agree to the character:
- recall: a gold span is found when a predicted span of the same type overlaps it
  ("any-type" recall accepts a predicted span of any type: the data is still redacted);
- precision: a predicted span is right when it overlaps a gold span of the same type
  ("any-type": of any type, including presidio types we do not map, such as GPE);
- flagged: share of messages with personal data where at least one span was detected, for all
  messages and for public posts (the case that matters for invariant 3).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models import PiiSpan, PiiType

PRESIDIO_TYPES = {
    "PERSON": PiiType.PERSON,
    "STREET_ADDRESS": PiiType.ADDRESS,
    "PHONE_NUMBER": PiiType.PHONE,
    "EMAIL_ADDRESS": PiiType.EMAIL,
}


@dataclass(frozen=True, slots=True)
class GoldSpan:
    """A labelled span; `type` is None for a presidio type that has no counterpart here."""

    start: int
    end: int
    type: PiiType | None
    raw_type: str


@dataclass(slots=True)
class Example:
    """One labelled text."""

    id: str
    text: str
    gold: list[GoldSpan]
    public: bool = False


@dataclass(slots=True)
class Scores:
    """Counters accumulated over a data set."""

    gold: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    found_any: Counter[str] = field(default_factory=Counter)
    predicted: Counter[str] = field(default_factory=Counter)
    correct: Counter[str] = field(default_factory=Counter)
    correct_any: Counter[str] = field(default_factory=Counter)
    messages_with_pii: int = 0
    messages_flagged: int = 0
    public_with_pii: int = 0
    public_flagged: int = 0
    messages_without_pii: int = 0
    clean_flagged: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    false_positives: list[tuple[str, str, str, str]] = field(default_factory=list)


def load(path: Path) -> list[Example]:
    """Read labelled lines in either supported format."""
    examples: list[Example] = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not raw.strip():
            continue
        record: dict[str, Any] = json.loads(raw)
        text = record["text"]
        gold: list[GoldSpan] = []
        if "gold" in record:
            for span in record["gold"].get("pii", []):
                gold.append(GoldSpan(span["start"], span["end"], PiiType(span["type"]),
                                     span["type"]))
        else:
            for span in record.get("spans", []):
                kind = PRESIDIO_TYPES.get(span["type"])
                gold.append(GoldSpan(span["start"], span["end"], kind, span["type"]))
        examples.append(Example(str(record.get("id", n)), text, gold,
                                bool(record.get("public", False))))
    return examples


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def score(examples: Iterable[Example], detect: Callable[[str], Sequence[PiiSpan]]) -> Scores:
    """Run `detect` over every example and count overlaps."""
    s = Scores()
    for ex in examples:
        predicted = list(detect(ex.text))
        mapped = [g for g in ex.gold if g.type is not None]
        for g in mapped:
            key = g.type.value if g.type else g.raw_type
            s.gold[key] += 1
            hits = [p for p in predicted if _overlaps(p.start, p.end, g.start, g.end)]
            if hits:
                s.found_any[key] += 1
            if any(p.type == g.type for p in hits):
                s.found[key] += 1
            else:
                s.misses.append((ex.id, key, ex.text[g.start : g.end]))
        for p in predicted:
            key = p.type.value
            s.predicted[key] += 1
            over = [g for g in ex.gold if _overlaps(p.start, p.end, g.start, g.end)]
            if over:
                s.correct_any[key] += 1
            if any(g.type == p.type for g in over):
                s.correct[key] += 1
            elif not over:
                window = ex.text[max(0, p.start - 30) : p.end + 30].replace("\n", " ")
                s.false_positives.append((ex.id, key, ex.text[p.start : p.end], window))
        if mapped:
            s.messages_with_pii += 1
            s.messages_flagged += bool(predicted)
            if ex.public:
                s.public_with_pii += 1
                s.public_flagged += bool(predicted)
        elif not ex.gold:
            s.messages_without_pii += 1
            s.clean_flagged += bool(predicted)
    return s


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "  -  "


def report(s: Scores, title: str, errors: int = 0) -> str:
    """A plain-text table: per type and overall."""
    lines = [f"== {title}",
             f"{'type':<14} {'gold':>5} {'recall':>7} {'rec-any':>7} {'pred':>5} {'prec':>6}"
             f" {'prec-any':>8}"]
    kinds = sorted(set(s.gold) | set(s.predicted))
    for kind in kinds:
        lines.append(
            f"{kind:<14} {s.gold[kind]:>5} {_ratio(s.found[kind], s.gold[kind]):>7}"
            f" {_ratio(s.found_any[kind], s.gold[kind]):>7} {s.predicted[kind]:>5}"
            f" {_ratio(s.correct[kind], s.predicted[kind]):>6}"
            f" {_ratio(s.correct_any[kind], s.predicted[kind]):>8}"
        )
    tg, tf, tfa = sum(s.gold.values()), sum(s.found.values()), sum(s.found_any.values())
    tp, tc, tca = (sum(s.predicted.values()), sum(s.correct.values()),
                   sum(s.correct_any.values()))
    lines.append(f"{'ALL':<14} {tg:>5} {_ratio(tf, tg):>7} {_ratio(tfa, tg):>7} {tp:>5}"
                 f" {_ratio(tc, tp):>6} {_ratio(tca, tp):>8}")
    lines.append(f"messages with personal data flagged: {s.messages_flagged}/{s.messages_with_pii}"
                 f" = {_ratio(s.messages_flagged, s.messages_with_pii)}")
    lines.append(f"public posts with personal data flagged: {s.public_flagged}/{s.public_with_pii}"
                 f" = {_ratio(s.public_flagged, s.public_with_pii)}")
    lines.append(f"messages without personal data flagged anyway: {s.clean_flagged}/"
                 f"{s.messages_without_pii}")
    if errors:
        lines.append("-- misses (id, type, text)")
        lines.extend(f"  {m}" for m in s.misses[:errors])
        lines.append("-- false positives (id, type, text, window)")
        lines.extend(f"  {f}" for f in s.false_positives[:errors])
    return "\n".join(lines)


def _detector(name: str, without: Sequence[str] = ()) -> Callable[[str], Sequence[PiiSpan]]:
    """The detector to score: the rules (minus ablated recognizers), the NER, or both."""
    from triage.pii import build_default_registry, detect_pii
    from triage.pii.base import AnalysisContext

    if name == "rules" and without:
        registry = build_default_registry()
        for recognizer in without:
            registry.remove(recognizer)
        return lambda text: registry.analyze(AnalysisContext.of(text))
    if name == "rules":
        return detect_pii
    from triage.pii.ner import detect_with_ner

    if name == "ner":
        return lambda text: detect_with_ner(text, combine=False)
    return lambda text: detect_with_ner(text, combine=True)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--errors", type=int, default=0, help="print N misses and false positives")
    parser.add_argument("--detector", choices=("rules", "ner", "both"), default="rules")
    parser.add_argument("--without", action="append", default=[], metavar="RECOGNIZER",
                        help="leave a recognizer out (ablation), e.g. UkPlaceNameRecognizer")
    parser.add_argument("--exclude-ids", type=Path, default=None,
                        help="skip lines whose id is listed (the lines looked at while tuning),"
                             " to measure on messages the rules were never adjusted to")
    args = parser.parse_args(argv)
    excluded: set[str] = set()
    if args.exclude_ids is not None:
        excluded = set(args.exclude_ids.read_text(encoding="utf-8").split())
    detect = _detector(args.detector, args.without)
    everything: list[Example] = []
    for path in args.files:
        if not path.exists():
            print(f"{path}: not found", file=sys.stderr)
            return 1
        examples = [e for e in load(path) if e.id not in excluded]
        everything.extend(examples)
        t0 = time.perf_counter()
        result = score(examples, detect)
        elapsed = time.perf_counter() - t0
        print(report(result, f"{path} ({len(examples)} texts, {len(examples) / elapsed:.0f}/s,"
                             f" detector={args.detector})", args.errors))
    if len(args.files) > 1:
        print(report(score(everything, detect), f"ALL FILES ({len(everything)} texts)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
