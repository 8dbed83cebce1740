"""faultbox-sdk overhead in the application's thread.

Starts `faultbox serve` in a temporary data dir (the SDK's thread really sends), then
times, in this process:

* handler, no SDK      — a plain request-handler-like function, before ``init`` (baseline)
* handler, SDK idle    — the same function with the SDK initialized (hooks, logging
                         handler, the transport's thread waiting)
* capture_exception    — one call in the app thread (frames, locals, source context,
                         scope, scrubbing, the hand-off to the queue), exception 4 frames deep
* handler + 1 capture  — the handler when every 10th call also captures, while the
                         transport delivers in the background (per call)
* sentry-sdk capture   — with ``--compare-sentry``: the same capture through sentry-sdk,
                         for scale (its transport is a background thread too)

Each figure is the median over ``--runs`` runs of that run's p50/p99.

    python benchmarks/sdk_overhead.py --calls 2000 --runs 5 [--mode envelope] [--compare-sentry]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import faultbox_sdk  # noqa: E402
from ingest import _spawn  # noqa: E402


def handler(n: int) -> int:
    """Stands in for a request: a little JSON and arithmetic (~tens of µs)."""
    order = {"id": n, "items": [{"sku": f"A-{i}", "qty": i % 3 + 1} for i in range(10)]}
    body = json.dumps(order)
    return len(body) + sum(item["qty"] for item in order["items"])


def parse_amount(raw: str) -> int:
    return int(raw)  # raises for "x"


def charge(order_id: int, raw: str) -> int:
    customer = {"id": order_id, "tier": "gold", "password": "hunter2"}  # noqa: F841
    return parse_amount(raw)


def checkout(order_id: int) -> int:
    return charge(order_id, "x")


def capture_once(n: int) -> None:
    try:
        checkout(n)
    except ValueError:
        faultbox_sdk.capture_exception()


def _times(fn: Callable[[int], object], calls: int) -> list[float]:
    out = []
    for n in range(calls):
        started = time.perf_counter()
        fn(n)
        out.append(time.perf_counter() - started)
    return out


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e6


def _exception_only(n: int) -> None:
    try:
        checkout(n)
    except ValueError:
        pass


def _mixed(n: int) -> None:
    handler(n)
    if n % 10 == 0:
        capture_once(n)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=18_766)
    parser.add_argument("--mode", choices=["native", "envelope"], default="native")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument(
        "--compare-sentry", action="store_true", help="also time sentry-sdk's capture_exception"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        proc, dsn, _token = _spawn(Path(tmp) / "data", args.port, [])
        try:
            rows: dict[str, list[tuple[float, float]]] = {}

            def record(name: str, values: list[float]) -> None:
                rows.setdefault(name, []).append((_p(values, 0.5), _p(values, 0.99)))

            for _ in range(args.runs):
                record("handler, no SDK", _times(handler, args.calls))
                record("raise + except, no SDK", _times(_exception_only, args.calls))
                faultbox_sdk.init(
                    dsn,
                    mode=args.mode,
                    buffer_dir=str(Path(tmp) / "outbox"),
                    max_queue=10_000,
                    batch_size=args.batch_size,
                )
                record("handler, SDK idle", _times(handler, args.calls))
                record("capture_exception", _times(capture_once, args.calls // 4))
                faultbox_sdk.flush(30)
                record("handler + 1 capture in 10", _times(_mixed, args.calls))
                faultbox_sdk.flush(30)
                client = faultbox_sdk.get_client()
                assert client is not None
                dropped = client.transport.dropped
                faultbox_sdk.close()
            if args.compare_sentry:
                import sentry_sdk

                for _ in range(args.runs):
                    sentry_sdk.init(dsn=dsn, default_integrations=False)

                    def sentry_capture(n: int) -> None:
                        try:
                            checkout(n)
                        except ValueError:
                            sentry_sdk.capture_exception()

                    record("sentry-sdk capture_exception", _times(sentry_capture, args.calls // 4))
                    sentry_sdk.flush(30)
                    sentry_sdk.get_client().close(timeout=5)
            print(f"faultbox-sdk overhead ({args.mode} mode, {args.runs} runs, medians)")
            print(f"{'':28} {'p50 µs':>9} {'p99 µs':>9}")
            for name, values in rows.items():
                p50 = statistics.median(v[0] for v in values)
                p99 = statistics.median(v[1] for v in values)
                print(f"{name:28} {p50:9.1f} {p99:9.1f}")
            print(f"events dropped (last run): {dropped}")
        finally:
            proc.terminate()
            proc.wait(timeout=60)


if __name__ == "__main__":
    main()
