"""One hierarchy for every error Intake reports to a person.

Messages say what was wrong and what to do about it; the CLI prints them without a traceback
and exits 1 (or 2 for usage errors).
"""

from __future__ import annotations


class IntakeError(Exception):
    """Base of all errors meant for an operator or a user."""


class ConfigError(IntakeError):
    """A setting or a policy profile is missing or invalid; start-up stops."""


class InputError(IntakeError):
    """A message or input line cannot be read; names the field that is wrong."""

    def __init__(self, message: str, *, field: str | None = None, ident: str | None = None):
        super().__init__(message)
        self.field = field
        self.ident = ident


class StorageError(IntakeError):
    """The database could not be reached or refused a write."""


class DeliveryError(IntakeError):
    """A reply could not be delivered; `temporary` says whether a retry may succeed."""

    def __init__(self, message: str, *, temporary: bool):
        super().__init__(message)
        self.temporary = temporary
