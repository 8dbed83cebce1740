"""The metrics this process records as things happen, and the calls that record them.

They live in one module-level registry (one process, one set of counters); the
``/metrics`` endpoints combine it with the scrape-time collectors of
``collectors.py``.  The recording calls sit on hot paths, so each is a few dict
lookups and additions: no I/O, no allocation per label lookup (children are bound
once).
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from faultbox import __version__

RECORDED = CollectorRegistry(auto_describe=True)

BUILD_INFO = Gauge(
    "faultbox_build_info",
    "Always 1; the version label says which Faultbox runs.",
    ["version"],
    registry=RECORDED,
)
BUILD_INFO.labels(__version__).set(1)

# -- ingest ------------------------------------------------------------------------

INGEST_REQUEST_SECONDS = Histogram(
    "faultbox_ingest_request_duration_seconds",
    "Time to answer an ingest request (read, check, enqueue durably, answer).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
    registry=RECORDED,
)
INGEST_RESPONSES = Counter(
    "faultbox_ingest_responses_total",
    "Ingest requests answered, by HTTP status code.",
    ["code"],
    registry=RECORDED,
)
_RESPONSES_BY_CODE: dict[int, Counter] = {}


def record_ingest_request(seconds: float, status: int) -> None:
    INGEST_REQUEST_SECONDS.observe(seconds)
    child = _RESPONSES_BY_CODE.get(status)
    if child is None:
        child = _RESPONSES_BY_CODE[status] = INGEST_RESPONSES.labels(str(status))
    child.inc()


# -- digest ------------------------------------------------------------------------

DIGEST_LATENCY_SECONDS = Histogram(
    "faultbox_digest_latency_seconds",
    "Time from an item's arrival at ingest to the commit of the digest batch holding it.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0),
    registry=RECORDED,
)
DIGEST_BATCH_SECONDS = Histogram(
    "faultbox_digest_batch_duration_seconds",
    "Time to process and commit one digest batch.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=RECORDED,
)
DIGEST_BATCH_SIZE = Histogram(
    "faultbox_digest_batch_size",
    "Queue messages per committed digest batch.",
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000),
    registry=RECORDED,
)
DIGEST_STORED = Counter(
    "faultbox_digest_events_stored_total",
    "Events the digest stored.",
    registry=RECORDED,
)
DIGEST_DUPLICATES = Counter(
    "faultbox_digest_events_duplicate_total",
    "Events the digest skipped because their event id was already stored.",
    registry=RECORDED,
)
DIGEST_DEAD_LETTERS = Counter(
    "faultbox_digest_dead_letters_total",
    "Queue messages this process moved to the dead letters.",
    registry=RECORDED,
)


def record_digest_batch(
    received_at: Iterable[float],
    *,
    committed_at: float,
    seconds: float,
    stored: int,
    duplicates: int,
    dead_letters: int,
) -> None:
    """One committed batch: its messages' arrival times (wall clock, as the queue
    keeps them), when it committed, how long it took and what became of it."""
    size = 0
    for arrived in received_at:
        DIGEST_LATENCY_SECONDS.observe(max(0.0, committed_at - arrived))
        size += 1
    DIGEST_BATCH_SIZE.observe(size)
    DIGEST_BATCH_SECONDS.observe(seconds)
    DIGEST_STORED.inc(stored)
    DIGEST_DUPLICATES.inc(duplicates)
    DIGEST_DEAD_LETTERS.inc(dead_letters)


def record_dead_letters(count: int) -> None:
    DIGEST_DEAD_LETTERS.inc(count)


# -- alerts ------------------------------------------------------------------------

ALERT_SENDS = Counter(
    "faultbox_alert_sends_total",
    "Alert delivery attempts by channel kind and result (sent, retry, failed).",
    ["channel", "result"],
    registry=RECORDED,
)


def record_alert_send(channel_kind: str, result: str) -> None:
    ALERT_SENDS.labels(channel_kind, result).inc()
