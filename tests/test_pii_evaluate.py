"""The evaluation script, the synthetic generator, and measured quality on labelled data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models import PiiSpan, PiiType
from triage.pii import detect_pii
from triage.pii.evaluate import load, main, report, score
from triage.pii.synth import generate

ROOT = Path(__file__).resolve().parents[1]
LABELLED = sorted((ROOT / "triage" / "data" / "labelled").glob("*.jsonl"))
PRESIDIO = ROOT.parent / "shared" / "corpus" / "pii" / "presidio_synth_v2.jsonl"


def _line(text: str, spans: list[tuple[int, int, str]], public: bool = False) -> str:
    return json.dumps({"id": "t", "channel": "social", "public": public, "text": text,
                       "gold": {"route": "other", "flags": [],
                                "pii": [{"start": a, "end": b, "type": t} for a, b, t in spans]}})


def test_score_counts_overlaps_by_type(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text(_line("Priya Shah, OL9 6QA", [(0, 10, "PERSON"), (12, 19, "POSTCODE")],
                          public=True) + "\n", encoding="utf-8")
    examples = load(path)

    def detect(text: str) -> list[PiiSpan]:
        return [PiiSpan(0, 5, PiiType.PERSON), PiiSpan(12, 19, PiiType.ADDRESS)]

    s = score(examples, detect)
    assert s.found["PERSON"] == 1 and s.found["POSTCODE"] == 0 and s.found_any["POSTCODE"] == 1
    assert s.correct["ADDRESS"] == 0 and s.correct_any["ADDRESS"] == 1
    assert s.public_flagged == 1 == s.public_with_pii
    assert "PERSON" in report(s, "t")


def test_presidio_format_maps_types(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"id": "1", "text": "Call Ann on 555", "spans": [
        {"start": 5, "end": 8, "type": "PERSON"}, {"start": 12, "end": 15, "type": "PHONE_NUMBER"},
        {"start": 0, "end": 4, "type": "GPE"}]}) + "\n", encoding="utf-8")
    (example,) = load(path)
    assert [g.type for g in example.gold] == [PiiType.PERSON, PiiType.PHONE, None]


def test_cli_prints_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text(_line("Thanks,\nPriya Shah", [(8, 18, "PERSON")]) + "\n", encoding="utf-8")
    assert main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "PERSON" in out and "1.000" in out


def test_generator_is_deterministic_and_offsets_are_right() -> None:
    first, second = generate(50, seed=5), generate(50, seed=5)
    assert first == second
    for line in first:
        for span in line["gold"]["pii"]:
            value = line["text"][span["start"] : span["end"]]
            assert value and value == value.strip()


def test_rules_on_generated_messages() -> None:
    """Generated messages (not used to write the rules) must be found as well as real ones."""
    examples = []
    from triage.pii.evaluate import Example, GoldSpan

    for line in generate(300, seed=123):
        gold = [GoldSpan(s["start"], s["end"], PiiType(s["type"]), s["type"])
                for s in line["gold"]["pii"]]
        examples.append(Example(line["id"], line["text"], gold, line["public"]))
    s = score(examples, detect_pii)
    recall = sum(s.found.values()) / sum(s.gold.values())
    precision = sum(s.correct.values()) / sum(s.predicted.values())
    assert recall >= 0.9
    assert precision >= 0.9


@pytest.mark.skipif(not LABELLED, reason="no labelled data in triage/data/labelled")
def test_quality_on_labelled_messages() -> None:
    """The issue's targets, on every labelled line the team has written."""
    examples = [e for path in LABELLED for e in load(path)]
    s = score(examples, detect_pii)
    recall = sum(s.found_any.values()) / sum(s.gold.values())
    precision = sum(s.correct_any.values()) / sum(s.predicted.values())
    assert recall >= 0.95, report(s, "labelled")
    assert precision >= 0.85, report(s, "labelled")
    if s.public_with_pii >= 20:
        assert s.public_flagged / s.public_with_pii >= 0.98, report(s, "labelled")


@pytest.mark.skipif(not PRESIDIO.exists(), reason="shared/corpus/pii not present beside the repo")
def test_presidio_synthetic_set_emails_and_people() -> None:
    """US-centric public set: we do not tune to it, but emails and most names must be found."""
    s = score(load(PRESIDIO), detect_pii)
    assert s.found["EMAIL"] / s.gold["EMAIL"] >= 0.95
    assert s.found["PERSON"] / s.gold["PERSON"] >= 0.5
