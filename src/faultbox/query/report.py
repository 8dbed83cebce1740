"""The analysis report of one issue (``GET /api/v1/issues/{id}/report``): everything a
person needs to start on it, in one read.

Sections: ``summary``; ``impact`` (events, users, and the services, environments and
releases with their event counts); ``timeline`` (first/last seen, spikes, deploys
around the first-seen time and each spike: ``report_timeline``); ``app_frame`` (the
latest event's first in-app frame with source context: ``report_frame``);
``suspect_release``; ``tag_outliers`` (``report_tags``); ``catalogue``; ``patterns``;
``incidents`` (the pages it caused: who was paged, who acknowledged, when it was
resolved, the timeline: ``query/incidents.py``); ``tickets`` (opened for it in GitHub,
GitLab or Jira: ``query/tickets.py``); ``activity``. ``report_markdown``
renders the same dict as Markdown.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from faultbox.query.incidents import report_section as incidents_section
from faultbox.query.patterns import patterns_of_issue
from faultbox.query.report_frame import FinderForProject, latest_app_frame
from faultbox.query.report_tags import tag_outliers
from faultbox.query.report_timeline import suspect_release, timeline
from faultbox.query.tickets import tickets_of_issue
from faultbox.query.timefmt import iso
from faultbox.store.activity import activity_of
from faultbox.store.issue_state import CATALOGUE_FIELDS
from faultbox.store.schema import issue_tags, issues, projects, users

_FACET_LIMIT = 20  # values listed per impact facet
_ACTIVITY_LIMIT = 200


def build_report(
    conn: Connection, issue_id: int, finder_for: FinderForProject, now: float
) -> dict[str, Any] | None:
    row = conn.execute(
        select(
            issues,
            projects.c.slug.label("project_slug"),
            projects.c.in_app_rules,
            users.c.email.label("assignee"),
        )
        .join(projects, projects.c.id == issues.c.project_id)
        .outerjoin(users, users.c.id == issues.c.assignee_id)
        .where(issues.c.id == issue_id)
    ).first()
    if row is None:
        return None
    issue = row._mapping
    project_id = int(issue["project_id"])
    finder = finder_for(issue["in_app_rules"], issue["grouping_version"])
    return {
        "generated_at": iso(now),
        "summary": _summary(issue),
        "impact": _impact(conn, issue),
        "timeline": timeline(conn, issue_id, project_id, issue["first_seen"], issue["last_seen"]),
        "app_frame": latest_app_frame(conn, issue_id, finder),
        "suspect_release": suspect_release(
            conn, project_id, issue["first_release"], issue["first_seen"]
        ),
        "tag_outliers": tag_outliers(conn, issue_id, project_id),
        "catalogue": {name: issue[name] for name in CATALOGUE_FIELDS},
        "patterns": patterns_of_issue(conn, issue_id),
        "incidents": incidents_section(conn, issue_id),
        "tickets": tickets_of_issue(conn, issue_id),
        "activity": _activity(conn, issue_id),
    }


def _summary(issue: Any) -> dict[str, Any]:
    return {
        "id": issue["id"],
        "short_id": f"ERR-{issue['short_id']}",
        "project": issue["project_slug"],
        "title": issue["title"],
        "culprit": issue["culprit"],
        "level": issue["level"],
        "status": issue["status"],
        "severity": issue["severity"],
        "severity_reason": issue["severity_reason"],
        "taxonomy": issue["taxonomy"],
        "taxonomy_reason": issue["taxonomy_reason"],
        "platform": issue["platform"],
        "assignee": issue["assignee"],
        "is_regression": bool(issue["is_regression"]),
        "resolved_at": iso(issue["resolved_at"]),
        "resolved_in_release": issue["resolved_in_release"],
    }


def _impact(conn: Connection, issue: Any) -> dict[str, Any]:
    t = issue_tags.c
    rows = conn.execute(
        select(t.key, t.value, t.times_seen)
        .where(t.issue_id == issue["id"], t.key.in_(("service", "environment", "release")))
        .order_by(t.key, t.times_seen.desc(), t.value)
    ).all()
    facets: dict[str, list[dict[str, Any]]] = {"service": [], "environment": [], "release": []}
    for key, value, seen in rows:
        if len(facets[key]) < _FACET_LIMIT:
            facets[key].append({"value": value, "count": int(seen)})
    return {
        "events": int(issue["times_seen"]),
        "users": int(issue["users_seen"]),
        "services": facets["service"],
        "environments": facets["environment"],
        "releases": facets["release"],
        "first_release": issue["first_release"],
        "last_release": issue["last_release"],
    }


def _activity(conn: Connection, issue_id: int) -> list[dict[str, Any]]:
    return [
        {
            "at": iso(entry["created_at"]),
            "user": entry["email"],
            "kind": entry["kind"],
            "field": entry["field"],
            "old_value": entry["old_value"],
            "new_value": entry["new_value"],
            "note": entry["note"],
        }
        for entry in activity_of(conn, issue_id, limit=_ACTIVITY_LIMIT)
    ]
