"""Digest benchmark: events/s of the digest worker alone (no HTTP), on SQLite.

Fills an inbox with N events captured from the real sentry-sdk (see sdk_payloads.py),
spread over ``--issues`` fingerprints, a share of them (``--varied``) with a message
that no earlier event had (a customer id in it, as real messages often carry), then
times ``DigestWorker.run_once`` until the inbox is empty.  Prints events per second
of wall time and of this process's CPU time (steadier when other work shares the
machine) and the CPU calibration: this VM's core speed swings about 2x (see
docs/benchmarks.md).

    python benchmarks/digest.py --events 20000 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faultbox.digest.worker import DigestWorker  # noqa: E402
from faultbox.queue.base import Kind, NewMessage  # noqa: E402
from faultbox.queue.sqlite_inbox import SqliteInbox  # noqa: E402
from faultbox.store import migrate  # noqa: E402
from faultbox.store.accounts import ensure_team  # noqa: E402
from faultbox.store.db import open_engine, write_transaction  # noqa: E402
from faultbox.store.projects import create_project  # noqa: E402
from ingest import cpu_calibration_us  # noqa: E402
from sdk_payloads import capture  # noqa: E402


def _events(count: int, issues: int, varied: float) -> list[dict[str, object]]:
    templates = [orjson.loads(raw.split(b"\n")[2]) for raw in capture(8)]
    every = round(1 / varied) if varied > 0 else 0
    out = []
    for i in range(count):
        event = dict(templates[i % len(templates)])
        event["event_id"] = uuid.uuid4().hex
        event["fingerprint"] = [f"group-{i % issues}"]
        if every and i % every == 0:
            event["message"] = f"order {i} of customer cus_{i * 7919 % 100000} failed"
        out.append(event)
    return out


def run(count: int, issues: int, varied: float, batch: int) -> tuple[float, float]:
    """(events per wall-clock second, events per CPU second of this process)."""
    with tempfile.TemporaryDirectory(prefix="faultbox-digest-bench-") as tmp:
        engine = open_engine(f"sqlite:///{Path(tmp) / 'store.sqlite3'}")
        migrate.upgrade(engine)
        with write_transaction(engine) as conn:
            project = create_project(conn, name="bench", team_id=ensure_team(conn, "bench"))
        inbox = SqliteInbox(Path(tmp) / "queue.sqlite3", max_depth=count + 1)
        now = time.time()
        messages = [
            NewMessage(project.id, Kind.SENTRY_EVENT, str(e["event_id"]), now, orjson.dumps(e))
            for e in _events(count, issues, varied)
        ]
        for start in range(0, len(messages), 1000):
            asyncio.run(inbox.put_many(messages[start : start + 1000]))
        worker = DigestWorker(engine, inbox, batch_size=batch, max_attempts=5)
        started, cpu = time.perf_counter(), time.process_time()
        while worker.run_once():
            pass
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert worker.stats.stored == count, worker.stats
        inbox.close()
        engine.dispose()
        return count / elapsed, count / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--issues", type=int, default=200)
    parser.add_argument("--varied", type=float, default=0.25, help="share with a new message")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rates, cpu_rates = [], []
    for n in range(args.runs):
        calibration = cpu_calibration_us()
        rate, cpu_rate = run(min(args.events, 200_000), args.issues, args.varied, args.batch)
        rates.append(rate)
        cpu_rates.append(cpu_rate)
        print(
            f"run {n + 1}: {rate:,.0f} events/s, {cpu_rate:,.0f} per CPU second"
            f"  (calibration {calibration:.1f} µs)"
        )
    print(
        f"median: {statistics.median(rates):,.0f} events/s,"
        f" {statistics.median(cpu_rates):,.0f} per CPU second"
    )


if __name__ == "__main__":
    main()
