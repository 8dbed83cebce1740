"""Scale mode: every ``serve`` behind a load balancer counts against the same limits in
Redis (the queue's, under the queue's key prefix), and a limiter whose storage is down
lets events through."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import orjson
import pytest

from faultbox import clock
from faultbox.config import load_settings
from faultbox.ingest.rate_limits import MINUTE, Quota, WindowCounter, storage_uri
from faultbox.query.dsn import dsn_for
from faultbox.store import migrate
from faultbox.store.admin_keys import project_keys_of
from faultbox.store.db import open_engine, read_connection
from tests.conftest import redis_test_url
from tests.support import LiveServer, free_port, seed, start_server

NOW = float(int(time.time()))


@pytest.fixture(autouse=True)
def pinned_clock() -> Iterator[None]:
    clock.pin(NOW - NOW % 60 + 15)
    yield
    clock.pin(None)


def _send(url: str, project_id: int, public_key: str) -> int:
    body = b"\n".join(
        [
            orjson.dumps({"event_id": uuid.uuid4().hex}),
            b'{"type":"event"}',
            b'{"message":"from behind the load balancer"}',
        ]
    )
    auth = {"X-Sentry-Auth": f"Sentry sentry_key={public_key}, sentry_version=7"}
    return httpx.post(f"{url}/api/{project_id}/envelope/", content=body, headers=auth).status_code


def test_two_servers_share_one_limit_through_redis(
    tmp_path: Path, database_url: str, redis_queue: dict[str, str]
) -> None:
    first = load_settings(
        {
            "data_dir": str(tmp_path / "data"),
            "database_url": database_url,
            "port": free_port(),
            **redis_queue,
        },
        environ={},
    )
    second = replace(first, port=free_port())
    engine = open_engine(database_url)
    migrate.upgrade(engine)
    project, token = seed(engine, first.public_url)
    assert dsn_for(first.public_url, project)
    with read_connection(engine) as conn:
        key = project_keys_of(conn, project.id)[0]
    servers = [start_server(first), start_server(second, worker="none")]
    try:
        admin = LiveServer(first.public_url, first, engine, project, "", token, servers[0][2])
        limits = admin.admin_token(["project:read", "project:admin"])
        answer = httpx.patch(
            f"{first.public_url}/api/v1/projects/{project.slug}/keys/{key.id}/limits",
            json={"rate_limit_per_minute": 3},
            headers={"Authorization": f"Bearer {limits}"},
        )
        assert answer.status_code == 200, answer.text
        a, b = first.public_url, second.public_url
        assert [_send(u, project.id, key.public_key) for u in (a, b, a)] == [200, 200, 200]
        assert _send(b, project.id, key.public_key) == 429
        assert _send(a, project.id, key.public_key) == 429
        clock.advance(45)
        assert _send(b, project.id, key.public_key) == 200
    finally:
        for server, thread, _app in servers:
            server.should_exit = True
            thread.join(timeout=20)
        engine.dispose()


def test_processes_count_against_one_redis_window(redis_queue: dict[str, str]) -> None:
    uri = storage_uri(redis_queue["queue_url"])
    prefix = f"{redis_queue['queue_name']}:limits"
    window_start = NOW - NOW % 60
    # Another process takes 4 of the 5 events this minute allows...
    script = textwrap.dedent(
        f"""
        import asyncio
        from faultbox.ingest.rate_limits import MINUTE, Quota, WindowCounter

        async def main():
            counter = WindowCounter({uri!r}, {prefix!r})
            quota = Quota("key", "shared", 5, MINUTE, "key_rate_limit")
            for _ in range(4):
                assert await counter.take([quota], 1, {window_start + 10!r}) is None
            await counter.aclose()

        asyncio.run(main())
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)

    # ...so this one gets the fifth and then the refusal.
    async def here() -> list[str | None]:
        counter = WindowCounter(uri, prefix)
        quota = Quota("key", "shared", 5, MINUTE, "key_rate_limit")
        results = [await counter.take([quota], 1, window_start + 20) for _ in range(2)]
        await counter.aclose()
        return [r and r.reason for r in results]

    assert asyncio.run(here()) == [None, "key_rate_limit"]


def test_a_limiter_whose_redis_is_down_lets_events_through(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert redis_test_url()  # the real one is up; this one is not
    quota = Quota("key", "k", 1, MINUTE, "key_rate_limit")

    async def take_three() -> list[Quota | None]:
        counter = WindowCounter(storage_uri("redis://127.0.0.1:1"), "down")
        results = [await counter.take([quota], 1, NOW) for _ in range(3)]
        await counter.aclose()
        return results

    with caplog.at_level(logging.WARNING, "faultbox.ingest.rate_limits"):
        assert asyncio.run(take_three()) == [None, None, None]
    warnings = [r for r in caplog.records if "rate limits not enforced" in r.getMessage()]
    assert len(warnings) == 1  # once a minute, not once per event
