"""Stats benchmark: latency of the GET /api/v1/stats/... endpoints on a large store.

Builds (see stats_data.py) a store of 1 000 000 events / 10 000 issues in a temporary
data dir, starts `faultbox serve --no-worker` on 127.0.0.1 and, per run, sends each
endpoint 3 warm-up requests and then --requests sequential requests over one
keep-alive connection; prints p50/p95/p99 per run and the medians over the runs.
GET /healthz, measured the same way in the same run, is the HTTP floor: the ratios
make figures comparable across machines, and the CPU calibration (µs for
sum(range(1000)), ~9 fast, ~17 slow on the project's VM) says which state the
machine's cores were in.

--data-dir keeps (or reuses) the built store. (The covering events index this
benchmark asked for is migration 0006.)
Loops are bounded in count and time; traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from faultbox.store import migrate
from faultbox.store.accounts import (
    add_member,
    create_token,
    create_user,
    ensure_team,
    get_user_by_email,
)
from faultbox.store.db import open_engine, write_transaction

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stats_data import build  # noqa: E402

MAX_SECONDS_PER_ENDPOINT = 120
ENDPOINTS = [
    ("GET /healthz (baseline)", "/healthz"),
    ("summary", "/api/v1/stats/summary"),
    ("summary ?project=web", "/api/v1/stats/summary?project=web"),
    ("top", "/api/v1/stats/top"),
    ("top ?project=web", "/api/v1/stats/top?project=web"),
    ("series by=service (30d, daily)", "/api/v1/stats/series?by=service"),
    ("series by=environment ?project=web", "/api/v1/stats/series?by=environment&project=web"),
    ("series by=release (7d, hourly)", "/api/v1/stats/series?by=release&period=7d&interval=hour"),
    ("users", "/api/v1/stats/users"),
    ("users ?project=web", "/api/v1/stats/users?project=web"),
]


def cpu_calibration_us() -> float:
    import timeit

    return min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6


def prepare(data_dir: Path, n_events: int, n_issues: int) -> str:
    """A migrated store with the data set (built unless already there); returns a token."""
    db = data_dir / "faultbox.sqlite3"
    fresh = not db.exists()
    engine = open_engine(f"sqlite:///{db}")
    migrate.upgrade(engine)
    with write_transaction(engine) as conn:
        team_id = ensure_team(conn, "default", "Default")
        if fresh:
            for k in range(8):  # the triage staff the activity log names
                user = create_user(
                    conn, email=f"dev{k}@example.com", password_hash="-", is_superuser=k == 0
                )
                add_member(conn, team_id=team_id, user_id=user.id, role="owner")
        admin = get_user_by_email(conn, "dev0@example.com")
        token = create_token(conn, user_id=admin.id, scopes=["project:read", "event:read"])
    engine.dispose()
    if fresh:
        started = time.perf_counter()
        built = build(db, n_events=n_events, n_issues=n_issues, now=time.time())
        size = db.stat().st_size / 2**30
        print(
            f"built in {time.perf_counter() - started:.0f} s: {built} ({size:.2f} GiB SQLite file)"
        )
    else:
        print(f"reusing the store in {data_dir} (built relative to its own build time)")
    return token


def spawn(
    data_dir: Path, port: int, serve_args: tuple[str, ...] = ("--no-worker",)
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FAULTBOX_DATA_DIR": str(data_dir), "FAULTBOX_PORT": str(port)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "faultbox", "serve", *serve_args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("faultbox serve did not become ready within 60 s")


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest rank: with 50 samples p95 is the 48th, p99 the largest."""
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def measure(port: int, token: str, path: str, n: int) -> tuple[float, float, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}"}
    latencies = []
    deadline = time.monotonic() + MAX_SECONDS_PER_ENDPOINT
    for k in range(n + 3):
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise SystemExit(f"{path}: HTTP {response.status}: {body[:300]!r}")
        if k >= 3:  # warm-up: first compile of the statements, pools
            latencies.append(elapsed * 1000)
        if time.monotonic() > deadline and len(latencies) >= 5:
            print(f"  ({path}: stopped after {len(latencies)} requests, time bound)")
            break
    conn.close()
    latencies.sort()
    return percentile(latencies, 50), percentile(latencies, 95), percentile(latencies, 99)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--port", type=int, default=18_790)
    parser.add_argument("--data-dir", help="build into (or reuse) this dir instead of a temp one")
    args = parser.parse_args()

    tmp = None
    if args.data_dir:
        data_dir = Path(args.data_dir).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="faultbox-stats-bench-")
        data_dir = Path(tmp.name)
    proc = None
    try:
        token = prepare(data_dir, args.events, args.issues)
        proc = spawn(data_dir, args.port)
        runs: list[dict[str, tuple[float, float, float]]] = []
        for run in range(args.runs):
            calibration = cpu_calibration_us()
            results = {
                name: measure(args.port, token, path, args.requests) for name, path in ENDPOINTS
            }
            runs.append(results)
            print(f"run {run + 1} (cpu-calibration {calibration:.1f} us):")
            for name, (p50, p95, p99) in results.items():
                print(f"  {name:40s} p50 {p50:7.1f}  p95 {p95:7.1f}  p99 {p99:7.1f} ms")
        print_table(runs, args)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=60)
        if tmp is not None:
            tmp.cleanup()


def print_table(
    runs: list[dict[str, tuple[float, float, float]]], args: argparse.Namespace
) -> None:
    def med(name: str, k: int) -> float:
        return statistics.median(r[name][k] for r in runs)

    base = ENDPOINTS[0][0]
    print(
        f"\nmedians of {len(runs)} runs, {args.requests} requests each "
        f"({args.events} events, {args.issues} issues"
        "):\n"
    )
    print("| endpoint | p50 ms | p95 ms | p99 ms | p50 ÷ healthz p50 | p95 < 200 ms |")
    print("|---|---|---|---|---|---|")
    for name, _ in ENDPOINTS:
        p50, p95, p99 = med(name, 0), med(name, 1), med(name, 2)
        ratio = "1" if name == base else f"{p50 / med(base, 0):.0f}"
        ok = "" if name == base else ("yes" if p95 < 200 else "**no**")
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {p99:.1f} | {ratio} | {ok} |")


if __name__ == "__main__":
    main()
