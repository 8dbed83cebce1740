"""The tickets opened for an issue in GitHub, GitLab or Jira (``alerts/channels``), for
the API's issue detail, the issue page and the analysis report: the way back from the
issue to where the work on it is tracked."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from faultbox.query.timefmt import iso
from faultbox.store.schema import alert_channels, issue_tickets

PROVIDER_NAMES = {"github": "GitHub", "gitlab": "GitLab", "jira": "Jira"}


def safe_url(url: str) -> str:
    """The ticket's link only when it is http(s): it came from the service's answer,
    and a page must never render a ``javascript:`` link it was handed."""
    return url if url.lower().startswith(("https://", "http://")) else ""


def tickets_of_issue(conn: Connection, issue_id: int) -> list[dict[str, Any]]:
    t = issue_tickets.c
    rows = conn.execute(
        select(
            t.provider,
            t.reference,
            t.url,
            t.state,
            t.created_at,
            t.updated_at,
            alert_channels.c.name.label("channel"),
        )
        .join(alert_channels, alert_channels.c.id == t.channel_id)
        .where(t.issue_id == issue_id)
        .order_by(t.id)
    ).all()
    return [
        {
            "provider": row.provider,
            "provider_name": PROVIDER_NAMES.get(row.provider, row.provider),
            "reference": row.reference,
            "url": safe_url(row.url),
            "state": row.state,
            "channel": row.channel,
            "opened_at": iso(row.created_at),
            "updated_at": iso(row.updated_at),
        }
        for row in rows
    ]
