"""The transport: backoff math, Retry-After, the bounded queue and the bounded outbox."""

from __future__ import annotations

import json
import os
import random
import tempfile
import threading
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultbox_sdk.buffer import DiskBuffer, MemoryBuffer
from faultbox_sdk.dsn import parse_dsn
from faultbox_sdk.http import MAX_RETRY_AFTER, Answer, Sender, parse_retry_after
from faultbox_sdk.transport import Backoff, Transport
from tests.sdk.support import DSN, Recorder


def _event(i: int) -> dict[str, Any]:
    return {"event_id": f"{i:032x}", "timestamp": 1.7e9, "level": "error", "message": f"m{i}"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- backoff ---------------------------------------------------------------------------


@given(attempt=st.integers(0, 200), seed=st.integers(0, 2**32))
def test_backoff_grows_exponentially_within_half_and_full_ceiling(attempt: int, seed: int) -> None:
    backoff = Backoff(base=1.0, cap=300.0, rng=random.Random(seed))
    ceiling = min(300.0, 2.0**attempt)
    assert ceiling / 2 <= backoff.delay(attempt) <= ceiling


def test_backoff_jitter_spreads_clients_apart() -> None:
    delays = {round(Backoff(rng=random.Random(seed)).delay(5), 6) for seed in range(50)}
    assert len(delays) > 40  # fifty clients failing together come back apart
    assert [Backoff(rng=random.Random(1)).delay(a) < 2.0**a + 1e-9 for a in range(9)] == [True] * 9


def test_retry_after_wins_over_backoff_and_failures_grow_the_delay(tmp_path: Path) -> None:
    clock = Clock()
    rng = random.Random(7)
    transport = Transport(
        Sender(parse_dsn(DSN), post=Recorder()),
        MemoryBuffer(),
        backoff=Backoff(base=1.0, cap=60.0, rng=rng),
        clock=clock,
        start=False,
    )
    expected = Backoff(base=1.0, cap=60.0, rng=random.Random(7))
    first = transport.schedule_retry(None)
    assert first == expected.delay(0) and transport.backing_off()
    clock.now += first
    assert not transport.backing_off()
    second = transport.schedule_retry(None)
    assert second == expected.delay(1) and 1.0 <= second <= 2.0
    assert transport.schedule_retry(30.0) == 30.0  # the server said when
    clock.now += 29.9
    assert transport.backing_off()
    clock.now += 0.2
    assert not transport.backing_off()


@given(seconds=st.integers(0, 10**7))
def test_retry_after_seconds_and_http_dates(seconds: int) -> None:
    assert parse_retry_after(str(seconds)) == min(seconds, MAX_RETRY_AFTER)
    now = 1_700_000_000.0
    moment = datetime.fromtimestamp(now + seconds, timezone.utc)  # noqa: UP017 - runs on 3.9
    date = format_datetime(moment, usegmt=True)
    assert parse_retry_after(date, now=now) == min(float(seconds), MAX_RETRY_AFTER)


@given(value=st.text(max_size=40))
def test_retry_after_garbage_is_none_or_bounded(value: str) -> None:
    parsed = parse_retry_after(value)
    assert parsed is None or 0.0 <= parsed <= MAX_RETRY_AFTER


# -- the queue ---------------------------------------------------------------------------


def test_a_full_queue_drops_and_counts_without_blocking(tmp_path: Path) -> None:
    transport = Transport(
        Sender(parse_dsn(DSN), post=Recorder()),
        DiskBuffer(str(tmp_path)),
        max_queue=5,
        start=False,
    )
    accepted = [transport.submit(_event(i)) for i in range(8)]
    assert accepted == [True] * 5 + [False] * 3
    assert transport.stats.dropped_queue_full == 3 and transport.dropped == 3


def test_server_away_keeps_events_in_the_outbox_until_it_answers(tmp_path: Path) -> None:
    up = threading.Event()
    seen: list[str] = []

    def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
        if not up.is_set():
            return Answer(0, {}, b"")  # refused
        import gzip

        seen.extend(i["eventId"] for i in json.loads(gzip.decompress(body))["errors"])
        return Answer(200, {}, b'{"success":true,"results":[]}')

    clock = Clock()
    transport = Transport(
        Sender(parse_dsn(DSN), post=post),
        DiskBuffer(str(tmp_path)),
        backoff=Backoff(base=0.01, cap=0.02),
        clock=clock,
    )
    for i in range(30):
        assert transport.submit(_event(i))
    assert transport.flush(5) is False  # not delivered: waiting in the outbox
    assert transport.buffer.count() == 30
    up.set()
    clock.now += 1.0
    assert transport.flush(5) is True
    assert sorted(seen) == sorted(_event(i)["event_id"] for i in range(30))
    assert len(seen) == 30 and transport.buffer.count() == 0
    assert os.listdir(tmp_path) == []
    transport.close(1)


def test_refused_batches_are_dropped_not_retried(tmp_path: Path) -> None:
    recorder = Recorder(status=401)
    transport = Transport(Sender(parse_dsn(DSN), post=recorder), DiskBuffer(str(tmp_path)))
    transport.submit(_event(1))
    assert transport.flush(5) is True
    assert transport.stats.refused == 1 and len(recorder.bodies) == 1
    assert not transport.backing_off()
    transport.close(1)


def test_envelope_mode_resends_only_what_was_not_accepted(tmp_path: Path) -> None:
    answers = iter([200, 503, 200, 200])
    sent: list[bytes] = []

    def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
        sent.append(body)
        return Answer(next(answers), {"Retry-After": "0"}, b"")

    clock = Clock()
    transport = Transport(
        Sender(parse_dsn(DSN), mode="envelope", post=post, compress=False),
        DiskBuffer(str(tmp_path)),
        clock=clock,
    )
    for i in range(3):
        transport.submit(_event(i))
    transport.flush(5)
    clock.now += 1
    assert transport.flush(5) is True
    ids = [json.loads(body.split(b"\n")[0])["event_id"] for body in sent]
    assert ids == [_event(0)["event_id"], *[_event(i)["event_id"] for i in (1, 1, 2)]]
    transport.close(1)


# -- the outbox --------------------------------------------------------------------------


def test_disk_buffer_is_bounded_in_bytes_and_files_dropping_the_oldest(tmp_path: Path) -> None:
    buffer = DiskBuffer(str(tmp_path), max_bytes=10_000, max_files=3)
    for i in range(5):
        assert buffer.write([_event(i)])
    assert len(os.listdir(tmp_path)) == 3 and buffer.dropped == 2
    claimed = buffer.claim_oldest()
    assert claimed is not None and claimed[1] == [_event(2)]
    big = [{**_event(9), "message": "x" * 20_000}]
    assert buffer.write(big) is False and buffer.dropped == 3  # alone larger than the limit
    small = DiskBuffer(str(tmp_path / "small"), max_bytes=400)
    for i in range(10):
        small.write([_event(i)])
    total = sum(os.path.getsize(tmp_path / "small" / n) for n in os.listdir(tmp_path / "small"))
    assert total <= 400 and small.dropped == 10 - small.count()


def test_disk_buffer_writes_atomically_and_recovers_at_start(tmp_path: Path) -> None:
    buffer = DiskBuffer(str(tmp_path))
    buffer.write([_event(1)])
    # A crash mid-write leaves only a temporary file, never a half batch under a real name.
    (tmp_path / ".tmp-123-456").write_bytes(b'[{"event_id": "trunc')
    os.utime(tmp_path / ".tmp-123-456", (0, 0))
    # A batch claimed by a process that died.
    dead = buffer.claim_oldest()
    assert dead is not None
    handle = str(dead[0])
    os.rename(handle, handle.rsplit(".claim-", 1)[0] + ".claim-999999999")
    (tmp_path / "00000000000000000001-1-000001-1.json").write_bytes(b"not json")

    again = DiskBuffer(str(tmp_path))
    assert not (tmp_path / ".tmp-123-456").exists()
    first = again.claim_oldest()  # the unreadable file is removed, not sent
    assert first is not None and first[1] == [_event(1)]
    assert again.claim_oldest() is None


def test_two_processes_never_claim_the_same_batch(tmp_path: Path) -> None:
    a, b = DiskBuffer(str(tmp_path)), DiskBuffer(str(tmp_path))
    for i in range(20):
        a.write([_event(i)])
    got: list[str] = []
    lock = threading.Lock()

    def drain(buffer: DiskBuffer) -> None:
        while (claimed := buffer.claim_oldest()) is not None:
            with lock:
                got.extend(e["event_id"] for e in claimed[1])
            buffer.remove(claimed[0])

    threads = [threading.Thread(target=drain, args=(x,)) for x in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == sorted(_event(i)["event_id"] for i in range(20))


def test_memory_buffer_bounds_and_keeps_order() -> None:
    buffer = MemoryBuffer(max_events=3)
    for i in range(5):
        buffer.write([_event(i)])
    assert buffer.count() == 3 and buffer.dropped == 2
    claimed = buffer.claim_oldest()
    assert claimed is not None and claimed[1] == [_event(2)]
    buffer.release(claimed[0])
    again = buffer.claim_oldest()
    assert again is not None and again[1] == [_event(2)]


@pytest.mark.parametrize("limit", [1, 64])
def test_a_tiny_disk_buffer_never_raises(tmp_path: Path, limit: int) -> None:
    buffer = DiskBuffer(str(tmp_path), max_bytes=limit)
    assert buffer.write([_event(1)]) is False and buffer.dropped == 1


def test_a_second_buffer_on_the_folder_leaves_live_claims_alone(tmp_path: Path) -> None:
    first = DiskBuffer(str(tmp_path))
    first.write([_event(1)])
    claimed = first.claim_oldest()
    assert claimed is not None
    DiskBuffer(str(tmp_path))  # e.g. a re-init while the first client still sends
    assert os.path.exists(str(claimed[0]))
    first.remove(claimed[0])
    assert os.listdir(tmp_path) == []


@settings(max_examples=50, deadline=None)
@given(
    batches=st.lists(
        st.lists(
            st.fixed_dictionaries(
                {"event_id": st.uuids().map(lambda u: u.hex), "message": st.text(max_size=50)}
            ),
            min_size=1,
            max_size=5,
        ),
        max_size=8,
    )
)
def test_the_outbox_gives_back_what_it_kept_in_order(batches: list[list[dict[str, Any]]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        buffer = DiskBuffer(folder)
        for batch in batches:
            assert buffer.write(batch)
        assert buffer.count() == sum(len(b) for b in batches)
        back = []
        while (claimed := buffer.claim_oldest()) is not None:
            back.append(claimed[1])
            buffer.remove(claimed[0])
        assert back == batches and os.listdir(folder) == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_sends_its_own_events_and_not_the_parents(tmp_path: Path) -> None:
    log = tmp_path / "posts.jsonl"

    def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
        import gzip

        items = json.loads(gzip.decompress(body))["errors"]
        with open(log, "a") as fh:
            for item in items:
                fh.write(json.dumps([os.getpid(), item["message"]]) + "\n")
        return Answer(200, {}, b'{"success":true,"results":[]}')

    from faultbox_sdk.client import Client

    client = Client(DSN, post=post, disk_buffer=False)
    client.capture_message("from the parent")
    pid = os.fork()
    if pid == 0:  # the child: a pre-fork server's worker
        try:
            client.capture_message("from the child")
            os._exit(0 if client.flush(10) else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert client.flush(10)
    client.close()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(message for _, message in lines) == ["from the child", "from the parent"]
    assert {p for p, m in lines if m == "from the child"} == {pid}
