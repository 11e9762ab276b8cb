"""Redaction: replace each personal-data span with a `[TYPE]` tag.

Kept separate from detection so that staff-corrected spans (or spans from another tool) can be
redacted the same way, and so the invariant "redacted text never contains a detected value" has
one place to be true.
"""

from __future__ import annotations

from collections.abc import Sequence

from models import PiiSpan


def redact(text: str, spans: Sequence[PiiSpan]) -> str:
    """Return `text` with every span replaced by `[TYPE]`.

    Overlapping or unsorted spans are tolerated: they are merged, the earlier span's type naming
    the merged region, so nothing that any span covered survives.
    """
    merged: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        start, end = max(0, span.start), min(len(text), span.end)
        if start >= end:
            continue
        if merged and start < merged[-1][1]:
            prev = merged[-1]
            merged[-1] = (prev[0], max(prev[1], end), prev[2])
        else:
            merged.append((start, end, span.type.value))
    out: list[str] = []
    pos = 0
    for start, end, kind in merged:
        out.append(text[pos:start])
        out.append(f"[{kind}]")
        pos = end
    out.append(text[pos:])
    return "".join(out)
