"""The `intake` command line as scripts use it: help, exit codes, batch triage errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import INTAKE

COMMANDS = [["serve"], ["triage"], ["eval"], ["train"], ["cases"], ["cases", "list"],
            ["cases", "show"], ["migrate"], ["requeue"], ["status"]]


def run(*args: str, stdin: str | None = None, cwd: Path | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([INTAKE, *args], input=stdin, capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_everywhere(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout


def test_usage_error_exits_2() -> None:
    assert run("no-such-command").returncode == 2
    assert run("triage", "--policy").returncode == 2


def line(ident: str, **overrides: object) -> str:
    record: dict[str, object] = {"id": ident, "channel": "email", "public": False,
                                 "received_at": "2026-11-02T08:14:00Z", "subject": None,
                                 "sender": None, "gold": {"route": "complaint"},
                                 "text": "The repairs team missed three appointments and my "
                                         "heating is still broken. I want compensation."}
    record.update(overrides)
    return json.dumps(record)


def test_batch_triage_keeps_order_and_reports_bad_lines() -> None:
    good = [line(f"g{i}") for i in range(3)]
    bad = [
        line("empty", text="   "),
        line("nochan", channel="fax"),
        line("wrongtype", public="yes"),
        line("baddate", received_at="yesterday"),
        json.dumps({"channel": "email"}),
        "{not json",
    ]
    missing = json.loads(line("missing"))
    del missing["text"]
    stdin = "\n".join([good[0], *bad, json.dumps(missing), good[1], good[2]]) + "\n"
    result = run("triage", stdin=stdin)
    assert result.returncode == 1
    outputs = [json.loads(x) for x in result.stdout.splitlines()]
    assert [o["id"] for o in outputs] == ["g0", "g1", "g2"]
    for out in outputs:
        assert set(out) == {"id", "route", "confidence", "flags", "pii", "incident_date",
                            "needs_review", "reasons"}
        assert 0.0 <= out["confidence"] <= 1.0
    err = result.stderr
    for expected in ("empty: field 'text'", "nochan: field 'channel'", "wrongtype: field 'public'",
                     "baddate: field 'received_at'", "field 'id'", "not valid JSON",
                     "missing: field 'text'"):
        assert expected in err, (expected, err)


def test_triage_reads_a_file_and_unknown_policy_fails(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(line("f1") + "\n")
    result = run("triage", str(path))
    assert result.returncode == 0 and json.loads(result.stdout)["id"] == "f1"
    bad = run("triage", str(path), "--policy", "nonesuch")
    assert bad.returncode == 1 and "nonesuch" in bad.stderr


def test_cases_show_unknown_ref(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "INTAKE_DB_URL": f"sqlite:///{tmp_path / 'c.sqlite3'}"}
    result = run("cases", "show", "CMP-2026-99999", env=env)
    assert result.returncode == 1 and "CMP-2026-99999" in result.stderr
    listing = run("cases", "list", "--json", env=env)
    assert listing.returncode == 0 and json.loads(listing.stdout) == []
