"""Test helpers: a real SMTP sink with error injection, and `intake serve` as a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from tests.pg import free_port

REPO = Path(__file__).resolve().parents[1]
INTAKE = str(Path(sys.executable).parent / "intake")


class _SinkHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.sink.fail_next > 0:
            self.sink.fail_next -= 1
            return self.sink.fail_with
        with self.sink.lock:
            self.sink.raw.append(envelope.original_content)
        return "250 OK"


class SmtpSink:
    """The relay our acknowledgements go to: records every message; can refuse on demand."""

    def __init__(self) -> None:
        self.port = free_port()
        self.raw: list[bytes] = []
        self.lock = threading.Lock()
        self.fail_next = 0
        self.fail_with = "451 4.3.0 try later"
        self.controller = Controller(_SinkHandler(self), hostname="127.0.0.1", port=self.port)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def messages(self) -> list[Message]:
        with self.lock:
            return [message_from_bytes(r, policy=policy.default) for r in self.raw]


def make_email(*, sender: str = "Priya Shah <priya@example.com>", to: str = "complaints@localhost",
               subject: str = "Leaking roof", body: str, message_id: str | None = None,
               headers: dict[str, str] | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    if message_id:
        msg["Message-ID"] = message_id
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    return msg


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


# Every `intake serve` a test started; conftest kills any still running when the test ends, so
# a failed assertion never leaves a service behind (it would keep using CPU and ports).
LIVE_SERVICES: set[ServiceProcess] = set()


class ServiceProcess:
    """`intake serve` in a subprocess on free loopback ports, as an operator would run it."""

    def __init__(self, workdir: Path, db_url: str, relay: str | None,
                 extra_env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.smtp_port = free_port()
        self.http_port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("INTAKE_", "SLACK_",
                                                                            "TELEGRAM_",
                                                                            "FACEBOOK_"))}
        self.env.update({
            "INTAKE_DB_URL": db_url,
            "INTAKE_SMTP_LISTEN": f"127.0.0.1:{self.smtp_port}",
            "INTAKE_HTTP_LISTEN": f"127.0.0.1:{self.http_port}",
            "INTAKE_WORKER_POLL_SECONDS": "0.1",
            "INTAKE_LEASE_SECONDS": "5",
            "INTAKE_RETRY_BASE_SECONDS": "0.3",
        })
        if relay:
            self.env["INTAKE_SMTP_RELAY"] = relay
        self.env.update(extra_env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / f"serve-{self.smtp_port}.log"

    def start(self, timeout: float = 60.0) -> None:
        self.proc = subprocess.Popen([INTAKE, "serve"], cwd=self.workdir, env=self.env,
                                     stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        LIVE_SERVICES.add(self)
        if not wait_until(self.healthy, timeout=timeout, step=0.2):
            self.kill()
            raise RuntimeError("intake serve did not become healthy:\n" + self.log.read_text())

    def healthy(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError("intake serve exited:\n" + self.log.read_text())
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/healthz",
                                        timeout=1) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc is None:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([INTAKE, *args], cwd=self.workdir, env=self.env,
                              capture_output=True, text=True, timeout=60)

    def cli_json(self, *args: str) -> Any:
        result = self.cli(*args)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)
