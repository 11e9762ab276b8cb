"""`intake train` and `intake eval` end to end on a small labelled file."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from intake.commands.eval import command as eval_command
from intake.commands.train import command as train_command
from triage.feedback import FeedbackUnavailable, set_feedback_source
from triage.scorer import WEIGHTS_FILE

LABELLED = Path(__file__).resolve().parents[1] / "triage" / "data" / "labelled"


@pytest.fixture(scope="module")
def small_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Up to 8 lines per route from the shipped labelled files, in a stable order."""
    taken: Counter[str] = Counter()
    lines: list[str] = []
    for path in sorted(LABELLED.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            route = json.loads(line)["gold"]["route"]
            if taken[route] < 8:
                taken[route] += 1
                lines.append(line)
    if len(taken) < 5:
        pytest.skip("not enough labelled lines shipped to train a small model")
    target = tmp_path_factory.mktemp("data") / "small.jsonl"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def trained(small_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("model")
    result = CliRunner().invoke(train_command, [str(small_file), "--out", str(out),
                                                "--no-holdout"])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_train_writes_a_model_with_its_meta(trained: tuple[Path, str]) -> None:
    out, output = trained
    assert (out / WEIGHTS_FILE).exists()
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["seed"] == 13 and meta["trained_on"] > 0
    assert f"model {meta['version']} trained on" in output


def test_train_is_reproducible(small_file: Path, trained: tuple[Path, str],
                               tmp_path: Path) -> None:
    out, _ = trained
    again = CliRunner().invoke(train_command, [str(small_file), "--out", str(tmp_path),
                                               "--no-holdout"])
    assert again.exit_code == 0, again.output
    first = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    second = json.loads((tmp_path / "meta.json").read_text(encoding="utf-8"))
    assert first == second


def test_eval_prints_every_figure_and_plots(small_file: Path, trained: tuple[Path, str],
                                            tmp_path: Path) -> None:
    out, _ = trained
    plot = tmp_path / "confusion.png"
    result = CliRunner().invoke(eval_command, [str(small_file), "--model-dir", str(out),
                                               "--plot", str(plot), "--policy", "hos-2024"])
    assert result.exit_code == 0, result.output
    for needle in ("precision", "recall", "macro-F1", "confusion matrix", "health_safety",
                   "personal data spans"):
        assert needle in result.output
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_json_output(small_file: Path, trained: tuple[Path, str]) -> None:
    out, _ = trained
    result = CliRunner().invoke(eval_command, [str(small_file), "--model-dir", str(out),
                                               "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert 0.0 <= figures["macro_f1"] <= 1.0
    assert figures["messages"] == sum(1 for line in small_file.read_text().splitlines() if line)


def test_exit_codes(small_file: Path, trained: tuple[Path, str], tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(eval_command, []).exit_code == 2
    assert runner.invoke(eval_command, [str(tmp_path / "missing.jsonl")]).exit_code == 2
    assert runner.invoke(eval_command, [str(small_file), "--policy", "no-such"]).exit_code == 2
    assert runner.invoke(train_command, []).exit_code == 2
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "a", "text": "hi"}\nnot json\n', encoding="utf-8")
    failed = runner.invoke(eval_command, [str(broken)])
    assert failed.exit_code == 1
    assert "broken.jsonl" in failed.output
    out, _ = trained
    high = runner.invoke(eval_command, [str(small_file), "--model-dir", str(out),
                                        "--min-macro-f1", "1.01"])
    assert high.exit_code == 1


def test_include_feedback_adds_staff_corrections(small_file: Path, trained: tuple[Path, str],
                                                 tmp_path: Path) -> None:
    correction = json.loads(small_file.read_text(encoding="utf-8").splitlines()[0])
    correction["id"] = "feedback-1"
    set_feedback_source(lambda: [correction])
    try:
        result = CliRunner().invoke(train_command, [str(small_file), "--out", str(tmp_path),
                                                    "--no-holdout", "--include-feedback"])
    finally:
        set_feedback_source(None)
    assert result.exit_code == 0, result.output
    before = json.loads((trained[0] / "meta.json").read_text(encoding="utf-8"))
    after = json.loads((tmp_path / "meta.json").read_text(encoding="utf-8"))
    assert after["trained_on"] == before["trained_on"] + 1


def test_a_failing_feedback_source_fails_the_command(small_file: Path, tmp_path: Path) -> None:
    def broken() -> list[dict[str, object]]:
        raise FeedbackUnavailable("no corrections database")

    set_feedback_source(broken)
    try:
        result = CliRunner().invoke(train_command, [str(small_file), "--out", str(tmp_path),
                                                    "--include-feedback"])
    finally:
        set_feedback_source(None)
    assert result.exit_code == 1
    assert "no corrections database" in result.output
