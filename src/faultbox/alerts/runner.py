"""Alerting beside the digest worker, in its process: a thread that sends what the outbox
holds as soon as something is enqueued, and every few seconds runs the periodic jobs
(level conditions, escalation, resolving pages and tickets of resolved issues).

New issues and regressions do not wait for the period: the digest's hooks evaluate
them right after its commit (``listen``), fan them out in the same transaction, and
wake this thread. The periodic jobs run under a lease (``job_leases``), so with several
workers exactly one evaluates at a time; sending needs no lease (each delivery is
claimed on its own).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Connection, Engine

from faultbox import clock
from faultbox.alerts import ack_links, incidents, tickets
from faultbox.alerts.dispatch import Dispatcher
from faultbox.alerts.evaluate import evaluate_rules
from faultbox.alerts.fanout import fan_out
from faultbox.alerts.listen import listen
from faultbox.alerts.model import Firing
from faultbox.config import Settings
from faultbox.store import job_leases
from faultbox.store.db import write_transaction

log = logging.getLogger(__name__)

PERIOD_SECONDS = 10.0  # level conditions (threshold, spike, no data…) are this fresh
JOB_LEASE = "alerts-periodic"


class AlertRunner:
    def __init__(self, engine: Engine, settings: Settings, *, idle_wait: float = 1.0) -> None:
        self.engine = engine
        self.settings = settings
        self.dispatcher = Dispatcher(engine, settings)
        self.owner = self.dispatcher.owner
        self.idle_wait = idle_wait
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._next_period = 0.0

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        self._unsubscribe = listen(
            self.engine, lambda _firing: self.wake.set(), on_recorded=self.fan_out
        )
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="alert-runner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- work --------------------------------------------------------------------------

    def _ack_url(self, now: float) -> Callable[[int], str]:
        public_url, secret = self.settings.public_url, self.settings.secret_key.value
        return lambda incident_id: ack_links.url_for(public_url, secret, incident_id, now)

    def fan_out(self, conn: Connection, firing: Firing, now: float) -> list[int]:
        return fan_out(
            conn,
            firing,
            now=now,
            public_url=self.settings.public_url,
            digest_hour=self.settings.alert_digest_hour,
            ack_url=self._ack_url(now),
        )

    def _sweeps(self, now: float) -> list[tuple[str, Callable[[Connection], int]]]:
        """Each returns the deliveries it enqueued."""
        url = self.settings.public_url
        return [
            (
                "escalation",
                lambda c: incidents.escalate_due(
                    c, now, public_url=url, ack_url=self._ack_url(now)
                ),
            ),
            (
                "resolved incidents",
                lambda c: incidents.resolve_for_resolved_issues(c, now, public_url=url),
            ),
            (
                "resolved tickets",
                lambda c: tickets.close_for_resolved_issues(c, now, public_url=url),
            ),
        ]

    def periodic(self, now: float) -> int:
        """Evaluate every rule, fan out, run the sweeps — if this worker holds the lease.
        Returns the deliveries enqueued."""
        enqueued = 0
        with write_transaction(self.engine) as conn:
            if not job_leases.take(conn, JOB_LEASE, self.owner, now, PERIOD_SECONDS * 3):
                return 0
            for firing in evaluate_rules(conn, now):
                enqueued += len(self.fan_out(conn, firing, now))
        for name, sweep in self._sweeps(now):
            try:
                with write_transaction(self.engine) as conn:
                    enqueued += sweep(conn)
            except Exception:  # one failing sweep must not stop the others
                log.exception("alert sweep %r failed", name)
        return enqueued

    def run_once(self, now: float | None = None) -> int:
        """The periodic jobs when due, then send everything due; messages sent."""
        at = clock.now() if now is None else now
        if time.monotonic() >= self._next_period:
            self._next_period = time.monotonic() + PERIOD_SECONDS
            self.periodic(at)
        sent = 0
        while not self._stop.is_set():
            batch = self.dispatcher.run_once(clock.now() if now is None else now)
            sent += batch
            if batch < self.dispatcher.batch_size:
                break
        return sent

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self.run_once()
                failures = 0
            except Exception:  # the database away, a bug: keep alerting alive
                failures += 1
                log.exception("alert runner failed (%d in a row)", failures)
                self._stop.wait(min(30.0, 0.5 * 2**failures))
            self.wake.wait(self.idle_wait)
            self.wake.clear()
