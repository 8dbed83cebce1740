"""Scale-mode benchmark: PostgreSQL + Redis Streams, 2 ingest processes, 1/2/4 workers.

For each worker count it starts, on a fresh PostgreSQL database and a fresh Redis key
prefix, two `faultbox serve --no-worker` processes (the client spreads requests over
both, as a load balancer would) and M `faultbox worker` processes, then per run:

* burst      — N gzip'd envelopes captured from the real sentry-sdk, sent at full
               speed; accepted/s = N / time to the last 2xx, e2e/s = N / time until
               all N are queryable through the API;
* sustained  — events sent at a fixed rate (--rate, events/s) for --seconds; the
               queue lag (age of the oldest unacknowledged entry) is sampled every
               0.2 s: its median and maximum are printed;
* RSS        — peak resident memory of each serve and each worker process.

The baseline, measured in the same invocation: the embedded mode (`faultbox serve`
on SQLite, its worker as a child) with the same burst, so the ratios say what the
scale mode costs or gains on this machine.  Everything runs on this one machine
(2 cores here), together with PostgreSQL, Redis and the load generator: more workers
than cores cannot add throughput here; the figures show where the limit is.

Needs PostgreSQL (--database-url, an admin URL on which databases are created) and
Redis (--redis-url).  Loops are bounded in count and time; traffic goes to
127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from faultbox.queue.redis_streams import RedisStreams

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import _load, _rss_kb, cpu_calibration_us  # noqa: E402
from sdk_payloads import capture, with_new_event_id  # noqa: E402

MAX_SECONDS = 300
FAULTBOX = [sys.executable, "-m", "faultbox"]


@dataclass
class Figures:
    accepted_per_s: float = 0.0
    e2e_per_s: float = 0.0
    lag_p50_s: float = 0.0
    lag_max_s: float = 0.0
    sustained_backlog: int = 0
    rss_serve_mb: list[float] = field(default_factory=list)
    rss_worker_mb: list[float] = field(default_factory=list)
    errors: int = 0
    cpu_ms_per_event: dict[str, float] = field(default_factory=dict)  # by role


class Deployment:
    """The processes of one configuration, on their own data dir, database and queue."""

    def __init__(self, workers: int, admin_url: str, redis_url: str, port: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="faultbox-scale-"))
        admin = make_url(admin_url).set(drivername="postgresql+psycopg")
        self.db_name = f"faultbox_scale_{uuid.uuid4().hex[:8]}"
        self.admin = create_engine(admin, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.db_name}"'))
        self.queue_name = f"faultbox-scale-{uuid.uuid4().hex[:8]}"
        self.redis_url = redis_url
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("FAULTBOX_")},
            "FAULTBOX_DATA_DIR": str(self.dir),
            "FAULTBOX_DATABASE_URL": admin.set(database=self.db_name).render_as_string(False),
            "FAULTBOX_QUEUE_URL": redis_url,
            "FAULTBOX_QUEUE_NAME": self.queue_name,
            "FAULTBOX_LOG_LEVEL": "warning",
        }
        self.serves: list[subprocess.Popen[bytes]] = []
        self.workers: list[subprocess.Popen[bytes]] = []
        try:
            self._start(workers, port)
        except BaseException:
            self.close()  # no process outlives a failed start
            raise

    def _start(self, workers: int, port: int) -> None:
        for busy in (port, port + 1):
            _assert_free(busy)
        subprocess.run([*FAULTBOX, "migrate"], env=self.env, check=True, capture_output=True)
        self.ports = [port, port + 1]
        self.serves = [
            self._spawn(["serve", "--no-worker"], {"FAULTBOX_PORT": str(p)}) for p in self.ports
        ]
        for p in self.ports:
            _wait_ready(p)
        self.workers = [self._spawn(["worker"], {}) for _ in range(workers)]
        self.urls = [f"http://127.0.0.1:{p}" for p in self.ports]
        self.dsn, self.token = _project(self.env, self.urls[0])

    def _spawn(self, args: list[str], extra: dict[str, str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [*FAULTBOX, *args],
            env=self.env | extra,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def queue(self) -> RedisStreams:
        return RedisStreams(
            self.redis_url, name=self.queue_name, shards=4, max_depth=10**9, claim_idle_seconds=30
        )

    def close(self) -> None:
        for proc in [*self.serves, *self.workers]:
            proc.terminate()
        for proc in [*self.serves, *self.workers]:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
        self.admin.dispose()
        client = redis.Redis.from_url(self.redis_url)
        keys = list(client.scan_iter(f"{self.queue_name}:*"))
        if keys:
            client.delete(*keys)
        client.close()


class Embedded:
    """The baseline: one `faultbox serve` on SQLite, its digest worker a child process."""

    def __init__(self, port: int) -> None:
        _assert_free(port)
        self.dir = Path(tempfile.mkdtemp(prefix="faultbox-scale-base-"))
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("FAULTBOX_")},
            "FAULTBOX_DATA_DIR": str(self.dir),
            "FAULTBOX_PORT": str(port),
            "FAULTBOX_LOG_LEVEL": "warning",
        }
        self.serves = [
            subprocess.Popen(
                [*FAULTBOX, "serve"],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        ]
        self.workers: list[subprocess.Popen[bytes]] = []
        _wait_ready(port)
        self.urls = [f"http://127.0.0.1:{port}"]
        self.dsn, self.token = _project(self.env, self.urls[0])

    def close(self) -> None:
        self.serves[0].terminate()
        self.serves[0].wait(timeout=60)


def _assert_free(port: int) -> None:
    import socket

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is in use (a server left over?): pick --port")


def _wait_ready(port: int) -> None:
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"faultbox on port {port} did not become ready")


def _cli_json(env: dict[str, str], *args: str) -> dict[str, str]:
    out = subprocess.run([*FAULTBOX, *args, "--json"], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"faultbox {' '.join(args)} failed: {out.stderr.strip()}")
    return dict(orjson.loads(out.stdout))


def _project(env: dict[str, str], url: str) -> tuple[str, str]:
    dsn = _cli_json(env, "project", "dsn", "demo")["dsn"]
    token = _cli_json(env, "token", "create", "--email", "admin@faultbox.local")["token"]
    # A load test is a spike by design: the project's spike cap would refuse most of it.
    request = urllib.request.Request(
        f"{url}/api/v1/projects/demo/protection",
        data=orjson.dumps({"spike_protection": False}),
        method="PATCH",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).read()
    return dsn, token


def _event_count(url: str, token: str) -> int:
    request = urllib.request.Request(
        f"{url}/api/v1/projects/demo", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(orjson.loads(response.read())["event_count"])


def _headers(dsn: str) -> tuple[str, dict[str, str]]:
    key = urlsplit(dsn).username or ""
    project_id = urlsplit(dsn).path.strip("/").split("/")[-1]
    return f"/api/{project_id}/envelope/", {
        "Content-Type": "application/x-sentry-envelope",
        "Content-Encoding": "gzip",
        "X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7",
    }


def _peak_rss(setup: Deployment | Embedded, peaks: dict[int, float]) -> None:
    for proc in [*setup.serves, *setup.workers]:
        pids = [proc.pid, *_children(proc.pid)]
        peaks[proc.pid] = max(peaks.get(proc.pid, 0.0), sum(_rss_kb(p) for p in pids) / 1024)


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _by_name(name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def cpu_by_role(setup: Deployment | Embedded) -> dict[str, float]:
    """CPU seconds used so far by each role: the HTTP processes, the digest workers
    (serve's worker child in the embedded mode), PostgreSQL, Redis, this load generator."""
    serves = [p.pid for p in setup.serves]
    workers = [p.pid for p in setup.workers] + [c for s in serves for c in _children(s)]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "serve": sum(_cpu_seconds(p) for p in serves),
        "worker": sum(_cpu_seconds(p) for p in workers),
        "postgres": sum(_cpu_seconds(p) for p in _by_name("postgres")),
        "redis": sum(_cpu_seconds(p) for p in _by_name("redis-server")),
        "client": usage.ru_utime + usage.ru_stime,
    }


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def burst(
    setup: Deployment | Embedded, n: int, concurrency: int, templates: list[bytes]
) -> Figures:
    path, headers = _headers(setup.dsn)
    bodies = [with_new_event_id(templates[i % len(templates)])[1] for i in range(n)]
    before = _event_count(setup.urls[0], setup.token)
    peaks: dict[int, float] = {}
    share = len(setup.urls)
    cpu_before = cpu_by_role(setup)

    async def main() -> tuple[float, float, int]:
        done = asyncio.Event()

        async def sample() -> None:
            while not done.is_set():
                _peak_rss(setup, peaks)
                await asyncio.sleep(0.2)

        sampler = asyncio.create_task(sample())
        t0 = time.perf_counter()
        # The client is the load balancer: each server gets its share of the requests.
        results = await asyncio.gather(
            *(
                _load(url, path, headers, bodies[k::share], max(1, concurrency // share))
                for k, url in enumerate(setup.urls)
            )
        )
        accepted = time.perf_counter() - t0
        errors = sum(r[2] for r in results)
        while time.perf_counter() - t0 < MAX_SECONDS:
            count = await asyncio.to_thread(_event_count, setup.urls[0], setup.token)
            if count >= before + n - errors:
                break
            await asyncio.sleep(0.1)
        e2e = time.perf_counter() - t0
        done.set()
        await sampler
        return accepted, e2e, errors

    accepted, e2e, errors = asyncio.run(main())
    cpu_after = cpu_by_role(setup)
    serve_pids = {p.pid for p in setup.serves}
    return Figures(
        cpu_ms_per_event={
            role: (cpu_after[role] - cpu_before[role]) * 1000 / n for role in cpu_after
        },
        accepted_per_s=n / accepted,
        e2e_per_s=n / e2e,
        rss_serve_mb=[v for pid, v in peaks.items() if pid in serve_pids],
        rss_worker_mb=[v for pid, v in peaks.items() if pid not in serve_pids],
        errors=errors,
    )


def sustained(setup: Deployment, rate: int, seconds: float, templates: list[bytes]) -> Figures:
    """A steady rate, in 0.1 s ticks; the lag is sampled from Redis every 0.2 s."""
    path, headers = _headers(setup.dsn)
    queue = setup.queue()
    lags: list[float] = []
    per_tick = max(1, rate // 10)
    sent = 0

    async def main() -> int:
        nonlocal sent
        errors = 0
        t0 = time.perf_counter()
        next_sample = t0
        tick = 0
        while time.perf_counter() - t0 < seconds:
            bodies = [
                with_new_event_id(templates[(sent + i) % len(templates)])[1]
                for i in range(per_tick)
            ]
            url = setup.urls[tick % len(setup.urls)]
            _, _, failed = await _load(url, path, headers, bodies, min(8, per_tick))
            errors += failed
            sent += per_tick
            tick += 1
            now = time.perf_counter()
            if now >= next_sample:
                lags.append(await asyncio.to_thread(queue.oldest_age_seconds))
                next_sample = now + 0.2
            await asyncio.sleep(max(0.0, t0 + tick * 0.1 - time.perf_counter()))
        return errors

    errors = asyncio.run(main())
    backlog = queue.exact_depth()
    queue.close()
    return Figures(
        lag_p50_s=statistics.median(lags) if lags else 0.0,
        lag_max_s=max(lags) if lags else 0.0,
        sustained_backlog=backlog,
        errors=errors,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=6000, help="events per burst run")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", default="1,2,4", help="worker counts to measure")
    parser.add_argument("--rate", type=int, default=400, help="sustained load, events/s")
    parser.add_argument("--seconds", type=float, default=15.0, help="sustained load duration")
    parser.add_argument("--port", type=int, default=18_865)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "FAULTBOX_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("FAULTBOX_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    args = parser.parse_args()
    templates = capture()
    print(f"cpu calibration: {cpu_calibration_us():.1f} µs (sum(range(1000)))", flush=True)

    base: list[Figures] = []
    embedded = Embedded(args.port + 10)
    try:
        burst(embedded, 500, args.concurrency, templates)  # warm-up
        for run in range(args.runs):
            base.append(burst(embedded, args.events, args.concurrency, templates))
            print(f"embedded run {run + 1}: {_line(base[-1])}", flush=True)
    finally:
        embedded.close()
    base_e2e = statistics.median(f.e2e_per_s for f in base)
    base_accept = statistics.median(f.accepted_per_s for f in base)
    print(
        f"embedded (SQLite, 1 process + worker child): e2e {base_e2e:.0f}/s, "
        f"accepted {base_accept:.0f}/s (medians of {args.runs})\n",
        flush=True,
    )

    rows = []
    for workers in [int(w) for w in args.workers.split(",")]:
        deployment = Deployment(workers, args.database_url, args.redis_url, args.port)
        try:
            burst(deployment, 500, args.concurrency, templates)  # warm-up
            runs = []
            for run in range(args.runs):
                runs.append(burst(deployment, args.events, args.concurrency, templates))
                print(f"{workers} worker(s) run {run + 1}: {_line(runs[-1])}", flush=True)
            steady = sustained(deployment, args.rate, args.seconds, templates)
            print(
                f"{workers} worker(s) sustained {args.rate}/s for {args.seconds:.0f} s: "
                f"lag p50 {steady.lag_p50_s:.2f} s, max {steady.lag_max_s:.2f} s, "
                f"backlog at the end {steady.sustained_backlog}, errors {steady.errors}",
                flush=True,
            )
        finally:
            deployment.close()
        rows.append((workers, runs, steady))

    roles = ["serve", "worker", "postgres", "redis", "client"]
    print(
        "\nCPU ms per event by role (medians of the bursts; PostgreSQL and Redis: all "
        "their processes on this machine)"
    )
    print("| setup | " + " | ".join(roles) + " | total |")
    print("|---|" + "---|" * (len(roles) + 1))
    for label, runs in [("embedded", base)] + [(f"{w} worker(s)", r) for w, r, _ in rows]:
        cells = [statistics.median(f.cpu_ms_per_event[role] for f in runs) for role in roles]
        print(f"| {label} | " + " | ".join(f"{c:.2f}" for c in cells) + f" | {sum(cells):.2f} |")

    print(
        f"\n2 ingest processes, PostgreSQL + Redis; medians of {args.runs} bursts of "
        f"{args.events}; ratio = e2e / embedded e2e in this invocation"
    )
    print(
        "| workers | accepted/s | e2e/s | ratio | lag p50 / max at "
        f"{args.rate}/s | RSS serve (each) | RSS worker (each) |"
    )
    print("|---|---|---|---|---|---|---|")
    for workers, runs, steady in rows:
        e2e = statistics.median(f.e2e_per_s for f in runs)
        accepted = statistics.median(f.accepted_per_s for f in runs)
        serve = statistics.median(v for f in runs for v in f.rss_serve_mb)
        worker = statistics.median(v for f in runs for v in f.rss_worker_mb)
        print(
            f"| {workers} | {accepted:.0f} | {e2e:.0f} | {e2e / base_e2e:.2f} | "
            f"{steady.lag_p50_s:.2f} s / {steady.lag_max_s:.2f} s | {serve:.0f} MB | "
            f"{worker:.0f} MB |"
        )


def _line(f: Figures) -> str:
    serve = "/".join(f"{v:.0f}" for v in f.rss_serve_mb)
    worker = "/".join(f"{v:.0f}" for v in f.rss_worker_mb)
    return (
        f"accepted {f.accepted_per_s:.0f}/s, e2e {f.e2e_per_s:.0f}/s, errors {f.errors}, "
        f"RSS serve {serve} MB, workers {worker or '-'} MB"
    )


if __name__ == "__main__":
    main()
