"""Private PostgreSQL and Redis servers, fresh databases, and a bounded event sender for
the scale mode's fault tests (a test that restarts a server must own it)."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import redis_test_url
from tests.support import free_port, wait_for


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new database on the test PostgreSQL server, dropped afterwards."""
    admin = make_url(os.environ["FAULTBOX_TEST_DATABASE_URL"]).set(drivername="postgresql+psycopg")
    name = f"faultbox_e2e_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@contextmanager
def queue_name() -> Iterator[str]:
    """A key prefix of our own on the shared test Redis, deleted afterwards."""
    name = f"faultbox-e2e-{uuid.uuid4().hex[:10]}"
    yield name
    client = redis.Redis.from_url(redis_test_url())
    keys = list(client.scan_iter(f"{name}:*"))
    if keys:
        client.delete(*keys)
    client.close()


class PrivateRedis:
    """A redis-server of this test's own, persisting every write (appendfsync always),
    as the deployment guide asks: what ingest acknowledged survives its restart."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is missing: scripts/test.sh installs it"
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir)]
            + ["--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        wait_for(lambda: _pings(client), timeout=15, interval=0.1)
        client.close()

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class PrivatePostgres:
    """A PostgreSQL cluster of this test's own (Debian's binaries), to stop and start."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        assert found, "PostgreSQL's server binaries are missing: scripts/test.sh installs them"
        self.bin = Path(found[-1]).parent
        # Not under pytest's tmp_path: the postgres user cannot enter root's 0700 folders.
        self.dir = Path(tempfile.mkdtemp(prefix="faultbox-pg-"))
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.dir, "postgres")
        self._as_pg(f"{self.bin}/initdb -D {self.dir}/data -U postgres -A trust")
        self.start()

    def _as_pg(self, command: str) -> None:
        argv = ["su", "postgres", "-s", "/bin/sh", "-c", command]
        if os.geteuid() != 0:
            argv = ["/bin/sh", "-c", command]
        subprocess.run(argv, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_pg(
            f"{self.bin}/pg_ctl -D {self.dir}/data -o '{options}' -l {self.dir}/log -w start"
        )

    def stop(self, mode: str = "fast") -> None:
        self._as_pg(f"{self.bin}/pg_ctl -D {self.dir}/data -m {mode} -w stop")

    def remove(self) -> None:
        subprocess.run(
            ["/bin/sh", "-c", f"{self.bin}/pg_ctl -D {self.dir}/data -m immediate stop"],
            capture_output=True,
            user="postgres" if os.geteuid() == 0 else None,
            timeout=60,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


def envelope(event_id: str, n: int) -> bytes:
    """One bug (one issue) seen by 13 users, as a Sentry envelope."""
    item = orjson.dumps(
        {
            "event_id": event_id,
            "level": "error",
            "platform": "python",
            "exception": {
                "values": [
                    {
                        "type": "KeyError",
                        "value": f"'order-{n}'",
                        "stacktrace": {
                            "frames": [
                                {
                                    "module": "shop.orders",
                                    "function": "load",
                                    "filename": "shop/orders.py",
                                    "lineno": 10 + n % 5,
                                    "in_app": True,
                                }
                            ]
                        },
                    }
                ]
            },
            "user": {"id": str(n % 13)},
        }
    )
    header = orjson.dumps({"event_id": event_id})
    return b"\n".join([header, orjson.dumps({"type": "event", "length": len(item)}), item])


def send(url: str, dsn_key: str, project_id: int, ids: list[str]) -> dict[str, int]:
    """Post each event once (16 at a time); the status each one got."""

    async def run() -> dict[str, int]:
        statuses: dict[str, int] = {}
        sem = asyncio.Semaphore(16)
        headers = {"X-Sentry-Auth": f"Sentry sentry_key={dsn_key}, sentry_version=7"}
        async with httpx.AsyncClient(timeout=30) as client:

            async def one(n: int, event_id: str) -> None:
                async with sem:
                    response = await client.post(
                        f"{url}/api/{project_id}/envelope/",
                        content=envelope(event_id, n),
                        headers=headers,
                    )
                statuses[event_id] = response.status_code

            await asyncio.gather(*(one(n, i) for n, i in enumerate(ids)))
        return statuses

    return asyncio.run(run())


def stored_event_ids(url: str, token: str, project: str) -> list[str]:
    headers = {"Authorization": f"Bearer {token}"}
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = httpx.get(
            f"{url}/api/v1/projects/{project}/events", params=params, headers=headers, timeout=10
        ).json()
        seen += [e["event_id"] for e in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            return seen


def event_count(url: str, token: str, project: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    try:
        r = httpx.get(f"{url}/api/v1/projects/{project}", headers=headers, timeout=5)
    except httpx.HTTPError:
        return -1
    return int(r.json()["event_count"]) if r.status_code == 200 else -1


def issue_counts(url: str, token: str, project: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    issues = httpx.get(
        f"{url}/api/v1/projects/{project}/issues", headers=headers, timeout=10
    ).json()["data"]
    return sum(int(i["count"]) for i in issues)
