"""From a firing to the outbox: pick the channels (routing by severity, or the rule's
targets), open or join an incident for a page, and enqueue one delivery per channel,
in the transaction that recorded the firing."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from faultbox.alerts import incidents, outbox
from faultbox.alerts.compose import compose
from faultbox.alerts.model import Firing
from faultbox.alerts.routing import CHANNEL, Target, route
from faultbox.model import Frame
from faultbox.query.report import build_report
from faultbox.query.report_frame import AppFrameFinder, FinderForProject
from faultbox.query.report_markdown import render_report
from faultbox.store import alert_channels, alert_rules, issue_tickets
from faultbox.store.alert_channels import ChannelRow

log = logging.getLogger(__name__)
AckUrl = Callable[[int], str]  # incident id → a signed acknowledge link


def innermost_in_app(_rules: str | None, _version: str) -> AppFrameFinder:
    """The report's app frame when the caller has no grouping finder (alerts may not
    import the digest): the innermost frame the SDK marked in-app."""

    def find(frames: Sequence[Frame], _platform: str) -> Frame | None:
        return next((f for f in reversed(frames) if f.in_app), None)

    return find


def ticket_report(conn: Connection, issue_id: int, now: float, finder_for: FinderForProject) -> str:
    """The issue's analysis report in Markdown, for a ticket's body; "" when it cannot
    be built (an unreadable stored event must not hold back the alert itself)."""
    try:
        with conn.begin_nested():
            report = build_report(conn, issue_id, finder_for, now)
    except Exception:
        log.exception("the report of issue %s could not be built for its ticket", issue_id)
        return ""
    return render_report(report) if report is not None else ""


def channels_for(conn: Connection, project_id: int, targets: list[Target]) -> list[ChannelRow]:
    """The project's enabled channels the targets name: a role (pager, chat,
    digest_email) means every channel with that role; an id, that channel."""
    project_channels = [c for c in alert_channels.project_channels(conn, project_id) if c.enabled]
    chosen: dict[int, ChannelRow] = {}
    for target in targets:
        for channel in project_channels:
            if (target.kind == CHANNEL and channel.id == target.channel_id) or (
                target.kind != CHANNEL and channel.role == target.kind
            ):
                chosen.setdefault(channel.id, channel)
    return list(chosen.values())


def next_digest_time(now: float, hour: int) -> float:
    """The next ``hour``:00 UTC after ``now``: when the daily digest email goes out."""
    at = datetime.fromtimestamp(now, tz=UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    if at.timestamp() <= now:
        at += timedelta(days=1)
    return at.timestamp()


def fan_out(
    conn: Connection,
    firing: Firing,
    *,
    now: float,
    public_url: str,
    digest_hour: int = 8,
    ack_url: AckUrl | None = None,
    finder_for: FinderForProject = innermost_in_app,
) -> list[int]:
    """Enqueue the firing's deliveries; returns their ids (none for a rule gone since)."""
    rule = alert_rules.get_rule(conn, firing.rule_id)
    if rule is None or firing.firing_id is None:
        return []
    notification = compose(conn, firing, rule, public_url=public_url)
    channels = channels_for(conn, rule.project_id, route(firing.severity, rule.targets))
    incident_id = None
    if incidents.opens_incident(firing.severity):
        incident_id, _new = incidents.open_for_firing(
            conn,
            firing,
            rule,
            title=notification.title,
            dedup_key=notification.dedup_key,
            now=now,
        )
        if ack_url is not None:
            notification = dataclasses.replace(notification, ack_url=ack_url(incident_id))
    ids: list[int] = []
    for channel in channels:
        message = notification
        not_before = None
        if channel.role == "ticket" and firing.issue_id is not None:
            ticket = issue_tickets.ticket_for(conn, firing.issue_id, channel.id)
            if ticket is not None and ticket.state == "open":
                message = dataclasses.replace(message, reference=ticket.reference)
            elif ticket is not None:  # closed: it fires again, so the ticket reopens
                message = dataclasses.replace(message, reference=ticket.reference, reopen=True)
            else:  # a new ticket carries the report
                report = ticket_report(conn, firing.issue_id, now, finder_for)
                message = dataclasses.replace(message, report=report)
        if channel.role == "digest_email":
            not_before = next_digest_time(now, digest_hour)
        delivery_id = outbox.enqueue(
            conn,
            message,
            project_id=rule.project_id,
            channel_id=channel.id,
            idempotency_key=f"firing:{firing.firing_id}",
            now=now,
            not_before=not_before,
            firing_id=firing.firing_id,
            incident_id=incident_id,
            issue_id=firing.issue_id,
        )
        if delivery_id is not None:
            ids.append(delivery_id)
    return ids
