"""`intake eval FILE`: score triage against a labelled JSON Lines file.

Prints per-route precision/recall/F1, macro-F1, the confusion matrix, F1 per flag and
personal-data span precision/recall (overlap); `--plot PATH` saves the confusion matrix as a
PNG. Exit 0 when scored, 2 on usage errors, 1 when the file cannot be read or a threshold
given with `--min-macro-f1` is not met.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from intake.profiles import DEFAULT_PROFILE


@click.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--policy", default=DEFAULT_PROFILE, show_default=True,
              help="Policy profile name from config/.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Save the confusion matrix as a PNG here.")
@click.option("--model-dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help="Evaluate the model in this directory instead of the shipped one.")
@click.option("--held-out-only", is_flag=True,
              help="Score only the lines of the deterministic held-out split.")
@click.option("--json", "as_json", is_flag=True, help="Print the headline figures as JSON.")
@click.option("--min-macro-f1", type=float, default=None,
              help="Exit 1 when route macro-F1 is below this.")
def command(file: Path, policy: str, plot_path: Path | None, model_dir: Path | None,
            held_out_only: bool, as_json: bool, min_macro_f1: float | None) -> None:
    """Score triage against labelled JSON Lines FILE."""
    from intake.errors import ConfigError
    from intake.profiles import load_profile
    from triage.api import triage_with
    from triage.data import DataError, is_held_out, load_examples
    from triage.evaluation import evaluate, format_report, plot_confusion
    from triage.store import load_model

    try:
        profile = load_profile(policy)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--policy") from exc
    try:
        examples = load_examples([file])
        model = load_model(model_dir)
    except (DataError, OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if held_out_only:
        examples = [e for e in examples if is_held_out(e.id)]
    if not examples:
        raise click.ClickException(f"{file}: no labelled lines to score")
    results = triage_with([e.item for e in examples], profile, model)
    report = evaluate(examples, results)
    if as_json:
        click.echo(json.dumps({
            "messages": report.n,
            "model": model.version if model else "rules",
            "macro_f1": round(report.macro_f1, 4),
            "accuracy": round(report.accuracy, 4),
            "routes": {r.value: {"precision": round(s.precision, 4), "recall": round(s.recall, 4),
                                 "f1": round(s.f1, 4), "support": s.support}
                       for r, s in report.routes.items()},
            "flags": {f.value: {"precision": round(s.precision, 4), "recall": round(s.recall, 4),
                                "f1": round(s.f1, 4), "support": s.support}
                      for f, s in report.flags.items()},
            "pii": {"precision": round(report.pii.precision, 4),
                    "recall": round(report.pii.recall, 4)},
            "confusion": {"labels": [r.value for r in report.labels],
                          "matrix": report.confusion.tolist()},
        }, indent=2))
    else:
        click.echo(f"model: {model.version if model else 'none (rules only)'}   "
                   f"policy: {profile.name}")
        click.echo(format_report(report))
    if plot_path is not None:
        try:
            plot_confusion(report, str(plot_path))
        except OSError as exc:
            raise click.ClickException(f"{plot_path}: {exc}") from exc
        click.echo(f"confusion matrix saved to {plot_path}", err=True)
    if min_macro_f1 is not None and report.macro_f1 < min_macro_f1:
        raise click.ClickException(f"macro-F1 {report.macro_f1:.3f} is below {min_macro_f1}")
