"""The hook through which staff corrections become training lines.

`intake train --include-feedback` calls `feedback_lines()`. The pipeline owner provides the
source: either register a function with `set_feedback_source(fn)`, or define
`intake.feedback.labelled_lines() -> Iterable[dict]` returning labelled lines in the
interfaces.md format (a triage input line plus `gold`). Until one exists, asking for feedback
is an error rather than a silent no-op, so nobody believes corrections were used when they
were not.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

FeedbackSource = Callable[[], Iterable[dict[str, Any]]]
FEEDBACK_MODULE = "intake.feedback"
FEEDBACK_FUNCTION = "labelled_lines"

_source: FeedbackSource | None = None


class FeedbackUnavailable(RuntimeError):
    """No feedback source is installed yet."""


def set_feedback_source(source: FeedbackSource | None) -> None:
    """Register (or with None, remove) the function that yields corrected labelled lines."""
    global _source
    _source = source


def feedback_lines() -> list[dict[str, Any]]:
    """Corrected labelled lines from the registered source or `intake.feedback`."""
    source = _source
    if source is None:
        try:
            module = importlib.import_module(FEEDBACK_MODULE)
        except ModuleNotFoundError as exc:
            raise FeedbackUnavailable(
                f"no feedback source: register one with triage.feedback.set_feedback_source "
                f"or provide {FEEDBACK_MODULE}.{FEEDBACK_FUNCTION}()") from exc
        source = getattr(module, FEEDBACK_FUNCTION, None)
        if source is None:
            raise FeedbackUnavailable(f"{FEEDBACK_MODULE} has no {FEEDBACK_FUNCTION}()")
    return list(source())
