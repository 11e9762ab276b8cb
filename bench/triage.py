"""Benchmark the triage engine on one core: throughput, latency, start-up time, peak memory.

    .venv/bin/python bench/triage.py [--runs 3] [--limit 3000] [FILES...]

Messages are the labelled lines shipped in triage/data/labelled/ (a few thousand realistic
messages of every channel), or the given JSON Lines files. Everything includes personal-data
detection, because `triage_message` does it. The process is pinned to one CPU and the maths
libraries to one thread before they are imported. Figures are medians over `--runs` runs:
- batch: `triage_batch` over all messages in chunks of 256 (how `intake triage` can run);
- single: `triage_message` once per message, giving p50/p99 latency per message;
- start-up: a fresh interpreter importing triage, loading the model and triaging one message,
  and the wall clock of a whole `intake triage` process on one line;
- peak memory: maximum resident set size of this process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_STARTUP = """
import time
t = time.perf_counter()
from datetime import datetime, timezone
from intake.profiles import load_profile
from models import Channel, InboundMessage
from triage import triage_message
profile = load_profile("hos-2024")
triage_message(InboundMessage(channel=Channel.EMAIL, external_id="x",
    received_at=datetime.now(timezone.utc), text="The boiler is broken again."), profile)
print(time.perf_counter() - t)
"""


def _messages(paths: list[Path], limit: int) -> list[object]:
    from datetime import datetime

    from models import Channel, InboundMessage

    out: list[object] = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            out.append(InboundMessage(
                channel=Channel(record.get("channel", "email")),
                external_id=str(record["id"]),
                received_at=datetime.fromisoformat(record["received_at"].replace("Z", "+00:00")),
                text=record.get("text") or "",
                subject=record.get("subject"),
                public=bool(record.get("public", False)),
            ))
    return out[:limit]


def _startup_seconds() -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", _STARTUP], capture_output=True, text=True,
                          check=True, env=env, cwd=str(ROOT))
    return float(done.stdout.strip().splitlines()[-1])


def _cli_startup_seconds() -> float:
    """Wall clock of `intake triage` on one line: what an operator waits for."""
    line = json.dumps({"id": "s1", "channel": "email", "public": False,
                       "received_at": "2026-11-02T09:00:00Z", "subject": None, "sender": None,
                       "text": "The boiler is broken again."})
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "intake.cli", "triage"], input=line + "\n",
                   capture_output=True, text=True, check=True, env=env, cwd=str(ROOT))
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one block of figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=3000)
    args = parser.parse_args(argv)
    paths = args.files or sorted((ROOT / "triage" / "data" / "labelled").glob("*.jsonl"))

    startups = [_startup_seconds() for _ in range(args.runs)]
    cli_startups = [_cli_startup_seconds() for _ in range(args.runs)]

    from intake.profiles import load_profile
    from triage.api import triage_batch, triage_message
    from triage.store import load_model

    profile = load_profile("hos-2024")
    messages = _messages(paths, args.limit)
    if not messages:
        print("no messages to benchmark", file=sys.stderr)
        return 1
    model = load_model()
    triage_batch(messages[:50], profile)  # warm caches (lemmas, matchers) outside the timing

    batch_rates: list[float] = []
    single_rates: list[float] = []
    p50s: list[float] = []
    p99s: list[float] = []
    for _ in range(args.runs):
        started = time.perf_counter()
        for start in range(0, len(messages), 256):
            triage_batch(messages[start : start + 256], profile)  # type: ignore[arg-type]
        batch_rates.append(len(messages) / (time.perf_counter() - started))
        latencies: list[float] = []
        started = time.perf_counter()
        for message in messages:
            t0 = time.perf_counter()
            triage_message(message, profile)  # type: ignore[arg-type]
            latencies.append((time.perf_counter() - t0) * 1000.0)
        single_rates.append(len(messages) / (time.perf_counter() - started))
        latencies.sort()
        p50s.append(latencies[len(latencies) // 2])
        p99s.append(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))])

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"triage benchmark: {len(messages)} messages, {args.runs} runs, one core, "
          f"model {model.version if model else 'none (rules only)'}, PII detection included")
    print(f"  batch throughput        {statistics.median(batch_rates):8.0f} messages/s")
    print(f"  one-by-one throughput   {statistics.median(single_rates):8.0f} messages/s")
    print(f"  latency per message     p50 {statistics.median(p50s):.2f} ms   "
          f"p99 {statistics.median(p99s):.2f} ms")
    print(f"  start-up (cold, to first result) {statistics.median(startups):.2f} s")
    print(f"  `intake triage` on one line, wall clock {statistics.median(cli_startups):.2f} s")
    print(f"  peak memory (RSS)       {peak_mb:8.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
