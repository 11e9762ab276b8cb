"""Convert hand-written training messages with inline personal-data markup to labelled lines.

Writers mark personal data inline as `[[TYPE:value]]` (for example `[[POSTCODE:OL9 6QA]]`), which
is far less error-prone than counting character offsets by hand. This module strips the markup
and computes the Python string offsets of the labelled-line format (interfaces.md).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from models.vocabulary import Flag, PiiType, Route

_MARK = re.compile(r"\[\[([A-Z_]+):(.+?)\]\]", re.DOTALL)


class MarkupError(ValueError):
    """A markup line that cannot become a labelled line; the message names id and problem."""


def strip_markup(marked: str) -> tuple[str, list[dict[str, Any]]]:
    """Return the plain text and the `pii` spans that the `[[TYPE:value]]` marks described."""
    out: list[str] = []
    spans: list[dict[str, Any]] = []
    pos = 0
    length = 0
    for match in _MARK.finditer(marked):
        before = marked[pos : match.start()]
        out.append(before)
        length += len(before)
        kind, value = match.group(1), match.group(2)
        if kind not in PiiType.__members__:
            raise MarkupError(f"unknown personal-data type {kind!r}")
        spans.append({"start": length, "end": length + len(value), "type": kind})
        out.append(value)
        length += len(value)
        pos = match.end()
    out.append(marked[pos:])
    text = "".join(out)
    if "[[" in text or "]]" in text:
        raise MarkupError("unbalanced [[ ]] markup")
    return text, spans


def convert_line(record: dict[str, Any]) -> dict[str, Any]:
    """One markup record -> one labelled line, validating route, flags and channel."""
    ident = str(record.get("id", "?"))
    try:
        text, spans = strip_markup(record["text"])
    except MarkupError as exc:
        raise MarkupError(f"{ident}: text: {exc}") from exc
    gold = dict(record.get("gold") or {})
    if gold.get("route") not in Route._value2member_map_:
        raise MarkupError(f"{ident}: gold.route: {gold.get('route')!r} is not a route")
    for flag in gold.get("flags", []):
        if flag not in Flag._value2member_map_:
            raise MarkupError(f"{ident}: gold.flags: {flag!r} is not a flag")
    if record.get("channel") not in ("email", "telegram", "social", "slack"):
        raise MarkupError(f"{ident}: channel: {record.get('channel')!r}")
    gold["pii"] = spans
    gold.setdefault("flags", [])
    line = {k: v for k, v in record.items() if k != "gold"}
    line["text"] = text
    line["gold"] = gold
    return line


def convert(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Convert JSON Lines of markup records, skipping blank lines."""
    for raw in lines:
        if raw.strip():
            yield convert_line(json.loads(raw))


def main(argv: list[str] | None = None) -> int:
    """`python -m triage.markup IN.jsonl OUT.jsonl`: used by writers of training data."""
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2:
        print("usage: python -m triage.markup MARKUP.jsonl OUT.jsonl", file=sys.stderr)
        return 2
    src, dst = Path(args[0]), Path(args[1])
    records = list(convert(src.read_text(encoding="utf-8").splitlines()))
    with dst.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{len(records)} labelled lines written to {dst}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
