"""Metrics read at scrape time: queue depth and lag, stored totals, outcome totals.

These are facts some other part already keeps (the queue, the database, the edge's
outcome counter), so they are read when Prometheus asks instead of being mirrored
on every change.  A failing read leaves its metrics out of that scrape (and says
so in the log) rather than failing the whole answer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from faultbox.store import alert_deliveries
from faultbox.store.db import read_connection
from faultbox.store.deadletter import count_dead_letters

log = logging.getLogger(__name__)

# Every status an alert delivery row can have, so each series exists from the start.
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed", "grouped")


class QueueLag(Protocol):
    def exact_depth(self) -> int: ...

    def oldest_age_seconds(self) -> float: ...


class OutcomeTotals(Protocol):
    def totals(self) -> Mapping[tuple[str, str, str], int]:
        """Items counted since start, by (category, outcome, reason)."""
        ...


class QueueCollector(Collector):
    def __init__(self, queue: QueueLag) -> None:
        self.queue = queue

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            depth, lag = self.queue.exact_depth(), self.queue.oldest_age_seconds()
        except Exception as exc:  # a scrape must still show the other metrics
            log.warning("metrics: cannot read the queue: %s", exc)
            return
        yield GaugeMetricFamily(
            "faultbox_queue_depth", "Messages waiting in the queue (claimed ones too).", depth
        )
        yield GaugeMetricFamily(
            "faultbox_queue_lag_seconds",
            "Age of the oldest message in the queue (0 when empty).",
            lag,
        )


class StoreCollector(Collector):
    """Dead letters and alert deliveries as the database holds them (shared by
    every process, so any one process's answer is the installation's)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with read_connection(self.engine) as conn:
                dead = count_dead_letters(conn)
                deliveries = alert_deliveries.counts_by_status(conn)
        except Exception as exc:
            log.warning("metrics: cannot read the database: %s", exc)
            return
        yield GaugeMetricFamily(
            "faultbox_dead_letters", "Dead letters waiting for retry or removal.", dead
        )
        by_status = GaugeMetricFamily(
            "faultbox_alert_deliveries",
            "Alert deliveries in the database, by status.",
            labels=["status"],
        )
        for status in sorted(set(DELIVERY_STATUSES) | set(deliveries)):
            by_status.add_metric([status], deliveries.get(status, 0))
        yield by_status


class OutcomeCollector(Collector):
    def __init__(self, outcomes: OutcomeTotals) -> None:
        self.outcomes = outcomes

    def collect(self) -> Iterator[CounterMetricFamily]:
        items = CounterMetricFamily(
            "faultbox_ingest_items",
            "Items the ingest edge counted since start: accepted, or rejected and dropped "
            "with the reason (Sentry's outcome categories).",
            labels=["category", "outcome", "reason"],
        )
        for (category, outcome, reason), quantity in sorted(self.outcomes.totals().items()):
            items.add_metric([category, outcome, reason], quantity)
        yield items
