"""Load the plain-text word lists in `triage/pii/data/` (lines of words, `#` comments).

Lists are data, not code: reviewers can read and extend them without touching a regex, and the
generated gazetteers (`build_gazetteer.py`) use the same format.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


@cache
def words(filename: str, lower: bool = True) -> frozenset[str]:
    """The whitespace-separated words of a data file, ignoring `#` comment lines."""
    found: set[str] = set()
    for line in (DATA / filename).read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#"):
            continue
        found.update(w.lower() if lower else w for w in line.split())
    return frozenset(found)
