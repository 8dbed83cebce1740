"""Alert latency benchmark: from an event's arrival to its notification's delivery.

Starts ``faultbox serve`` (embedded mode: SQLite, the digest and the alert runner in
the supervised worker process) on 127.0.0.1, creates a Slack channel pointing at a
local receiver and a new-issue rule through the API, then sends events that each open
a new issue, one every ``--interval`` seconds, and measures, per event:

- ``ingest``: the envelope POST's round trip (the baseline: the event is acknowledged);
- ``delivery``: from just before the POST to the moment the receiver has the message
  (arrival → queue → digest → rule → outbox → Slack).

Prints p50/p95/p99/max per run and the medians over runs, plus delivery p95 as a
multiple of the ingest p50 measured in the same run.

    python benchmarks/alert_latency.py --runs 3 --events 100
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stats import percentile, spawn  # noqa: E402


class Receiver:
    """A Slack incoming webhook stand-in that notes when each message arrives."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                at = time.monotonic()
                text = json.loads(body).get("text", "")
                with receiver.lock:
                    for marker in text.split():
                        if marker.startswith("bench-"):
                            receiver.arrived.setdefault(marker.strip(":'\""), at)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T0/B0/bench"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _cli(data_dir: Path, *args: str) -> Any:
    env = {**os.environ, "FAULTBOX_DATA_DIR": str(data_dir)}
    out = subprocess.run(
        [sys.executable, "-m", "faultbox", *args, "--json"],
        env=env,
        capture_output=True,
        check=True,
    )
    return orjson.loads(out.stdout)


def run(port: int, events: int, interval: float) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="faultbox-alert-bench-") as tmp:
        data_dir = Path(tmp)
        proc = spawn(data_dir, port, serve_args=())  # with its worker process
        try:
            return _measure(data_dir, port, events, interval)
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def _measure(data_dir: Path, port: int, events: int, interval: float) -> dict[str, list[float]]:
    base = f"http://127.0.0.1:{port}"
    dsn = _cli(data_dir, "project", "dsn", "demo")["dsn"]
    public_key = dsn.split("//", 1)[1].split("@", 1)[0]
    project_id = dsn.rsplit("/", 1)[1]
    token = _cli(data_dir, "token", "create", "--email", "admin@faultbox.local")["token"]
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    receiver = Receiver()
    made = api.post(
        "/api/v1/projects/demo/alert-channels",
        json={
            "name": "bench",
            "kind": "slack",
            "role": "chat",
            "secrets": {"webhook_url": receiver.url},
            "storm_limit": 100_000,
            "storm_window_seconds": 60,
        },
    )
    made.raise_for_status()
    api.post(
        "/api/v1/projects/demo/alert-rules",
        json={"name": "new", "condition": "new_issue", "severity": "P2"},
    ).raise_for_status()
    ingest = httpx.Client(base_url=base, timeout=10)
    auth = {"X-Sentry-Auth": f"Sentry sentry_key={public_key}, sentry_version=7"}
    sent: dict[str, float] = {}
    ingest_ms: list[float] = []
    for _ in range(events):
        marker = f"bench-{uuid.uuid4().hex[:12]}"
        event = {
            "message": f"{marker} failed",
            "level": "error",
            "platform": "python",
            "fingerprint": [marker],
        }
        body = b"\n".join([b"{}", b'{"type":"event"}', orjson.dumps(event)])
        start = time.monotonic()
        answer = ingest.post(f"/api/{project_id}/envelope/", content=body, headers=auth)
        ingest_ms.append((time.monotonic() - start) * 1000)
        answer.raise_for_status()
        sent[marker] = start
        time.sleep(interval)
    deadline = time.monotonic() + 60
    while len(receiver.arrived) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.05)
    missing = len(sent) - len(receiver.arrived)
    if missing:
        print(f"  warning: {missing} notifications did not arrive within 60 s")
    delivery_ms = [
        (receiver.arrived[m] - t) * 1000 for m, t in sent.items() if m in receiver.arrived
    ]
    receiver.server.shutdown()
    return {"ingest": ingest_ms, "delivery": delivery_ms}


def summary(values: list[float]) -> tuple[float, float, float, float]:
    ordered = sorted(values)
    return (
        percentile(ordered, 50),
        percentile(ordered, 95),
        percentile(ordered, 99),
        ordered[-1],
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between events")
    parser.add_argument("--port", type=int, default=18_792)
    args = parser.parse_args()
    figures: list[dict[str, tuple[float, float, float, float]]] = []
    for number in range(args.runs):
        measured = run(args.port, args.events, args.interval)
        figures.append({k: summary(v) for k, v in measured.items()})
        ingest, delivery = figures[-1]["ingest"], figures[-1]["delivery"]
        print(
            f"run {number + 1}: delivery p50 {delivery[0]:.0f} p95 {delivery[1]:.0f} "
            f"p99 {delivery[2]:.0f} max {delivery[3]:.0f} ms; ingest p50 {ingest[0]:.1f} ms "
            f"({len(measured['delivery'])}/{args.events} delivered)"
        )

    def med(kind: str, k: int) -> float:
        return statistics.median(f[kind][k] for f in figures)

    print(f"\nmedians of {args.runs} runs, {args.events} events each, one every {args.interval} s:")
    print("| measure | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|")
    for kind in ("ingest", "delivery"):
        print(f"| {kind} | " + " | ".join(f"{med(kind, k):.1f}" for k in range(4)) + " |")
    print(f"delivery p95 = {med('delivery', 1) / med('ingest', 0):.0f}x the ingest p50")


if __name__ == "__main__":
    main()
