"""`intake train FILE...`: retrain the triage models and write them where triage loads them.

Reproducible: the same files and `--seed` give the same model. The deterministic 20 % held-out
split (docs/triage.md) is left out of training unless `--no-holdout` is given, and its figures
are printed and stored in the model's meta.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from intake.profiles import DEFAULT_PROFILE


@click.command("train")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the model (default: INTAKE_MODEL_DIR, else triage/model/).")
@click.option("--seed", type=int, default=13, show_default=True, help="Random seed.")
@click.option("--kind", type=click.Choice(["svm", "lr"]), default="svm", show_default=True,
              help="Route classifier: calibrated linear SVM or logistic regression.")
@click.option("--no-holdout", is_flag=True,
              help="Train on every line, including the held-out 20 %.")
@click.option("--include-feedback", is_flag=True,
              help="Add staff corrections (triage.feedback) to the training lines.")
@click.option("--lofo", is_flag=True,
              help="Also report leave-one-file-out figures (train on the others, test on one).")
@click.option("--policy", default=DEFAULT_PROFILE, show_default=True,
              help="Policy profile used to score the held-out split.")
def command(files: tuple[Path, ...], out_dir: Path | None, seed: int, kind: str,
            no_holdout: bool, include_feedback: bool, lofo: bool, policy: str) -> None:
    """Retrain the triage models from labelled JSON Lines FILE(s)."""
    from intake.errors import ConfigError
    from intake.profiles import load_profile
    from triage.data import DataError, example_from_line, load_examples
    from triage.evaluation import format_report
    from triage.feedback import FeedbackUnavailable, feedback_lines
    from triage.store import forget_models, model_dir
    from triage.training import analyse_examples, leave_one_file_out, save, train

    try:
        profile = load_profile(policy)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--policy") from exc
    try:
        examples = load_examples(files)
        if include_feedback:
            examples += [example_from_line(r, "feedback") for r in feedback_lines()]
    except (DataError, FeedbackUnavailable, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    if not examples:
        raise click.ClickException("no labelled lines in the given files")
    target = out_dir or model_dir()
    try:
        result = train(examples, profile, seed=seed, kind=kind, holdout=not no_holdout,
                       progress=True, sources=[f.name for f in files])
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    save(result, target)
    forget_models()
    click.echo(f"model {result.model.version} trained on {result.train_count} lines, "
               f"written to {target}")
    if result.held_out is not None:
        click.echo(f"\nheld-out split ({result.held_out_count} lines, never trained on):")
        click.echo(format_report(result.held_out))
    if lofo:
        analyses = analyse_examples(examples, progress=True, desc="reading (lofo)")
        reports = leave_one_file_out(examples, analyses, profile, seed=seed, kind=kind)
        click.echo("\nleave one file out (train on the others, test on this one):")
        summary = {}
        for source, report in reports.items():
            complaint = next((s for r, s in report.routes.items() if r.value == "complaint"),
                             None)
            click.echo(f"  {source:<20} n={report.n:<5} macro-F1 {report.macro_f1:.3f}  "
                       f"complaint recall {complaint.recall if complaint else 0:.3f}  "
                       f"flag micro-F1 {report.flag_micro_f1:.3f}")
            summary[source] = round(report.macro_f1, 4)
        result.model.meta["leave_one_file_out_macro_f1"] = summary
        (target / "meta.json").write_text(json.dumps(result.model.meta, indent=2,
                                                     sort_keys=True) + "\n", encoding="utf-8")
    sys.stdout.flush()
