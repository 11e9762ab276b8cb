"""The `intake` command line (names fixed by interfaces.md).

Exit codes: 0 success, 2 usage errors (click's own), 1 anything else. IntakeError messages are
printed without a traceback: they are written for the person at the terminal.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any, TextIO

import click

from intake.errors import IntakeError
from intake.profiles import DEFAULT_PROFILE

POLICY_HELP = f"Policy profile name from config/ (default {DEFAULT_PROFILE}, or INTAKE_POLICY)."


def _setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # aiosmtpd logs envelope addresses at INFO: personal data stays out of our logs.
    logging.getLogger("mail.log").setLevel(logging.WARNING)


class IntakeGroup(click.Group):
    """Turns IntakeError into one clear line and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IntakeError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=IntakeGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Intake: complaints intake and triage for social landlords."""


@main.command()
@click.option("--policy", default=None, help=POLICY_HELP)
def serve(policy: str | None) -> None:
    """Run the service: SMTP listener, webhooks, triage workers and sender."""
    from intake.service import serve as run
    from intake.settings import load_settings

    settings = load_settings()
    _setup_logging(settings.log_level)
    asyncio.run(run(settings, policy))


def _read_lines(stream: TextIO) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line


@main.command("triage")
@click.argument("file", type=click.File("r", encoding="utf-8"), required=False)
@click.option("--policy", default=None, help=POLICY_HELP)
@click.option("--batch-size", default=256, show_default=True, type=click.IntRange(1, 10_000),
              help="Messages triaged together (faster; output order is always input order).")
def triage_cmd(file: TextIO | None, policy: str | None, batch_size: int) -> None:
    """Batch triage JSON Lines from FILE (or stdin) to stdout; never opens cases or sends."""
    from tqdm import tqdm

    from intake.batch import InputLine, parse_line
    from intake.profiles import load_profile
    from intake.settings import load_settings
    from triage import triage_message
    from triage.api import triage_batch

    profile = load_profile(policy or load_settings().policy)
    failures = 0
    out = sys.stdout

    def flush(batch: list[InputLine]) -> int:
        """Triage a batch; if the batch fails, fall back to one at a time to find the culprit."""
        if not batch:
            return 0
        try:
            results = triage_batch([line.message for line in batch], profile)
        except Exception:
            results = []
        if len(results) != len(batch):
            errors = 0
            for line in batch:
                try:
                    result = triage_message(line.message, profile)
                except Exception as exc:  # one bad message must not stop the batch
                    errors += 1
                    click.echo(f"error: {line.ident}: triage failed: {type(exc).__name__}: {exc}",
                               err=True)
                    continue
                out.write(json.dumps(result.as_json(line.ident), ensure_ascii=False) + "\n")
            return errors
        for line, result in zip(batch, results, strict=True):
            out.write(json.dumps(result.as_json(line.ident), ensure_ascii=False) + "\n")
        return 0

    batch: list[InputLine] = []
    for number, raw in tqdm(_read_lines(file or sys.stdin), desc="triage", unit="msg",
                            disable=None, file=sys.stderr):
        try:
            batch.append(parse_line(raw, number))
        except IntakeError as exc:
            # Earlier good lines are written first, so output stays in input order.
            failures += flush(batch)
            batch = []
            failures += 1
            click.echo(f"error: {exc}", err=True)
            continue
        if len(batch) >= batch_size:
            failures += flush(batch)
            batch = []
    failures += flush(batch)
    out.flush()
    if failures:
        click.echo(f"{failures} line(s) failed; see the error lines above", err=True)
        sys.exit(1)


@main.group()
def cases() -> None:
    """What staff and scripts read about cases."""


def _database() -> Any:
    from intake.settings import load_settings
    from storage.db import Database, default_url
    from storage.migrate import upgrade

    settings = load_settings()
    db = Database(settings.db_url or default_url())
    upgrade(db.engine)
    return db


@cases.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
@click.option("--status", default=None, help="Only cases with this status (open, recorded, ...).")
def cases_list(as_json: bool, status: str | None) -> None:
    """Cases, newest first, with their next deadline."""
    from intake.views import case_summary

    db = _database()
    from storage import cases as store

    with db.transaction() as session:
        rows = [case_summary(c) for c in store.list_cases(session, status)]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no cases yet")
        return
    click.echo(f"{'REF':<16} {'ROUTE':<16} {'STATUS':<9} {'STAGE':<8} {'NEXT DUE':<11} CHANNEL")
    for row in rows:
        click.echo(f"{row['ref']:<16} {row['route']:<16} {row['status']:<9} "
                   f"{(row['stage'] or '-'):<8} {(row['next_due'] or '-'):<11} {row['channel']}")


@cases.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
def cases_show(ref: str, as_json: bool) -> None:
    """One case with its stages, deadlines, events and replies."""
    from intake.views import case_detail, render_detail
    from storage import cases as store

    db = _database()
    with db.transaction() as session:
        case = store.load_case(session, ref)
        if case is None:
            raise IntakeError(f"no case with reference {ref!r} (see `intake cases list`)")
        detail = case_detail(session, case)
    if as_json:
        click.echo(json.dumps(detail, indent=2, ensure_ascii=False))
    else:
        click.echo(render_detail(detail))


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema (serve does this at start-up too)."""
    _database()
    click.echo("database schema is up to date")


@main.command()
@click.argument("ids", nargs=-1, type=int)
def requeue(ids: tuple[int, ...]) -> None:
    """Move dead-letter messages (all, or the given ids) back to the queue."""
    from storage import queue

    count = queue.requeue_dead(_database(), list(ids) or None)
    click.echo(f"{count} message(s) requeued")


@main.command()
@click.option("--json", "as_json", is_flag=True)
def status(as_json: bool) -> None:
    """Queue and outbox counts by state."""
    from intake.views import status_counts

    counts = status_counts(_database())
    if as_json:
        click.echo(json.dumps(counts, indent=2))
    else:
        for section, values in counts.items():
            click.echo(f"{section}: " + (", ".join(f"{k}={v}" for k, v in values.items())
                                         or "empty"))


def _register_optional(name: str) -> None:
    """Commands contributed by other packages (train, eval) register if present."""
    try:
        module = importlib.import_module(f"intake.commands.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"intake.commands.{name}" and exc.name != "intake.commands":
            raise
        return
    main.add_command(module.command, name)


for _name in ("train", "eval"):
    _register_optional(_name)


if __name__ == "__main__":  # pragma: no cover
    main()
