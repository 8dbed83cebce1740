"""Incidents: a firing at P1 or above opens one (or joins the open one for the same
pager key), and every message sent for it lands in its timeline."""

from __future__ import annotations

from sqlalchemy import Connection

from faultbox.alerts.model import Firing
from faultbox.store import incidents as store
from faultbox.store.alert_rules import RuleRow

PAGING_SEVERITIES = ("P0", "P1")


def opens_incident(severity: str) -> bool:
    return severity in PAGING_SEVERITIES


def open_for_firing(
    conn: Connection, firing: Firing, rule: RuleRow, *, title: str, dedup_key: str, now: float
) -> tuple[int, bool]:
    """The incident's id, and whether it is new. A firing for a page still open (same
    pager key: same rule and subject) joins it instead of opening another."""
    current = store.unresolved_for_dedup_key(conn, dedup_key)
    if current is not None:
        store.add_event(conn, current.id, "fired again", now, detail=firing.explanation)
        return current.id, False
    first_escalation = rule.escalation[0] if rule.escalation else None
    incident_id = store.open_incident(
        conn,
        project_id=rule.project_id,
        issue_id=firing.issue_id,
        rule_id=rule.id,
        firing_id=firing.firing_id,
        severity=firing.severity,
        title=title,
        dedup_key=dedup_key,
        now=now,
        next_escalation_at=(
            now + float(first_escalation["after_minutes"]) * 60.0 if first_escalation else None
        ),
    )
    store.add_event(conn, incident_id, "opened", now, detail=firing.explanation)
    return incident_id, True


def note_delivery(
    conn: Connection, incident_id: int, channel_id: int, kind: str, detail: str, now: float
) -> None:
    """A message for the incident reached a channel (or finally failed to)."""
    store.add_event(conn, incident_id, kind, now, detail=detail, channel_id=channel_id)
