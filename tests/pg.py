"""A throwaway PostgreSQL cluster for tests: initdb in a temp dir, started on a free loopback port.

PostgreSQL refuses to run as root, so when the tests run as root (CI) the cluster is created and
started as the unprivileged `postgres` user that the Debian package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def find_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PgCluster:
    datadir: Path
    port: int
    run_as: str | None
    pg_ctl: str

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _cmd(self, args: list[str]) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *args] if self.run_as else args

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        subprocess.run(self._cmd([self.pg_ctl, "-D", str(self.datadir), "-m", "immediate",
                                  "stop"]), capture_output=True, check=False)
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def start_cluster() -> PgCluster | None:
    """Start a cluster, or None when no PostgreSQL server binaries are installed."""
    initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
    if not initdb or not pg_ctl:
        return None
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
            run_as = "postgres"
        except KeyError:
            return None
    base = Path(tempfile.mkdtemp(prefix="intake-pg-"))
    datadir = base / "data"
    if run_as:
        user = pwd.getpwnam(run_as)
        os.chown(base, user.pw_uid, user.pw_gid)
    port = free_port()
    cluster = PgCluster(datadir, port, run_as, pg_ctl)
    subprocess.run(cluster._cmd([initdb, "-D", str(datadir), "-U", "postgres", "-A", "trust",
                                 "--no-sync", "-E", "UTF8"]), check=True, capture_output=True)
    options = (f"-c listen_addresses=127.0.0.1 -c port={port} -c fsync=off "
               f"-c unix_socket_directories={base} -c max_connections=200 "
               "-c synchronous_commit=off -c full_page_writes=off")
    subprocess.run(cluster._cmd([pg_ctl, "-D", str(datadir), "-o", options, "-l",
                                 str(base / "log"), "-w", "start"]),
                   check=True, capture_output=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return cluster
        except OSError:
            time.sleep(0.2)
    cluster.stop()
    raise RuntimeError("PostgreSQL did not start")
