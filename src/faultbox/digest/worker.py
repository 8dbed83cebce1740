"""The digest loop: claim a batch → process → one transaction → ack.

A message that fails deterministically (bad JSON, not an event) is dead-lettered
at once with the reason.  When a whole batch fails to commit, each message is
retried alone so that one poison event cannot hold back the others; a message
that keeps failing is dead-lettered after ``max_attempts`` claims.  When the
database itself is unavailable the batch is released and retried later: nothing
is acked before it is stored.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from dataclasses import dataclass, replace

import orjson
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from faultbox import clock
from faultbox.config import Settings
from faultbox.digest import grouping, health
from faultbox.digest.grouping.in_app import InAppRules
from faultbox.digest.grouping.rules import FingerprintRule, RuleSyntaxError, parse_rules
from faultbox.digest.pipeline import (
    PoisonMessage,
    ProjectConfig,
    process_event,
    process_user_report,
)
from faultbox.lifecycle import hooks
from faultbox.lifecycle.after_batch import after_batch
from faultbox.lifecycle.monitors import CheckIn, mark_overdue, record_check_in
from faultbox.lifecycle.reopen import unignore_expired
from faultbox.lifecycle.retention import RetentionDefaults, run_retention_if_due
from faultbox.observe.metrics import record_dead_letters, record_digest_batch
from faultbox.queue.base import InboxMessage, Kind, Queue, QueueUnavailable
from faultbox.scrub_config import ScrubConfig
from faultbox.store import job_leases
from faultbox.store.batch import BatchResult, ProcessedEvent, store_batch
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.deadletter import DeadLetter, add_dead_letters
from faultbox.store.projects import ProjectSettings, project_settings, switch_grouping_version
from faultbox.store.session_counts import SessionCounts, add_session_counts, forget_session_marks
from faultbox.store.user_reports import UserReport, add_user_reports

log = logging.getLogger(__name__)

# How often ignores whose time has passed are ended when no event arrives for them.
IGNORE_SWEEP_SECONDS = 60.0
SWEEP_LEASE = "digest-sweep"


@dataclass
class WorkerStats:
    batches: int = 0
    stored: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    last_batch_at: float = 0.0


class DigestWorker:
    def __init__(
        self,
        engine: Engine,
        queue: Queue,
        *,
        batch_size: int,
        max_attempts: int,
        idle_wait: float = 0.5,
        grouping_transition_days: int = 90,
        retention: RetentionDefaults | None = None,
    ) -> None:
        self.engine = engine
        self.retention = retention  # None: this worker runs no retention
        self.grouping_transition = grouping_transition_days * 86400.0
        self.queue = queue
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.idle_wait = idle_wait
        self.stats = WorkerStats()
        self._configs: dict[tuple[str | None, ...], ProjectConfig] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_sweep = 0.0
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    @classmethod
    def from_settings(
        cls, engine: Engine, queue: Queue, settings: Settings, *, idle_wait: float = 0.5
    ) -> DigestWorker:
        return cls(
            engine,
            queue,
            batch_size=settings.digest_batch_size,
            max_attempts=settings.digest_max_attempts,
            idle_wait=idle_wait,
            grouping_transition_days=settings.grouping_transition_days,
            retention=RetentionDefaults.from_settings(settings),
        )

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="digest-worker", daemon=True)
        self._thread.start()

    def stop(self, drain_seconds: float = 10.0) -> None:
        """Stop after draining what is queued (bounded by ``drain_seconds``)."""
        deadline = time.monotonic() + drain_seconds
        while self.queue.has_claimable() and time.monotonic() < deadline and self.is_alive():
            time.sleep(0.05)
        self._stop.set()
        self.queue.wake()
        if self._thread is not None:
            self._thread.join(timeout=max(1.0, deadline - time.monotonic()))

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self._sweep_if_due()
                worked = self.run_once()
            except (OperationalError, QueueUnavailable) as exc:
                if _lost_a_race(exc):
                    # Another worker's transaction won a lock cycle: retry at once.
                    log.warning("digest: transaction rolled back, retrying: %s", exc)
                    self._stop.wait(random.uniform(0.0, 0.05))
                    continue
                # Back off while the database or the queue is down; nothing was acked.
                log.error("digest: %s unavailable, retrying: %s", _which(exc), exc)
                self._stop.wait(1.0)
                continue
            except Exception:
                log.exception("digest: unexpected error; retrying")
                self._stop.wait(1.0)
                continue
            if not worked:
                self.queue.wait(self.idle_wait)

    # -- one batch -----------------------------------------------------------------

    def run_once(self) -> int:
        messages = self.queue.claim(self.batch_size)
        if not messages:
            return 0
        try:
            self._digest(messages)
        except (OperationalError, QueueUnavailable):
            self.queue.release([m.id for m in messages])
            raise
        except Exception:
            log.exception("digest: batch of %d failed; retrying one by one", len(messages))
            for message in messages:
                try:
                    self._digest([message])
                except (OperationalError, QueueUnavailable):
                    self.queue.release([message.id])
                    raise
                except Exception as exc:
                    self._fail(message, f"{type(exc).__name__}: {exc}")
        return len(messages)

    def _digest(self, messages: list[InboxMessage]) -> None:
        started = time.perf_counter()
        processed: list[ProcessedEvent] = []
        reports: list[UserReport] = []
        check_ins: list[tuple[InboxMessage, CheckIn]] = []
        sessions: list[SessionCounts] = []
        dead: list[DeadLetter] = []
        configs = self._configs_for({m.project_id for m in messages})
        for message in messages:
            try:
                if message.kind == Kind.USER_REPORT:
                    reports.append(process_user_report(message))
                elif message.project_id not in configs:
                    raise PoisonMessage(f"project {message.project_id} no longer exists")
                elif message.kind == Kind.CHECK_IN:
                    check_ins.append((message, health.check_in(message)))
                elif message.kind == Kind.SESSIONS:
                    sessions.append(health.session_counts(message))
                else:
                    processed.append(process_event(message, configs[message.project_id]))
            except PoisonMessage as exc:
                dead.append(_dead_letter(message, str(exc)))
            except Exception as exc:  # a bug in a digest step must not stop the queue
                if message.attempts >= self.max_attempts:
                    dead.append(_dead_letter(message, f"{type(exc).__name__}: {exc}"))
                else:
                    raise
        # Alerts raised in the transaction wait for its commit (lifecycle.hooks).
        with hooks.collect() as notices:
            with write_transaction(self.engine) as conn:
                result = store_batch(conn, processed) if processed else BatchResult()
                if result.events_by_issue:
                    rules = {pid: c.severity_rules for pid, c in configs.items()}
                    after_batch(conn, result, rules)
                add_user_reports(conn, reports)
                for message, check_in in check_ins:
                    refused = record_check_in(conn, check_in)
                    if refused is not None:
                        dead.append(_dead_letter(message, refused))
                add_session_counts(conn, sessions)
                add_dead_letters(conn, dead)
            self.queue.ack([m.id for m in messages])
        hooks.fire([*_new_issues(result), *notices])
        self.stats.batches += 1
        self.stats.stored += result.stored
        self.stats.duplicates += result.duplicates
        self.stats.dead_letters += len(dead)
        self.stats.last_batch_at = time.time()
        record_digest_batch(
            [m.received_at for m in messages],
            committed_at=self.stats.last_batch_at,
            seconds=time.perf_counter() - started,
            stored=result.stored,
            duplicates=result.duplicates,
            dead_letters=len(dead),
        )
        for letter in dead:
            log.warning("dead letter %s: %s", letter.event_id, letter.reason)

    def _sweep_if_due(self) -> None:
        if time.monotonic() < self._next_sweep:
            return
        self._next_sweep = time.monotonic() + IGNORE_SWEEP_SECONDS
        # However many workers run, one of them sweeps each period: the lease lapses
        # just before the next period so that any worker alive then can take it.
        with write_transaction(self.engine) as conn:
            mine = job_leases.take(
                conn, SWEEP_LEASE, self.owner, clock.now(), IGNORE_SWEEP_SECONDS * 0.9
            )
        if mine:
            self.sweep()

    def sweep(self) -> int:
        """End the ignores whose time has passed (issues that stay quiet get no
        event to check them); returns how many."""
        if self.retention is not None:  # hourly, once across workers (its own lease)
            run_retention_if_due(self.engine, self.retention, clock.now())
        with write_transaction(self.engine) as conn:
            # Cron monitors' missed and overrun runs are written here too, so that
            # their pages show them even when no alert rule watches the monitor.
            mark_overdue(conn, clock.now())
            forget_session_marks(conn, clock.now())
            return unignore_expired(conn, clock.now())

    def _fail(self, message: InboxMessage, reason: str) -> None:
        if message.attempts < self.max_attempts:
            self.queue.release([message.id])
            return
        with write_transaction(self.engine) as conn:
            add_dead_letters(conn, [_dead_letter(message, reason)])
        self.queue.ack([message.id])
        self.stats.dead_letters += 1
        record_dead_letters(1)
        log.warning(
            "dead letter %s after %d attempts: %s", message.event_id, message.attempts, reason
        )

    def _configs_for(self, project_ids: set[int]) -> dict[int, ProjectConfig]:
        """The batch's project settings, read once per batch so a change applies to
        the very next batch; parsing is cached on the settings' text."""
        with read_connection(self.engine) as conn:
            rows = project_settings(conn, project_ids)
        outdated = {
            pid: s for pid, s in rows.items() if s.grouping_version != grouping.DEFAULT_VERSION
        }
        if outdated:
            rows.update(self._upgrade_grouping(outdated))
        now = time.time()
        return {pid: self._parsed(settings, now) for pid, settings in rows.items()}

    def _upgrade_grouping(self, outdated: dict[int, ProjectSettings]) -> dict[int, ProjectSettings]:
        """Move projects to the latest algorithm, keeping the one they used as the
        secondary for the transition period (a new project has none to keep)."""
        version = grouping.DEFAULT_VERSION
        upgraded: dict[int, ProjectSettings] = {}
        with write_transaction(self.engine) as conn:
            for pid, settings in outdated.items():
                previous = settings.grouping_version
                if previous not in grouping.GROUPING_VERSIONS or not self.grouping_transition:
                    previous = None
                until = time.time() + self.grouping_transition if previous else None
                switch_grouping_version(conn, pid, version=version, previous=previous, until=until)
                upgraded[pid] = replace(
                    settings,
                    grouping_version=version,
                    secondary_grouping_version=previous,
                    secondary_grouping_until=until,
                )
                log.info("project %s: grouping %s -> %s", settings.slug, previous, version)
        return upgraded

    def _parsed(self, settings: ProjectSettings, now: float) -> ProjectConfig:
        secondary = settings.secondary_grouping_version
        if (
            secondary not in grouping.GROUPING_VERSIONS
            or (settings.secondary_grouping_until or 0.0) <= now
        ):
            secondary = None
        key = (
            settings.scrub_config,
            settings.fingerprint_rules,
            settings.in_app_rules,
            settings.grouping_version,
            secondary,
            settings.severity_rules,
        )
        cached = self._configs.get(key)
        if cached is not None:
            return cached
        if len(self._configs) > 1000:
            self._configs.clear()
        config = project_config(settings)
        config = self._configs[key] = replace(
            config,
            grouping_version=settings.grouping_version,
            secondary_grouping_version=secondary,
            severity_rules=settings.severity_rules,
        )
        return config


def project_config(settings: ProjectSettings) -> ProjectConfig:
    """Parse stored settings; a bad one (the API validates, so only an old row) is
    logged and replaced by the default rather than stopping the digest."""
    scrub = ScrubConfig()
    rules: tuple[FingerprintRule, ...] = ()
    in_app = InAppRules()
    try:
        if settings.scrub_config:
            scrub = ScrubConfig.from_json(orjson.loads(settings.scrub_config))
    except ValueError as exc:
        log.error("project %s: bad scrub config, using defaults: %s", settings.slug, exc)
    try:
        if settings.fingerprint_rules:
            rules = parse_rules(settings.fingerprint_rules)
    except RuleSyntaxError as exc:
        log.error("project %s: bad fingerprint rules, ignoring them: %s", settings.slug, exc)
    try:
        if settings.in_app_rules:
            in_app = InAppRules.from_json(orjson.loads(settings.in_app_rules))
    except ValueError as exc:
        log.error("project %s: bad in-app rules, ignoring them: %s", settings.slug, exc)
    return ProjectConfig(scrub=scrub, fingerprint_rules=rules, in_app_rules=in_app)


def _lost_a_race(exc: Exception) -> bool:
    """A deadlock or serialization failure (SQLSTATE 40P01/40001): the database is
    fine, the transaction just has to run again."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in ("40P01", "40001")


def _which(exc: Exception) -> str:
    return "queue" if isinstance(exc, QueueUnavailable) else "database"


def _new_issues(result: BatchResult) -> list[hooks.NewIssue]:
    return [
        hooks.NewIssue(issue_id, result.events_by_issue[issue_id][0].project_id)
        for issue_id in result.new_issue_ids
        if result.events_by_issue.get(issue_id)
    ]


def _dead_letter(message: InboxMessage, reason: str) -> DeadLetter:
    meta = message.meta
    return DeadLetter(
        project_id=message.project_id,
        event_id=message.event_id,
        kind=message.kind,
        payload=message.payload,
        meta={"client_ip": meta.client_ip, "user_agent": meta.user_agent, "sent_at": meta.sent_at},
        reason=reason,
        attempts=message.attempts,
    )
