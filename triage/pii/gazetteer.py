"""Name and place word lists loaded once from `triage/pii/data/`.

Lists beat a statistical model for first names and surnames: they are fast (a set lookup), need
no download, and are explainable ("Priya is a known first name"). Names are built by
`build_gazetteer.py` from faker's providers and shipped with the package.
"""

from __future__ import annotations

from functools import cache

from triage.pii.wordlists import words

STREET_SUFFIXES: frozenset[str] = words("street_suffixes.txt")
BUILDING_SUFFIXES: frozenset[str] = words("building_suffixes.txt")


@cache
def first_names() -> frozenset[str]:
    """Capitalised first names (accented and unaccented forms)."""
    return words("first_names.txt", lower=False) | words("extra_first_names.txt", lower=False)


@cache
def core_first_names() -> frozenset[str]:
    """First names common in English-speaking countries, plus the curated extras.

    Only these are trusted alone at the start of a sentence, where any capitalised word could
    be a name in some language ("Wants", "Letter" are first names somewhere).
    """
    return words("first_names_core.txt", lower=False) | words("extra_first_names.txt", lower=False)


@cache
def surnames() -> frozenset[str]:
    """Capitalised surnames (accented and unaccented forms)."""
    return words("surnames.txt", lower=False) | words("extra_surnames.txt", lower=False)


@cache
def first_names_lower() -> frozenset[str]:
    """Lower-cased first names, for sign-offs typed in lower case on a phone."""
    return frozenset(n.lower() for n in first_names())


@cache
def surnames_lower() -> frozenset[str]:
    """Lower-cased surnames, for names typed in lower case ("zoe stevenson")."""
    return frozenset(n.lower() for n in surnames())
