"""Labelled lines: reading them, and the held-out split we never train on.

The held-out split is decided by a hash of the line's id, not by random sampling, so it is the
same on every machine, survives new lines being appended, and a line never moves between train
and test as the data grows: `sha256("intake-holdout:" + id)`, first 8 hex digits as an integer,
modulo 100, below 20 -> held out (20 %). The same rule is documented in docs/triage.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from models.vocabulary import Flag, Route
from triage.analysis import MessageInput

HOLDOUT_PERCENT = 20
_HOLDOUT_SALT = "intake-holdout:"


class DataError(ValueError):
    """A labelled file or line that cannot be used; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled line, with the file it came from (for leave-one-file-out)."""

    id: str
    source: str
    item: MessageInput
    route: Route
    flags: frozenset[Flag]
    pii: tuple[tuple[int, int, str], ...] = ()
    incident_date: date | None = None
    recurring: bool | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def parse_received(value: str | None) -> datetime:
    """ISO-8601 with a trailing Z accepted; naive times are taken as UTC."""
    if not value:
        raise ValueError("received_at is missing")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def example_from_line(record: dict[str, Any], source: str) -> Example:
    """Validate one labelled line and turn it into an Example."""
    ident = str(record.get("id", "?"))
    gold = record.get("gold")
    if not isinstance(gold, dict):
        raise DataError(f"{source}: {ident}: no gold labels")
    try:
        route = Route(gold["route"])
        flags = frozenset(Flag(f) for f in gold.get("flags", []))
        received = parse_received(record.get("received_at")).date()
        incident = gold.get("incident_date")
        pii = tuple((int(s["start"]), int(s["end"]), str(s["type"])) for s in gold.get("pii", []))
    except (KeyError, ValueError, TypeError) as exc:
        raise DataError(f"{source}: {ident}: {exc}") from exc
    item = MessageInput(
        text=str(record.get("text") or ""),
        received=received,
        channel=str(record.get("channel") or "email"),
        public=bool(record.get("public", False)),
        subject=record.get("subject"),
    )
    return Example(
        id=ident,
        source=source,
        item=item,
        route=route,
        flags=flags,
        pii=pii,
        incident_date=date.fromisoformat(incident) if incident else None,
        recurring=gold.get("recurring"),
        raw=record,
    )


def read_lines(path: Path) -> list[dict[str, Any]]:
    """JSON objects of a JSON Lines file, skipping blank lines; errors name the line number."""
    records: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{number}: not valid JSON: {exc.msg}") from exc
    return records


def load_examples(paths: Iterable[Path]) -> list[Example]:
    """Every labelled line of every file, in file order; duplicate ids keep the first line."""
    examples: list[Example] = []
    seen: set[str] = set()
    for path in paths:
        for record in read_lines(path):
            example = example_from_line(record, path.stem)
            if example.id in seen:
                continue
            seen.add(example.id)
            examples.append(example)
    return examples


def is_held_out(ident: str) -> bool:
    """True for the deterministic 20 % of ids we never train on."""
    digest = hashlib.sha256((_HOLDOUT_SALT + ident).encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % 100 < HOLDOUT_PERCENT


def split(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """(train, held_out) by id hash."""
    train = [e for e in examples if not is_held_out(e.id)]
    held = [e for e in examples if is_held_out(e.id)]
    return train, held
