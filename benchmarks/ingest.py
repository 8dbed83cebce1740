"""Ingest benchmark: accepted events/s, end-to-end digested events/s, latency, RSS.

Starts `faultbox serve` in a temporary data dir (or uses --url with --token and
--dsn), sends N gzip'd envelopes captured from the real sentry-sdk at a given
concurrency over keep-alive connections, and reports:

* accepted/s   — N / time until the last 2xx
* e2e/s        — N / time until all N events are queryable through the API
* p50/p99      — per-request accept latency
* RSS          — peak resident memory of the server process (sampled)
* baseline     — GET /healthz requests/s at the same concurrency: the HTTP floor,
                 so the ratio accepted/baseline is comparable across machines

Loops are bounded in count and time; traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sdk_payloads import capture, with_new_event_id  # noqa: E402

MAX_SECONDS = 300


def cpu_calibration_us() -> float:
    """µs for sum(range(1000)): this VM's core speed swings ~2x over minutes, so
    every run prints it next to its figures."""
    import timeit

    return min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6


@dataclass
class RunResult:
    accepted_per_s: float
    e2e_per_s: float
    p50_ms: float
    p99_ms: float
    rss_mb: float
    baseline_per_s: float
    errors: int
    calibration_us: float


class Conn:
    """A minimal HTTP/1.1 keep-alive client: the load generator must be cheap, it
    shares the machine's two cores with the server."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Content-Length: {len(body)}",
        ]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        data = await self.reader.readexactly(length) if length else b""
        return status, data

    def close(self) -> None:
        self.writer.close()


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def rss_mb(pid: int) -> float:
    """Resident memory of the server and its worker process(es) together."""
    pids = [pid, *_children(pid)]
    return sum(_rss_kb(p) for p in pids) / 1024


async def _load(
    url: str, path: str, headers: dict[str, str], bodies: list[bytes], concurrency: int
) -> tuple[float, list[float], int]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    latencies: list[float] = []
    errors = 0
    queue_index = 0
    start = time.perf_counter()
    deadline = start + MAX_SECONDS

    async def worker() -> None:
        nonlocal queue_index, errors
        conn = Conn(host, port)
        await conn.open()
        while queue_index < len(bodies) and time.perf_counter() < deadline:
            body = bodies[queue_index]
            queue_index += 1
            t0 = time.perf_counter()
            status, _ = await conn.request("POST" if body else "GET", path, headers, body)
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                errors += 1
        conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start, latencies, errors


def _event_count(url: str, token: str, project: str) -> int:
    import urllib.request

    req = urllib.request.Request(
        f"{url}/api/v1/projects/{project}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(req, timeout=10) as response:
        return int(orjson.loads(response.read())["event_count"])


def idle_latency_ms(url: str, dsn: str, token: str, template: bytes, samples: int = 20) -> float:
    """Median time from sending one event to an idle server until the API returns it."""
    import urllib.request

    key = urlsplit(dsn).username or ""
    project_id = urlsplit(dsn).path.strip("/").split("/")[-1]
    times = []
    for _ in range(samples):
        event_id, body = with_new_event_id(template)
        request = urllib.request.Request(
            f"{url}/api/{project_id}/envelope/",
            data=body,
            headers={
                "Content-Encoding": "gzip",
                "X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7",
            },
        )
        started = time.perf_counter()
        urllib.request.urlopen(request, timeout=10).read()
        lookup = urllib.request.Request(
            f"{url}/api/v1/events/{event_id}", headers={"Authorization": f"Bearer {token}"}
        )
        while time.perf_counter() - started < 10:
            try:
                urllib.request.urlopen(lookup, timeout=10).read()
                break
            except OSError:  # 404 until digested
                time.sleep(0.005)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def run_once(
    url: str,
    dsn: str,
    token: str,
    project: str,
    pid: int | None,
    n: int,
    concurrency: int,
    templates: list[bytes],
) -> RunResult:
    key = urlsplit(dsn).username or ""
    project_id = urlsplit(dsn).path.strip("/").split("/")[-1]
    bodies = [with_new_event_id(templates[i % len(templates)])[1] for i in range(n)]
    before = _event_count(url, token, project)
    headers = {
        "Content-Type": "application/x-sentry-envelope",
        "Content-Encoding": "gzip",
        "X-Sentry-Auth": (
            f"Sentry sentry_key={key}, sentry_version=7, sentry_client=sentry.python/2.75.0"
        ),
    }
    peak = [0.0]
    stop = [False]

    async def sample_rss() -> None:
        while not stop[0] and pid:
            peak[0] = max(peak[0], rss_mb(pid))
            await asyncio.sleep(0.1)

    async def main() -> tuple[float, list[float], int, float]:
        sampler = asyncio.create_task(sample_rss())
        t0 = time.perf_counter()
        elapsed, latencies, errors = await _load(
            url, f"/api/{project_id}/envelope/", headers, bodies, concurrency
        )
        target = before + n - errors
        while time.perf_counter() - t0 < MAX_SECONDS:
            if await asyncio.to_thread(_event_count, url, token, project) >= target:
                break
            await asyncio.sleep(0.1)
        e2e = time.perf_counter() - t0
        stop[0] = True
        await sampler
        return elapsed, latencies, errors, e2e

    calibration = cpu_calibration_us()
    elapsed, latencies, errors, e2e = asyncio.run(main())
    latencies.sort()
    base_elapsed, _, _ = asyncio.run(_load(url, "/healthz", {}, [b""] * n, concurrency))
    return RunResult(
        accepted_per_s=n / elapsed,
        e2e_per_s=n / e2e,
        p50_ms=latencies[len(latencies) // 2] * 1000,
        p99_ms=latencies[int(len(latencies) * 0.99) - 1] * 1000,
        rss_mb=peak[0],
        baseline_per_s=n / base_elapsed,
        errors=errors,
        calibration_us=calibration,
    )


def _spawn(
    data_dir: Path, port: int, serve_args: list[str]
) -> tuple[subprocess.Popen[bytes], str, str]:
    env = {
        **os.environ,
        "FAULTBOX_DATA_DIR": str(data_dir),
        "FAULTBOX_PORT": str(port),
        # A load test is a spike by design: the default spike cap would refuse most of it.
        "FAULTBOX_SPIKE_FLOOR_PER_MINUTE": "100000000",
    }
    faultbox = [sys.executable, "-m", "faultbox"]
    proc = subprocess.Popen(
        [*faultbox, "serve", *serve_args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import urllib.request

    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    out = subprocess.run(
        [*faultbox, "project", "dsn", "demo", "--json"], env=env, capture_output=True, check=True
    )
    dsn = orjson.loads(out.stdout)["dsn"].replace(":8000/", f":{port}/")
    out = subprocess.run(
        [*faultbox, "token", "create", "--email", "admin@faultbox.local", "--json"],
        env=env,
        capture_output=True,
        check=True,
    )
    return proc, dsn, orjson.loads(out.stdout)["token"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=18_765)
    parser.add_argument("--url", help="use a running server instead of spawning one")
    parser.add_argument("--dsn")
    parser.add_argument("--token")
    parser.add_argument("--project", default="demo")
    parser.add_argument("--pid", type=int, help="server pid for RSS sampling (with --url)")
    parser.add_argument(
        "--serve-arg", action="append", default=[], help="extra `faultbox serve` argument"
    )
    args = parser.parse_args()

    templates = capture(8)
    raw_sizes = [len(t) for t in templates]
    gz_sizes = [len(with_new_event_id(t)[1]) for t in templates]
    print(
        f"payload: {len(templates)} sentry-sdk envelopes, "
        f"{statistics.mean(raw_sizes) / 1024:.1f} KB raw, "
        f"{statistics.mean(gz_sizes) / 1024:.1f} KB gzip'd"
    )
    tmp = None
    proc = None
    if args.url:
        url, dsn, token, pid = args.url, args.dsn, args.token, args.pid
    else:
        tmp = tempfile.TemporaryDirectory(prefix="faultbox-bench-")
        proc, dsn, token = _spawn(Path(tmp.name) / "data", args.port, args.serve_arg)
        url, pid = f"http://127.0.0.1:{args.port}", proc.pid
    try:
        latency = idle_latency_ms(url, dsn, token, templates[0])
        print(
            f"idle server: an event is queryable {latency:.0f} ms after it is sent (median of 20)"
        )
        results = []
        for run in range(args.runs):
            r = run_once(
                url, dsn, token, args.project, pid, args.events, args.concurrency, templates
            )
            results.append(r)
            print(
                f"run {run + 1}: accepted {r.accepted_per_s:7.0f}/s  e2e {r.e2e_per_s:7.0f}/s  "
                f"p50 {r.p50_ms:6.1f} ms  p99 {r.p99_ms:6.1f} ms  RSS {r.rss_mb:6.0f} MB  "
                f"healthz {r.baseline_per_s:7.0f}/s  errors {r.errors}  "
                f"cpu-calibration {r.calibration_us:.1f} us"
            )
        med = {
            f: statistics.median(getattr(r, f) for r in results)
            for f in RunResult.__dataclass_fields__
        }
        print(
            f"median of {args.runs} (events={args.events}, concurrency={args.concurrency}): "
            f"accepted {med['accepted_per_s']:.0f}/s, e2e {med['e2e_per_s']:.0f}/s, "
            f"p50 {med['p50_ms']:.1f} ms, p99 {med['p99_ms']:.1f} ms, "
            f"peak RSS {med['rss_mb']:.0f} MB; "
            f"accepted/healthz {med['accepted_per_s'] / med['baseline_per_s']:.2f}, "
            f"e2e/healthz {med['e2e_per_s'] / med['baseline_per_s']:.2f}, "
            f"cpu-calibration {med['calibration_us']:.1f} us (9-10 = fast state)"
        )
        if pid and tmp is not None:
            db = Path(tmp.name) / "data" / "faultbox.sqlite3"
            size = db.stat().st_size + sum(
                p.stat().st_size for p in db.parent.glob("faultbox.sqlite3-*")
            )
            total = args.events * args.runs
            print(
                f"storage: {size / total:.0f} bytes per event "
                f"(SQLite file incl. WAL, {total} events)"
            )
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=60)
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
