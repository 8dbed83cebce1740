"""The pure parts of ingest protection: the sampling decision, window arithmetic, the
rate-limit header, storage URIs, and counting with refunds in the memory storage."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from faultbox.ingest import sampling
from faultbox.ingest.rate_limits import DAY, MINUTE, Quota, RateLimited, WindowCounter, storage_uri

IDS = [uuid.uuid5(uuid.NAMESPACE_DNS, f"event-{n}").hex for n in range(2000)]


def test_sampling_extremes_and_determinism() -> None:
    assert all(sampling.keep(i, None) and sampling.keep(i, 1.0) for i in IDS[:50])
    assert not any(sampling.keep(i, 0.0) for i in IDS[:50])
    first = [sampling.keep(i, 0.3) for i in IDS]
    assert first == [sampling.keep(i, 0.3) for i in IDS]
    assert 0.25 < sum(first) / len(IDS) < 0.35
    # Case does not matter (ids are hex), and a lower rate keeps a subset.
    assert all(sampling.keep(i.upper(), 0.3) == k for i, k in zip(IDS, first, strict=True))
    assert all(k for i, k in zip(IDS, first, strict=True) if sampling.keep(i, 0.1))


def test_sequential_ids_spread_evenly() -> None:
    ids = [f"{n:032x}" for n in range(2000)]
    share = sum(sampling.keep(i, 0.5) for i in ids) / len(ids)
    assert 0.45 < share < 0.55


@pytest.mark.parametrize(
    ("window", "now", "expected"),
    [(MINUTE, 120.0, 60), (MINUTE, 179.2, 1), (MINUTE, 150.5, 30), (DAY, 86_400 * 3 + 1, 86_399)],
)
def test_retry_after_is_the_rest_of_the_window(window: int, now: float, expected: int) -> None:
    assert Quota("key", "k", 1, window, "r").retry_after(now) == expected


def test_header_names_seconds_categories_scope_and_reason() -> None:
    limited = RateLimited(Quota("project", "7", 10, MINUTE, "spike_protection"), 100.0)
    assert limited.status == 429
    assert limited.headers() == {
        "Retry-After": "20",
        "X-Sentry-Rate-Limits": "20:error;default;security:project:spike_protection",
    }


def test_storage_uri() -> None:
    assert storage_uri("") == "async+memory://"
    assert storage_uri("redis://h:6379/2") == "async+redis://h:6379/2"
    assert storage_uri("rediss://h:6380") == "async+rediss://h:6380"
    assert storage_uri("unix:///run/redis.sock") == "async+redis+unix:///run/redis.sock"


def test_a_refused_batch_is_refunded_everywhere() -> None:
    async def run() -> list[str | None]:
        counter = WindowCounter("async+memory://", "unit")
        minute = Quota("key", "k", 5, MINUTE, "key_rate_limit")
        day = Quota("key", "k", 100, DAY, "key_quota")
        got = [await counter.take([minute, day], 3, 10.0)]  # 3 of 5
        got.append(await counter.take([minute, day], 3, 10.0))  # 6 > 5: refused
        got.append(await counter.take([minute, day], 2, 10.0))  # exactly 5
        got.append(await counter.take([minute, day], 1, 10.0))
        got.append(await counter.take([minute, day], 5, 70.0))  # next minute
        await counter.aclose()
        return [q and q.reason for q in got]

    assert asyncio.run(run()) == [None, "key_rate_limit", None, "key_rate_limit", None]
