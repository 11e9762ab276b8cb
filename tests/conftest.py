"""Shared fixtures: loopback-only network, SQLite and PostgreSQL databases, an SMTP sink."""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.pg import PgCluster, start_cluster

SHARED = Path(__file__).resolve().parents[2] / "shared"


# -- no network but loopback ----------------------------------------------------------------

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family == socket.AF_UNIX:
        return
    host = address[0] if isinstance(address, tuple) else address
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host in ("localhost",):
            return
        raise ConnectionRefusedError(f"tests may not reach the network: {host!r}") from None
    if not ip.is_loopback:
        raise ConnectionRefusedError(f"tests may not reach the network: {host}")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self, address)
    return _real_connect_ex(self, address)


@pytest.fixture
def fake_slack() -> Iterator[Any]:
    """A local fake of the Slack Web API (tests.fakes.slack_api) for the staff-queue tests."""
    from tests.fakes.slack_api import FakeSlack

    server = FakeSlack()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _no_service_left_running() -> Iterator[None]:
    """Kill any `intake serve` the test itself started and did not stop (for example when an
    assertion failed). Services of module-scoped fixtures exist before the test starts and
    are left to their fixture."""
    from tests.helpers import LIVE_SERVICES

    before = set(LIVE_SERVICES)
    yield
    for service in LIVE_SERVICES - before:
        service.kill()
        LIVE_SERVICES.discard(service)


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


# -- databases ------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = start_cluster()
    if cluster is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries are missing in CI: .ci/run must install them")
        pytest.skip("no PostgreSQL server installed (make test in CI installs one)")
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'intake.sqlite3'}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def db(db_url: str) -> Iterator[Any]:
    from storage.db import Database
    from storage.migrate import upgrade

    database = Database(db_url)
    upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Any]:
    from storage.db import Database
    from storage.migrate import upgrade

    database = Database(f"sqlite:///{tmp_path / 'intake.sqlite3'}")
    upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def smtp_sink() -> Iterator[Any]:
    from tests.helpers import SmtpSink

    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def shared_dir() -> Path:
    return SHARED
