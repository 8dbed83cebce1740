"""Scale mode under faults, with real processes: `faultbox serve --no-worker` and
`faultbox worker` on PostgreSQL and Redis Streams.

- a worker killed (-9) in the middle of a batch: another claims its entries, and every
  acknowledged event is stored exactly once;
- Redis killed and restarted during ingest: ingest answers 503 (never 200) while it
  cannot persist, a client that retries gets through, and nothing acknowledged is lost;
- PostgreSQL restarted during digest: the worker backs off and resumes, nothing lost.
(A poison event on Redis Streams: tests/integration/test_worker.py, PostgreSQL runs.)
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.conftest import redis_test_url
from tests.e2e.procs import GRACEFUL, ServeProcess, WorkerProcess, cli_json, run_cli
from tests.e2e.scale_support import (
    PrivatePostgres,
    PrivateRedis,
    event_count,
    fresh_database,
    issue_counts,
    queue_name,
    send,
    stored_event_ids,
)
from tests.support import free_port, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


class Cluster:
    """One data dir (for the secret key), the shared settings, a server, a project."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.data = tmp_path / "data"
        self.env = env
        run_cli(self.data, "migrate", env=env)
        self.server = ServeProcess(self.data, free_port(), "--no-worker", env=env)
        project = cli_json(self.data, "project", "dsn", "demo", env=env)
        self.project_id = int(project["id"])
        self.key = project["dsn"].split("//")[1].split("@")[0]
        self.token = cli_json(
            self.data, "token", "create", "--email", "admin@faultbox.local", env=env
        )["token"]
        # These tests send a burst far above a new project's spike floor on purpose.
        answer = httpx.patch(
            f"{self.server.url}/api/v1/projects/demo/protection",
            json={"spike_protection": False},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text

    def worker(self, name: str, **settings: str) -> WorkerProcess:
        extra = {f"FAULTBOX_{k.upper()}": v for k, v in settings.items()}
        return WorkerProcess(self.data, self.env | extra, name=name)

    def send(self, ids: list[str]) -> dict[str, int]:
        return send(self.server.url, self.key, self.project_id, ids)

    def stored(self) -> int:
        return event_count(self.server.url, self.token, "demo")

    def assert_exactly_once(self, acked: set[str]) -> None:
        wait_for(lambda: self.stored() >= len(acked), timeout=90, interval=0.5)
        stored = stored_event_ids(self.server.url, self.token, "demo")
        assert len(stored) == len(set(stored)) == len(acked)  # nothing doubled
        assert set(stored) == acked  # nothing lost
        assert issue_counts(self.server.url, self.token, "demo") == len(acked)


@pytest.fixture
def shared_redis_env() -> Iterator[dict[str, str]]:
    with fresh_database() as database, queue_name() as name:
        yield {
            "FAULTBOX_DATABASE_URL": database,
            "FAULTBOX_QUEUE_URL": redis_test_url(),
            "FAULTBOX_QUEUE_NAME": name,
            "FAULTBOX_QUEUE_CLAIM_IDLE_SECONDS": "2",
        }


def _pending_of(env: dict[str, str], consumer: str) -> int:
    client = redis.Redis.from_url(env["FAULTBOX_QUEUE_URL"])
    total = 0
    for stream in client.scan_iter(f"{env['FAULTBOX_QUEUE_NAME']}:inbox:*"):
        try:
            rows = client.xinfo_consumers(stream, "digest")
        except redis.ResponseError:  # the worker has not created the group yet
            continue
        total += sum(int(r["pending"]) for r in rows if r["name"] == consumer.encode())
    client.close()
    return total


def test_a_killed_workers_entries_are_claimed_by_another(
    tmp_path: Path, shared_redis_env: dict[str, str]
) -> None:
    cluster = Cluster(tmp_path, shared_redis_env)
    doomed = survivor = None
    try:
        ids = [uuid.uuid4().hex for _ in range(1500)]
        statuses = cluster.send(ids)
        acked = {i for i, status in statuses.items() if status == 200}
        assert len(acked) == len(ids)
        doomed = cluster.worker("doomed", digest_batch_size="100")
        consumer = f"{socket.gethostname()}:{doomed.pid}"
        # Killed while it holds a batch: claimed from Redis, not yet acknowledged.
        wait_for(lambda: _pending_of(shared_redis_env, consumer) > 0, timeout=60, interval=0.01)
        doomed.kill9()
        assert cluster.stored() < len(ids)
        assert _pending_of(shared_redis_env, consumer) > 0
        survivor = cluster.worker("survivor")
        cluster.assert_exactly_once(acked)
        assert _pending_of(shared_redis_env, consumer) == 0
        assert "reclaimed" in survivor.log_path.read_text()
        assert survivor.stop() == 0
    finally:
        for process in (doomed, survivor):
            if process is not None:
                process.stop()
        assert cluster.server.stop() in GRACEFUL


def test_redis_restarted_during_ingest(tmp_path: Path) -> None:
    private = PrivateRedis(tmp_path / "redis")
    with fresh_database() as database:
        env = {
            "FAULTBOX_DATABASE_URL": database,
            "FAULTBOX_QUEUE_URL": private.url,
            "FAULTBOX_QUEUE_NAME": "faultbox",
        }
        cluster = Cluster(tmp_path, env)
        worker = cluster.worker("worker")
        try:
            before = [uuid.uuid4().hex for _ in range(300)]
            first = cluster.send(before)
            assert set(first.values()) == {200}
            private.kill9()
            during = [uuid.uuid4().hex for _ in range(40)]
            refused = cluster.send(during)
            # It cannot persist, so it must not say it did: 503, which SDKs retry.
            assert set(refused.values()) == {503}
            private.start()
            # The client retries what was refused, and goes on sending.
            after = [uuid.uuid4().hex for _ in range(200)]
            retried = {}
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                retried = cluster.send(during + after)
                if set(retried.values()) == {200}:
                    break
                time.sleep(0.5)
            assert set(retried.values()) == {200}
            cluster.assert_exactly_once(set(before + during + after))
            assert worker.alive()
        finally:
            worker.stop()
            cluster.server.stop()
            private.stop()


def test_postgres_restarted_during_digest(tmp_path: Path) -> None:
    postgres = PrivatePostgres()
    with queue_name() as name:
        env = {
            "FAULTBOX_DATABASE_URL": postgres.url,
            "FAULTBOX_QUEUE_URL": redis_test_url(),
            "FAULTBOX_QUEUE_NAME": name,
        }
        cluster = Cluster(tmp_path, env)
        worker = None
        try:
            ids = [uuid.uuid4().hex for _ in range(1500)]
            statuses = cluster.send(ids)
            assert set(statuses.values()) == {200}
            # Small batches, all queued before the worker starts: it is mid-digest when
            # the first one is visible, with dozens of batches still to go.
            worker = cluster.worker("worker", digest_batch_size="10")
            wait_for(lambda: cluster.stored() > 0, timeout=60, interval=0.01)
            postgres.stop("immediate")  # no clean goodbye to the worker's connections
            wait_for(lambda: "database unavailable" in worker.log_path.read_text(), timeout=30)
            assert worker.alive()
            postgres.start()
            cluster.assert_exactly_once(set(ids))
            assert worker.alive()
        finally:
            if worker is not None:
                worker.stop()
            cluster.server.stop()
            postgres.remove()
