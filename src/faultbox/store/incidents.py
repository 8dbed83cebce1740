"""Incidents and their timeline (alerts/incidents.py decides when)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, or_, select, update

from faultbox.store.schema import (
    alert_channels,
    alert_deliveries,
    incident_events,
    incidents,
    issues,
    users,
)

OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"


@dataclass(frozen=True, slots=True)
class IncidentRow:
    id: int
    project_id: int
    issue_id: int | None
    rule_id: int | None
    firing_id: int | None
    severity: str
    title: str
    status: str
    dedup_key: str
    opened_at: float
    acknowledged_at: float | None
    acknowledged_by: int | None
    resolved_at: float | None
    escalation_level: int
    next_escalation_at: float | None


def open_incident(
    conn: Connection,
    *,
    project_id: int,
    issue_id: int | None,
    rule_id: int | None,
    firing_id: int | None,
    severity: str,
    title: str,
    dedup_key: str,
    now: float,
    next_escalation_at: float | None,
) -> int:
    result = conn.execute(
        incidents.insert().values(
            project_id=project_id,
            issue_id=issue_id,
            rule_id=rule_id,
            firing_id=firing_id,
            severity=severity,
            title=title[:500],
            status=OPEN,
            dedup_key=dedup_key,
            opened_at=now,
            escalation_level=0,
            next_escalation_at=next_escalation_at,
        )
    )
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def get_incident(conn: Connection, incident_id: int) -> IncidentRow | None:
    row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
    return incident_row(row._mapping) if row is not None else None


def unresolved_for_dedup_key(conn: Connection, dedup_key: str) -> IncidentRow | None:
    row = conn.execute(
        select(incidents)
        .where(incidents.c.dedup_key == dedup_key, incidents.c.status != RESOLVED)
        .order_by(incidents.c.id.desc())
        .limit(1)
    ).first()
    return incident_row(row._mapping) if row is not None else None


def add_event(
    conn: Connection,
    incident_id: int,
    kind: str,
    now: float,
    *,
    detail: str = "",
    user_id: int | None = None,
    channel_id: int | None = None,
) -> None:
    conn.execute(
        incident_events.insert().values(
            incident_id=incident_id,
            at=now,
            kind=kind,
            detail=detail[:4000],
            user_id=user_id,
            channel_id=channel_id,
        )
    )


def timeline(conn: Connection, incident_id: int) -> list[dict[str, Any]]:
    """Oldest first, with the person's email and the channel's name (None when there
    was none, or it has been deleted since)."""
    e = incident_events.c
    rows = conn.execute(
        select(
            incident_events,
            users.c.email.label("user_email"),
            alert_channels.c.name.label("channel_name"),
        )
        .outerjoin(users, users.c.id == e.user_id)
        .outerjoin(alert_channels, alert_channels.c.id == e.channel_id)
        .where(e.incident_id == incident_id)
        .order_by(e.at, e.id)
    )
    return [dict(r._mapping) for r in rows]


# -- state changes: each one conditional on the state it leaves, so two workers (or a
# -- person and the link in a page) racing change it once and only one writes the
# -- timeline entry and enqueues the messages.


def mark_acknowledged(
    conn: Connection, incident_id: int, *, user_id: int | None, now: float
) -> bool:
    changed = conn.execute(
        update(incidents)
        .where(incidents.c.id == incident_id, incidents.c.status == OPEN)
        .values(
            status=ACKNOWLEDGED,
            acknowledged_at=now,
            acknowledged_by=user_id,
            next_escalation_at=None,
        )
    )
    return changed.rowcount > 0


def mark_resolved(conn: Connection, incident_id: int, *, now: float) -> bool:
    changed = conn.execute(
        update(incidents)
        .where(incidents.c.id == incident_id, incidents.c.status != RESOLVED)
        .values(status=RESOLVED, resolved_at=now, next_escalation_at=None)
    )
    return changed.rowcount > 0


def mark_escalated(
    conn: Connection, incident_id: int, *, from_level: int, next_escalation_at: float | None
) -> bool:
    changed = conn.execute(
        update(incidents)
        .where(
            incidents.c.id == incident_id,
            incidents.c.status == OPEN,
            incidents.c.escalation_level == from_level,
        )
        .values(escalation_level=from_level + 1, next_escalation_at=next_escalation_at)
    )
    return changed.rowcount > 0


def stop_escalation(conn: Connection, incident_id: int) -> None:
    conn.execute(
        update(incidents).where(incidents.c.id == incident_id).values(next_escalation_at=None)
    )


def acknowledge_issue(conn: Connection, issue_id: int, now: float) -> bool:
    """The issue's first human action, if it had none yet (the response-time target)."""
    changed = conn.execute(
        update(issues)
        .where(issues.c.id == issue_id, issues.c.acknowledged_at.is_(None))
        .values(acknowledged_at=now)
    )
    return changed.rowcount > 0


# -- reads for the escalation and resolution jobs --------------------------------------


def due_for_escalation(conn: Connection, now: float, limit: int = 100) -> list[IncidentRow]:
    c = incidents.c
    rows = conn.execute(
        select(incidents)
        .where(c.status == OPEN, c.next_escalation_at <= now)
        .order_by(c.next_escalation_at, c.id)
        .limit(limit)
    )
    return [incident_row(r._mapping) for r in rows]


def unresolved_with_issue_in(
    conn: Connection, statuses: Sequence[str], limit: int = 100
) -> list[IncidentRow]:
    """Incidents not resolved yet whose issue has one of ``statuses`` (fixed ones)."""
    c = incidents.c
    rows = conn.execute(
        select(incidents)
        .join(issues, issues.c.id == c.issue_id)
        .where(c.status != RESOLVED, issues.c.status.in_(list(statuses)))
        .order_by(c.id)
        .limit(limit)
    )
    return [incident_row(r._mapping) for r in rows]


def trigger_deliveries(conn: Connection, incident_id: int) -> list[dict[str, Any]]:
    """The triggers enqueued for the incident (first page and escalations), oldest
    first, with the channel's role: who has to hear it was acknowledged or resolved."""
    d = alert_deliveries.c
    rows = conn.execute(
        select(
            d.id,
            d.channel_id,
            d.notification,
            d.status,
            alert_channels.c.role,
            alert_channels.c.name.label("channel_name"),
        )
        .join(alert_channels, alert_channels.c.id == d.channel_id)
        .where(d.incident_id == incident_id, d.kind == "trigger")
        .order_by(d.id)
    )
    return [dict(r._mapping) for r in rows]


def withdraw_pending_triggers(conn: Connection, incident_id: int, now: float, reason: str) -> int:
    """Pages of the incident still waiting in the outbox (held by a storm limit or
    backing off after a failure) are not sent once it is acknowledged or resolved:
    an acknowledgement overtaking its trigger would leave the pager's alert open.
    They are recorded as failed with the reason; returns how many."""
    d = alert_deliveries.c
    changed = conn.execute(
        update(alert_deliveries)
        .where(d.incident_id == incident_id, d.kind == "trigger", d.status == "pending")
        .values(status="failed", response=reason, updated_at=now)
    )
    return changed.rowcount


# -- reads for the API and the dashboard ---------------------------------------------


def _listing() -> Any:
    return (
        select(
            incidents,
            users.c.email.label("acknowledged_by_email"),
            issues.c.short_id.label("issue_short_id"),
            issues.c.title.label("issue_title"),
            issues.c.status.label("issue_status"),
        )
        .outerjoin(users, users.c.id == incidents.c.acknowledged_by)
        .outerjoin(issues, issues.c.id == incidents.c.issue_id)
    )


def project_incidents(
    conn: Connection,
    project_id: int,
    *,
    status: str | None = None,
    limit: int = 50,
    before: tuple[float, int] | None = None,
) -> list[dict[str, Any]]:
    """Newest first; ``before`` is the (opened_at, id) of the previous page's last row."""
    c = incidents.c
    query = _listing().where(c.project_id == project_id)
    if status is not None:
        query = query.where(c.status == status)
    if before is not None:
        opened_at, row_id = before
        query = query.where(
            or_(c.opened_at < opened_at, and_(c.opened_at == opened_at, c.id < row_id))
        )
    rows = conn.execute(query.order_by(c.opened_at.desc(), c.id.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]


def incident_detail(conn: Connection, incident_id: int) -> dict[str, Any] | None:
    row = conn.execute(_listing().where(incidents.c.id == incident_id)).first()
    return dict(row._mapping) if row is not None else None


def incidents_of_issue(conn: Connection, issue_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """Newest first."""
    c = incidents.c
    rows = conn.execute(
        _listing()
        .where(c.issue_id == issue_id)
        .order_by(c.opened_at.desc(), c.id.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


def incident_row(row: RowMapping) -> IncidentRow:
    return IncidentRow(
        id=int(row["id"]),
        project_id=int(row["project_id"]),
        issue_id=row["issue_id"],
        rule_id=row["rule_id"],
        firing_id=row["firing_id"],
        severity=row["severity"],
        title=row["title"],
        status=row["status"],
        dedup_key=row["dedup_key"],
        opened_at=float(row["opened_at"]),
        acknowledged_at=row["acknowledged_at"],
        acknowledged_by=row["acknowledged_by"],
        resolved_at=row["resolved_at"],
        escalation_level=int(row["escalation_level"]),
        next_escalation_at=row["next_escalation_at"],
    )
