"""Fixtures shared by the Telegram tests: a running fake Bot API and a migrated SQLite database.

Imported by name into each Telegram test module (pytest collects fixtures from module globals).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage.db import Database
from tests.fakes.telegram_api import FakeBotApi


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    server = FakeBotApi(max_poll_wait=0.3)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def db(sqlite_db: Database) -> Database:
    """SQLite for the conversation tests; the pipeline tests cover both backends."""
    return sqlite_db
