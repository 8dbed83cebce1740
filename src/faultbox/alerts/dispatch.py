"""Send what the outbox holds: claim due deliveries with a lease, send each through its
channel, record the outcome; retry transient failures with backoff; group a storm.

Delivery is at least once. A sender killed between "sent" and "recorded" leaves its
rows ``sending``; once the lease runs out another sender sends them again with the
same dedup key (PagerDuty ``dedup_key``, Opsgenie ``alias``, the webhook's
``Idempotency-Key``), so the services that support it see one alert. Chat and email
have no such key: there a crash in that second can repeat one message.

Storms: a channel gets at most ``storm_limit`` trigger messages per
``storm_window_seconds``. When more are due, the budget's last slot carries one
message listing the rest; with no budget left they wait for the window to move.
Digest-email channels always get one message listing everything due.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import Connection, Engine

from faultbox import clock
from faultbox.alerts import incidents, outbox
from faultbox.alerts.channels import CHANNELS
from faultbox.alerts.channels.base import DeliveryResult, Notification, excerpt
from faultbox.alerts.secrets import UnreadableSecrets, unseal
from faultbox.alerts.storm import storm_message
from faultbox.config import Settings
from faultbox.observe.metrics import record_alert_send
from faultbox.store import alert_channels, alert_deliveries, issue_tickets
from faultbox.store.alert_channels import ChannelRow
from faultbox.store.alert_deliveries import FAILED, GROUPED, PENDING, SENT, DeliveryRow
from faultbox.store.db import read_connection, write_transaction

log = logging.getLogger(__name__)

LEASE_SECONDS = 120.0  # longer than a send can take (10 s per phase, a few phases)
BACKOFF_BASE = 10.0
BACKOFF_MAX = 900.0
STORM_MAX_ROWS = 20_000  # grouped into one storm message at most
TICKET_KINDS = frozenset({"github", "gitlab", "jira"})
_TIMELINE = {"trigger": "paged", "acknowledge": "acknowledged on", "resolve": "resolved on"}


def backoff(attempts: int, retry_after: float | None, rng: random.Random) -> float:
    """Seconds before the next try: 10 s doubling up to 15 min, ±20 % jitter so a
    recovering service is not hit by every retry at once; never sooner than the
    service's Retry-After."""
    delay = min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX) * rng.uniform(0.8, 1.2)
    return float(max(delay, retry_after or 0.0))


@dataclass(frozen=True, slots=True)
class _Send:
    row: DeliveryRow
    channel: ChannelRow
    notification: Notification


def _as_sent(channel: ChannelRow, rows: Sequence[DeliveryRow]) -> list[_Send]:
    """Rows that go out as they were enqueued, one message each."""
    return [_Send(r, channel, outbox.loads(r.notification)) for r in rows]


class Dispatcher:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        owner: str | None = None,
        batch_size: int = 50,
        send_timeout: float = 10.0,
    ) -> None:
        self.engine = engine
        self.secret_key = settings.secret_key.value
        self.public_url = settings.public_url
        self.max_attempts = settings.alert_max_attempts
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.batch_size = batch_size
        self.send_timeout = send_timeout
        self.rng = random.Random()

    def run_once(self, now: float | None = None) -> int:
        """Send what is due; returns how many messages went out (or failed)."""
        at = clock.now() if now is None else now
        sends = self._claim(at)
        for send in sends:
            self._deliver(send, at)
        return len(sends)

    # -- claiming --------------------------------------------------------------------

    def _claim(self, now: float) -> list[_Send]:
        with write_transaction(self.engine) as conn:
            due = alert_deliveries.due_rows(conn, now, self.batch_size)
            taken = set(
                alert_deliveries.lease(
                    conn, [r.id for r in due], self.owner, now, now + LEASE_SECONDS
                )
            )
            # The lease counted this claim as an attempt.
            rows = [replace(r, attempts=r.attempts + 1) for r in due if r.id in taken]
            channels = alert_channels.channels_by_id(conn, sorted({r.channel_id for r in rows}))
            by_channel: dict[int, list[DeliveryRow]] = defaultdict(list)
            for row in rows:
                by_channel[row.channel_id].append(row)
            sends: list[_Send] = []
            for channel_id, channel_rows in by_channel.items():
                channel = channels.get(channel_id)
                if channel is None:  # deleted meanwhile: its rows went with it
                    continue
                sends.extend(self._plan(conn, channel, channel_rows, now))
            return sends

    def _plan(
        self, conn: Connection, channel: ChannelRow, rows: list[DeliveryRow], now: float
    ) -> list[_Send]:
        """Which rows go out one by one, which ride in one storm message, which wait."""
        triggers = [r for r in rows if r.kind == "trigger"]
        others = _as_sent(channel, [r for r in rows if r.kind != "trigger"])
        if channel.kind in TICKET_KINDS:
            # One ticket per issue: a storm message would open one ticket for none.
            return _as_sent(channel, rows)
        if channel.role == "digest_email":
            if len(triggers) <= 1:
                return others + _as_sent(channel, triggers)
            return others + [self._group(conn, channel, triggers, now)]
        window = float(channel.storm_window_seconds)
        recent = alert_deliveries.sent_since(conn, channel.id, now - window)
        budget = channel.storm_limit - len(recent)
        singles: list[DeliveryRow]
        grouped: list[DeliveryRow]
        held: list[DeliveryRow]
        if len(triggers) <= budget:
            singles, grouped, held = triggers, [], []
        elif budget >= 1:
            singles, grouped, held = triggers[: budget - 1], triggers[budget - 1 :], []
        else:
            singles, grouped, held = [], [], triggers
        if held:
            until = recent[0] + window
            alert_deliveries.hold(conn, [r.id for r in held], self.owner, until, now)
            alert_deliveries.postpone_triggers(conn, channel.id, now, until)
        sends = others + _as_sent(channel, singles)
        if len(grouped) == 1:
            sends += _as_sent(channel, grouped)
        elif grouped:
            sends.append(self._group(conn, channel, grouped, now))
        return sends

    def _group(
        self, conn: Connection, channel: ChannelRow, rows: Sequence[DeliveryRow], now: float
    ) -> _Send:
        """One new delivery carrying ``rows`` and every other due trigger of the channel
        (all marked grouped into it), leased by us."""
        claimed = {r.id for r in rows}
        more = [
            r
            for r in alert_deliveries.due_triggers(conn, channel.id, now, STORM_MAX_ROWS)
            if r.id not in claimed
        ]
        taken = set(
            alert_deliveries.lease(conn, [r.id for r in more], self.owner, now, now + LEASE_SECONDS)
        )
        rows = [*rows, *(r for r in more if r.id in taken)]
        notifications = [outbox.loads(r.notification) for r in rows]
        digest = storm_message(notifications, channel)
        storm = self._enqueue_leased(conn, channel, digest, f"storm:{min(r.id for r in rows)}", now)
        for row in rows:
            alert_deliveries.record(
                conn,
                row.id,
                self.owner,
                status=GROUPED,
                now=now,
                grouped_into=storm.row.id,
                response=f"sent within storm message {storm.row.id}",
            )
        return storm

    def _enqueue_leased(
        self,
        conn: Connection,
        channel: ChannelRow,
        notification: Notification,
        key: str,
        now: float,
    ) -> _Send:
        """A new delivery (a storm message, a test), leased by us to send at once."""
        delivery_id = outbox.enqueue(
            conn,
            notification,
            project_id=channel.project_id,
            channel_id=channel.id,
            idempotency_key=key,
            now=now,
        )
        assert delivery_id is not None, "the caller's key is new"
        alert_deliveries.lease(conn, [delivery_id], self.owner, now, now + LEASE_SECONDS)
        row = DeliveryRow(
            id=delivery_id,
            project_id=channel.project_id,
            channel_id=channel.id,
            firing_id=None,
            incident_id=None,
            issue_id=None,
            kind=notification.kind,
            idempotency_key=key,
            notification=outbox.dumps(notification),
            status="sending",
            attempts=1,
            next_attempt_at=now,
            created_at=now,
        )
        return _Send(row, channel, notification)

    def send_test(self, channel_id: int, now: float) -> DeliveryResult:
        """Send a test message to one channel now (recorded in the outbox like any
        other, never retried). LookupError when the channel does not exist."""
        with write_transaction(self.engine) as conn:
            channel = alert_channels.get_channel(conn, channel_id)
            if channel is None:
                raise LookupError(f"no channel {channel_id}")
            notification = Notification(
                kind="test",
                title="Test notification from Faultbox",
                text=f"This is a test of the channel {channel.name!r}. If you read this, it works.",
                dedup_key=f"faultbox-test-{channel.id}-{uuid.uuid4().hex[:12]}",
                url=self.public_url,
            )
            send = self._enqueue_leased(
                conn, channel, notification, f"test:{uuid.uuid4().hex}", now
            )
        return self._deliver(send, now)

    # -- sending ---------------------------------------------------------------------

    def _deliver(self, send: _Send, now: float) -> DeliveryResult:
        result = self._send(self._with_open_ticket(send))
        self._record(send, result, now)
        return result

    def _with_open_ticket(self, send: _Send) -> _Send:
        """A trigger queued before an earlier one for the same issue opened its ticket
        comments on that ticket instead of opening a second one."""
        row = send.row
        if (
            send.channel.kind not in TICKET_KINDS
            or row.kind != "trigger"
            or row.issue_id is None
            or send.notification.reference
        ):
            return send
        with read_connection(self.engine) as conn:
            ticket = issue_tickets.ticket_for(conn, row.issue_id, send.channel.id)
        if ticket is None or ticket.state != "open":
            return send
        return replace(send, notification=replace(send.notification, reference=ticket.reference))

    def _send(self, send: _Send) -> DeliveryResult:
        channel = send.channel
        if not channel.enabled and send.row.kind != "test":
            return DeliveryResult(ok=False, response="channel disabled", permanent=True)
        implementation = CHANNELS.get(channel.kind)
        if implementation is None:
            return DeliveryResult(
                ok=False, response=f"unknown channel kind {channel.kind!r}", permanent=True
            )
        try:
            secrets = unseal(self.secret_key, channel.sealed_secrets)
        except UnreadableSecrets as error:
            return DeliveryResult(ok=False, response=str(error), permanent=True)
        notification = replace(
            send.notification, delivery_key=f"{channel.id}:{send.row.idempotency_key}"
        )
        try:
            return implementation.send(
                notification, channel.config, secrets, timeout=self.send_timeout
            )
        except Exception as error:  # a channel bug must not stop the outbox
            log.exception("channel %s (%s) raised", channel.id, channel.kind)
            return DeliveryResult(ok=False, response=excerpt(f"{type(error).__name__}: {error}"))

    def _record(self, send: _Send, result: DeliveryResult, now: float) -> None:
        row, channel = send.row, send.channel
        attempts = row.attempts
        retry = result.transient and attempts < self.max_attempts and row.kind != "test"
        status = SENT if result.ok else (PENDING if retry else FAILED)
        record_alert_send(channel.kind, "retry" if status == PENDING else status)
        with write_transaction(self.engine) as conn:
            recorded = alert_deliveries.record(
                conn,
                row.id,
                self.owner,
                status=status,
                now=now,
                status_code=result.status_code,
                response=result.response,
                next_attempt_at=now + backoff(attempts, result.retry_after, self.rng)
                if retry
                else None,
                reference=result.reference,
                link=result.link,
            )
            if not recorded:
                log.warning("delivery %s was taken over by another sender; not recording", row.id)
                return
            if row.incident_id is not None and status != PENDING:
                verb = _TIMELINE.get(row.kind, row.kind) if result.ok else f"{row.kind} failed on"
                incidents.note_delivery(
                    conn, row.incident_id, channel.id, verb, f"{channel.name} ({channel.kind})", now
                )
            if result.ok and row.issue_id is not None and channel.kind in TICKET_KINDS:
                self._keep_ticket(conn, send, result, now)
        if status == FAILED:
            log.warning(
                "alert delivery %s to %s failed for good: %s", row.id, channel.name, result.response
            )

    def _keep_ticket(
        self, conn: Connection, send: _Send, result: DeliveryResult, now: float
    ) -> None:
        assert send.row.issue_id is not None
        if send.row.kind == "trigger" and result.reference:
            issue_tickets.record_ticket(
                conn,
                issue_id=send.row.issue_id,
                channel_id=send.channel.id,
                provider=send.channel.kind,
                reference=result.reference,
                url=result.link,
                state="open",
                now=now,
            )
        elif send.row.kind == "resolve" and result.reference:
            issue_tickets.set_state(conn, send.row.issue_id, send.channel.id, "closed", now)


def send_test(
    engine: Engine, settings: Settings, channel_id: int, now: float | None = None
) -> DeliveryResult:
    """:meth:`Dispatcher.send_test` by a sender of its own."""
    dispatcher = Dispatcher(engine, settings, owner=f"test:{uuid.uuid4().hex}")
    return dispatcher.send_test(channel_id, clock.now() if now is None else now)
