"""The alert outbox: enqueue once per (channel, idempotency key), claim due rows with
a lease, record what the channel answered (alerts/dispatch.py decides)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from faultbox.store.schema import alert_deliveries

PENDING, SENDING, SENT, FAILED, GROUPED = "pending", "sending", "sent", "failed", "grouped"


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    project_id: int
    channel_id: int
    firing_id: int | None
    incident_id: int | None
    issue_id: int | None
    kind: str
    idempotency_key: str
    notification: str  # JSON (alerts/outbox.py)
    status: str
    attempts: int
    next_attempt_at: float
    created_at: float


def enqueue(
    conn: Connection,
    *,
    project_id: int,
    channel_id: int,
    kind: str,
    idempotency_key: str,
    notification: str,
    now: float,
    not_before: float | None = None,
    firing_id: int | None = None,
    incident_id: int | None = None,
    issue_id: int | None = None,
) -> int | None:
    """The new row's id, or None when this channel already has that key."""
    try:
        with conn.begin_nested():
            result = conn.execute(
                alert_deliveries.insert().values(
                    project_id=project_id,
                    channel_id=channel_id,
                    firing_id=firing_id,
                    incident_id=incident_id,
                    issue_id=issue_id,
                    kind=kind,
                    idempotency_key=idempotency_key,
                    notification=notification,
                    status=PENDING,
                    attempts=0,
                    next_attempt_at=now if not_before is None else not_before,
                    response="",
                    created_at=now,
                    updated_at=now,
                )
            )
    except IntegrityError:
        return None
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def _due(now: float) -> Any:
    c = alert_deliveries.c
    return or_(
        and_(c.status == PENDING, c.next_attempt_at <= now),
        # A sender that died mid-send (kill -9): its lease ran out, send again.
        and_(c.status == SENDING, c.lease_until < now),
    )


def due_rows(conn: Connection, now: float, limit: int) -> list[DeliveryRow]:
    query = (
        select(alert_deliveries)
        .where(_due(now))
        .order_by(alert_deliveries.c.next_attempt_at, alert_deliveries.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [_row(r._mapping) for r in conn.execute(query)]


def due_triggers(conn: Connection, channel_id: int, now: float, limit: int) -> list[DeliveryRow]:
    """A channel's due trigger rows (a storm message takes them all at once)."""
    c = alert_deliveries.c
    query = (
        select(alert_deliveries)
        .where(c.channel_id == channel_id, c.kind == "trigger", _due(now))
        .order_by(c.next_attempt_at, c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [_row(r._mapping) for r in conn.execute(query)]


def postpone_triggers(conn: Connection, channel_id: int, now: float, until: float) -> None:
    """Every due pending trigger of a channel waits until ``until`` (its storm window
    moves on): one update instead of claiming and holding them batch by batch."""
    c = alert_deliveries.c
    conn.execute(
        update(alert_deliveries)
        .where(
            c.channel_id == channel_id,
            c.kind == "trigger",
            c.status == PENDING,
            c.next_attempt_at <= now,
        )
        .values(next_attempt_at=until, updated_at=now)
    )


def lease(conn: Connection, ids: Sequence[int], owner: str, now: float, until: float) -> list[int]:
    """Take the leases of those rows still due; returns the ids taken."""
    if not ids:
        return []
    c = alert_deliveries.c
    taken = conn.execute(
        update(alert_deliveries)
        .where(c.id.in_(list(ids)), _due(now))
        .values(
            status=SENDING,
            lease_owner=owner,
            lease_until=until,
            attempts=c.attempts + 1,
            updated_at=now,
        )
        .returning(c.id)
    )
    return [int(i) for i in taken.scalars()]


def record(
    conn: Connection,
    delivery_id: int,
    owner: str,
    *,
    status: str,
    now: float,
    status_code: int | None = None,
    response: str = "",
    next_attempt_at: float | None = None,
    reference: str = "",
    link: str = "",
    grouped_into: int | None = None,
) -> bool:
    """Record the outcome if we still hold the lease (False: another sender took it)."""
    c = alert_deliveries.c
    values: dict[str, Any] = {
        "status": status,
        "status_code": status_code,
        "response": response,
        "lease_owner": None,
        "lease_until": None,
        "updated_at": now,
    }
    if status == SENT:
        values["sent_at"] = now
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    if reference:
        values["reference"] = reference
    if link:
        values["link"] = link
    if grouped_into is not None:
        values["grouped_into"] = grouped_into
    changed = conn.execute(
        update(alert_deliveries)
        .where(c.id == delivery_id, c.status == SENDING, c.lease_owner == owner)
        .values(**values)
    )
    return changed.rowcount > 0


def hold(conn: Connection, ids: Sequence[int], owner: str, until: float, now: float) -> None:
    """Give leased rows back, due again at ``until`` (a storm window's end); the claim
    did not count as an attempt."""
    c = alert_deliveries.c
    conn.execute(
        update(alert_deliveries)
        .where(c.id.in_(list(ids)), c.lease_owner == owner)
        .values(
            status=PENDING,
            next_attempt_at=until,
            attempts=c.attempts - 1,
            lease_owner=None,
            lease_until=None,
            updated_at=now,
        )
    )


def sent_since(conn: Connection, channel_id: int, since: float) -> list[float]:
    """When (after ``since``) this channel was sent messages that count against its storm limit
    (triggers and storm digests; acknowledgements and resolutions do not count)."""
    c = alert_deliveries.c
    rows = conn.execute(
        select(c.sent_at)
        .where(
            c.channel_id == channel_id,
            c.sent_at > since,
            c.status == SENT,
            c.kind == "trigger",
        )
        .order_by(c.sent_at)
    )
    return [float(t) for t in rows.scalars()]


def counts_by_status(conn: Connection, project_id: int | None = None) -> dict[str, int]:
    c = alert_deliveries.c
    query = select(c.status, func.count()).group_by(c.status)
    if project_id is not None:
        query = query.where(c.project_id == project_id)
    return {str(s): int(n) for s, n in conn.execute(query)}


def get(conn: Connection, delivery_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(alert_deliveries).where(alert_deliveries.c.id == delivery_id)).first()
    return dict(row._mapping) if row is not None else None


def project_deliveries(
    conn: Connection, project_id: int, *, limit: int = 50, before_id: int | None = None
) -> list[dict[str, Any]]:
    """Newest first (keyset on id)."""
    c = alert_deliveries.c
    query = select(alert_deliveries).where(c.project_id == project_id)
    if before_id is not None:
        query = query.where(c.id < before_id)
    rows = conn.execute(query.order_by(c.id.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]


def _row(row: Any) -> DeliveryRow:
    return DeliveryRow(
        id=int(row["id"]),
        project_id=int(row["project_id"]),
        channel_id=int(row["channel_id"]),
        firing_id=row["firing_id"],
        incident_id=row["incident_id"],
        issue_id=row["issue_id"],
        kind=row["kind"],
        idempotency_key=row["idempotency_key"],
        notification=row["notification"],
        status=row["status"],
        attempts=int(row["attempts"]),
        next_attempt_at=float(row["next_attempt_at"]),
        created_at=float(row["created_at"]),
    )
