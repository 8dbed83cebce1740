"""Incidents: a firing at P1 or above opens one (or joins the open one for the same
pager key), and every message sent for it lands in its timeline.

An open incident escalates level by level (the rule's ``escalation``) until someone
acknowledges it, from the dashboard, the API or the signed link in the page; it is
resolved with its issue (or by hand). Acknowledging and resolving tell every channel
that was paged, with the trigger's dedup key, so the pager's own incident follows.
Each change is conditional on the state it leaves (store/incidents.py): racing
callers change it once, and only that one writes the timeline and enqueues messages.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Literal

from sqlalchemy import Connection, select

from faultbox.alerts import outbox
from faultbox.alerts.channels.base import Kind, Notification
from faultbox.alerts.model import Firing
from faultbox.lifecycle.status import FIXED
from faultbox.store import alert_channels, alert_rules
from faultbox.store import incidents as store
from faultbox.store.activity import Activity, record
from faultbox.store.alert_rules import RuleRow
from faultbox.store.incidents import IncidentRow
from faultbox.store.schema import projects, users

PAGING_SEVERITIES = ("P0", "P1")
Via = Literal["dashboard", "api", "link"]
AckUrl = Callable[[int], str]  # incident id → a signed acknowledge link
# Tickets follow the issue (alerts/tickets.py closes them) and digest emails wait for
# their hour: neither hears about a page being acknowledged or resolved.
_NOT_TOLD = ("ticket", "digest_email")


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
    if firing.issue_id is not None:
        _issue_activity(
            conn,
            firing.issue_id,
            rule.project_id,
            now,
            old=None,
            new=store.OPEN,
            note=f"incident {incident_id} opened ({firing.severity}, rule {rule.name})",
        )
    return incident_id, True


def note_delivery(
    conn: Connection, incident_id: int, channel_id: int, kind: str, detail: str, now: float
) -> None:
    """A message for the incident reached a channel (or finally failed to)."""
    store.add_event(conn, incident_id, kind, now, detail=detail, channel_id=channel_id)


# -- acknowledging and resolving -------------------------------------------------------


def acknowledge(
    conn: Connection,
    incident_id: int,
    *,
    now: float,
    user_id: int | None = None,
    via: Via = "dashboard",
) -> bool:
    """Open → acknowledged: escalation stops, the paged channels are told. False when
    it was not open (already acknowledged, resolved, or no such incident)."""
    if not store.mark_acknowledged(conn, incident_id, user_id=user_id, now=now):
        return False
    incident = store.get_incident(conn, incident_id)
    assert incident is not None
    who = _email(conn, user_id)
    detail = f"acknowledged by {who} via {via}" if who else f"acknowledged via {via}"
    store.add_event(conn, incident_id, "acknowledged", now, detail=detail, user_id=user_id)
    if incident.issue_id is not None:
        store.acknowledge_issue(conn, incident.issue_id, now)
        _issue_activity(
            conn,
            incident.issue_id,
            incident.project_id,
            now,
            old=store.OPEN,
            new=store.ACKNOWLEDGED,
            note=f"incident {incident_id} {detail}",
            user_id=user_id,
        )
    _tell_paged(conn, incident, "acknowledge", f"ack:{incident_id}", _sentence(detail), now)
    return True


def resolve(
    conn: Connection,
    incident_id: int,
    *,
    now: float,
    user_id: int | None = None,
    via: str = "dashboard",
) -> bool:
    """Resolve the incident (not its issue); False when it already was (or is gone)."""
    incident = store.get_incident(conn, incident_id)
    if incident is None:
        return False
    who = _email(conn, user_id)
    detail = f"resolved by {who} via {via}" if who else f"resolved via {via}"
    return _resolve(conn, incident, now, detail, user_id) is not None


def resolve_for_resolved_issues(conn: Connection, now: float, *, public_url: str) -> int:
    """Resolve the incidents whose issue is fixed (resolved, verified or closed), and
    resolve their pages; returns how many deliveries were enqueued."""
    enqueued = 0
    for incident in store.unresolved_with_issue_in(conn, sorted(FIXED)):
        enqueued += _resolve(conn, incident, now, "resolved with its issue", None) or 0
    return enqueued


def _resolve(
    conn: Connection, incident: IncidentRow, now: float, detail: str, user_id: int | None
) -> int | None:
    """How many resolve deliveries were enqueued; None when it was resolved already."""
    if not store.mark_resolved(conn, incident.id, now=now):
        return None
    store.add_event(conn, incident.id, "resolved", now, detail=detail, user_id=user_id)
    if incident.issue_id is not None:
        _issue_activity(
            conn,
            incident.issue_id,
            incident.project_id,
            now,
            old=incident.status,
            new=store.RESOLVED,
            note=f"incident {incident.id} {detail}",
            user_id=user_id,
        )
    return _tell_paged(conn, incident, "resolve", f"resolve:{incident.id}", _sentence(detail), now)


def _tell_paged(
    conn: Connection, incident: IncidentRow, kind: Kind, key: str, text: str, now: float
) -> int:
    """Enqueue ``kind`` to every channel that was sent a trigger for the incident, as
    that trigger with the same dedup key (so the pager acknowledges/resolves it).
    Triggers not sent yet are withdrawn instead (nobody needs paging any more)."""
    verb = "acknowledged" if kind == "acknowledge" else "resolved"
    store.withdraw_pending_triggers(
        conn, incident.id, now, f"not sent: the incident was {verb} first"
    )
    enqueued = 0
    told: set[int] = set()
    for delivery in store.trigger_deliveries(conn, incident.id):
        if delivery["channel_id"] in told or delivery["role"] in _NOT_TOLD:
            continue
        if delivery["status"] == "failed":  # never reached the channel: nothing to undo
            continue
        told.add(delivery["channel_id"])
        trigger = outbox.loads(delivery["notification"])
        message = dataclasses.replace(
            trigger, kind=kind, dedup_key=incident.dedup_key, ack_url="", text=text
        )
        delivery_id = outbox.enqueue(
            conn,
            message,
            project_id=incident.project_id,
            channel_id=delivery["channel_id"],
            idempotency_key=key,
            now=now,
            firing_id=incident.firing_id,
            incident_id=incident.id,
            issue_id=incident.issue_id,
        )
        enqueued += delivery_id is not None
    return enqueued


# -- escalation ----------------------------------------------------------------------


def escalate_due(
    conn: Connection, now: float, *, public_url: str, ack_url: AckUrl | None = None
) -> int:
    """Move every open incident whose acknowledgement time ran out to its rule's next
    escalation level: page that level's channels with the first page's notification
    (with a fresh acknowledge link when ``ack_url`` is given, else the first page's),
    and schedule the level after. Returns how many deliveries were enqueued."""
    enqueued = 0
    for incident in store.due_for_escalation(conn, now):
        enqueued += _escalate(conn, incident, now, public_url, ack_url)
    return enqueued


def _escalate(
    conn: Connection,
    incident: IncidentRow,
    now: float,
    public_url: str,
    ack_url: AckUrl | None,
) -> int:
    rule = alert_rules.get_rule(conn, incident.rule_id) if incident.rule_id else None
    levels = rule.escalation if rule is not None else []
    index = incident.escalation_level  # level N+1 is escalation[N]
    if index >= len(levels):
        # The rule lost its levels (or was deleted) since: nothing more to escalate to.
        store.stop_escalation(conn, incident.id)
        return 0
    following = levels[index + 1] if index + 1 < len(levels) else None
    next_at = now + float(following["after_minutes"]) * 60.0 if following else None
    if not store.mark_escalated(conn, incident.id, from_level=index, next_escalation_at=next_at):
        return 0
    level = index + 1
    wanted = [int(c) for c in levels[index].get("channels", [])]
    found = alert_channels.channels_by_id(conn, wanted)
    channels = [
        found[c]
        for c in wanted
        if c in found and found[c].project_id == incident.project_id and found[c].enabled
    ]
    names = ", ".join(c.name for c in channels) or "no enabled channel"
    store.add_event(conn, incident.id, "escalated", now, detail=f"level {level}: {names}")
    if incident.issue_id is not None:
        _issue_activity(
            conn,
            incident.issue_id,
            incident.project_id,
            now,
            old=None,
            new="escalated",
            note=f"incident {incident.id} escalated to level {level}: {names}",
        )
    minutes = float(levels[index]["after_minutes"])
    message = _first_page(conn, incident, public_url)
    message = dataclasses.replace(
        message,
        kind="trigger",
        text=f"Not acknowledged after {minutes:g} min: escalated to level {level}.\n"
        + message.text,
        ack_url=ack_url(incident.id) if ack_url is not None else message.ack_url,
    )
    enqueued = 0
    for channel in channels:
        delivery_id = outbox.enqueue(
            conn,
            message,
            project_id=incident.project_id,
            channel_id=channel.id,
            idempotency_key=f"escalate:{incident.id}:{level}",
            now=now,
            firing_id=incident.firing_id,
            incident_id=incident.id,
            issue_id=incident.issue_id,
        )
        enqueued += delivery_id is not None
    return enqueued


def _first_page(conn: Connection, incident: IncidentRow, public_url: str) -> Notification:
    """The notification of the incident's first trigger; without one (no channel
    was paged), one made from the incident itself."""
    triggers = store.trigger_deliveries(conn, incident.id)
    if triggers:
        return outbox.loads(triggers[0]["notification"])
    project = conn.execute(
        select(projects.c.slug, projects.c.name).where(projects.c.id == incident.project_id)
    ).one()
    url = (
        f"{public_url}/issues/{incident.issue_id}"
        if incident.issue_id is not None
        else f"{public_url}/projects/{project.slug}/incidents"
    )
    return Notification(
        kind="trigger",
        title=incident.title,
        text="",
        dedup_key=incident.dedup_key,
        project=project.name,
        severity=incident.severity,
        url=url,
    )


# -- helpers -------------------------------------------------------------------------


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]  # not str.capitalize: it lowercases the email


def _email(conn: Connection, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    email = conn.execute(select(users.c.email).where(users.c.id == user_id)).scalar()
    return str(email) if email is not None else None


def _issue_activity(
    conn: Connection,
    issue_id: int,
    project_id: int,
    now: float,
    *,
    old: str | None,
    new: str,
    note: str,
    user_id: int | None = None,
) -> None:
    record(
        conn,
        [
            Activity(
                issue_id=issue_id,
                project_id=project_id,
                kind="incident",
                created_at=now,
                user_id=user_id,
                old_value=old,
                new_value=new,
                note=note,
            )
        ],
    )
