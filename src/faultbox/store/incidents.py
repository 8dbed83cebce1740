"""Incidents and their timeline (alerts/incidents.py decides when)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, select

from faultbox.store.schema import incident_events, incidents

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
    rows = conn.execute(
        select(incident_events)
        .where(incident_events.c.incident_id == incident_id)
        .order_by(incident_events.c.at, incident_events.c.id)
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
