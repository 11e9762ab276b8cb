"""The feedback source `intake train --include-feedback` reads (see triage/feedback.py).

triage/feedback.py looks for `intake.feedback.labelled_lines()`; this opens the service's own
database (INTAKE_DB_URL, as `intake serve` does) and yields the corrections staff made in the
Slack queue as labelled lines (storage/feedback.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def labelled_lines() -> Iterator[dict[str, Any]]:
    """Staff corrections from the configured database, as interfaces.md labelled lines."""
    from intake.settings import load_settings
    from storage import feedback
    from storage.db import Database, default_url
    from storage.migrate import upgrade

    db = Database(load_settings().db_url or default_url())
    try:
        upgrade(db.engine)
        with db.transaction() as session:
            lines = list(feedback.labelled_lines(session))
    finally:
        db.dispose()
    yield from lines
