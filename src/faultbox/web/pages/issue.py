"""The issue page: what happened, where in the code, to whom, and what the team knows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from sqlalchemy import Connection
from starlette.responses import RedirectResponse, Response

from faultbox import clock
from faultbox.lifecycle.severity import SEVERITIES
from faultbox.lifecycle.status import ALLOWED, Status
from faultbox.lifecycle.taxonomy import TAXONOMY_TYPES
from faultbox.query.event_navigation import neighbours, pick_event
from faultbox.query.events import get_event
from faultbox.query.incidents import of_issue as incidents_of_issue
from faultbox.query.issues import get_issue, redirect_target
from faultbox.query.tickets import tickets_of_issue
from faultbox.query.timefmt import parse_time
from faultbox.store.accounts import project_members
from faultbox.store.activity import activity_of
from faultbox.store.comments import comments_of
from faultbox.store.db import read_connection
from faultbox.store.issue_state import CATALOGUE_FIELDS
from faultbox.store.projects import get_project_by_id
from faultbox.store.releases import deploys_between
from faultbox.web.charts import bar_chart
from faultbox.web.event_view import event_view
from faultbox.web.identity import WebUser
from faultbox.web.pages.incidents import may_act
from faultbox.web.render import page
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False)
EVENT_ID = r"^[0-9a-fA-F]{32}$"
HISTORY = {"24h": (24, 3600), "14d": (14, 86400)}


def visible_issue_for(conn: Connection, user: WebUser, issue_id: int) -> dict[str, Any]:
    """The issue if the user may see it (404 otherwise, also for a merged-away id)."""
    if not 0 < issue_id < 2**63:
        raise HTTPException(404, f"no issue {issue_id}")
    issue = get_issue(conn, issue_id)
    if issue is None or issue["project_id"] not in user.project_ids:
        raise HTTPException(404, f"no issue {issue_id}")
    return issue


@router.get("/issues/{issue_id}")
def issue_page(
    request: Request,
    issue_id: int,
    user: SignedIn,
    event: Annotated[str | None, Query(pattern=EVENT_ID)] = None,
    history: str = "14d",
) -> Response:
    if history not in HISTORY:
        history = "14d"
    now = clock.now()
    with read_connection(engine_of(request)) as conn:
        try:
            issue = visible_issue_for(conn, user, issue_id)
        except HTTPException:
            # A merged-away id leads to the issue it went into (which checks visibility).
            target = redirect_target(conn, issue_id) if 0 < issue_id < 2**63 else None
            if target is None:
                raise
            return RedirectResponse(f"/issues/{target}", status_code=301)
        project = get_project_by_id(conn, issue["project_id"])
        picked = pick_event(conn, issue["id"], event.lower() if event else None)
        if event is not None and picked is None:
            raise HTTPException(404, f"no event {event} in this issue")
        shown = None
        nav = None
        if picked is not None:
            shown = get_event(conn, picked[0], {project.id})
            nav = neighbours(conn, issue["id"], picked[1], picked[2])
        buckets, size = HISTORY[history]
        deploys = deploys_between(conn, [project.id], now - buckets * size, now + 1)
        activity = activity_of(conn, issue["id"])
        comments = comments_of(conn, issue["id"])
        members = project_members(conn, project.id)
        incidents = incidents_of_issue(conn, issue["id"])
        tickets = tickets_of_issue(conn, issue["id"])
    can_change = user.may(project.id, "event:write")
    status = Status(issue["status"])
    context = {
        "project": project,
        "nav": "issues",
        "issue": issue,
        "event": event_view(shown) if shown else None,
        "neighbours": nav,
        "history": history,
        "histories": list(HISTORY),
        "chart": bar_chart(
            _history_points(issue, history),
            bucket_seconds=size,
            markers=[(d["deployed_at"], f"{d['version']} → {d['environment']}") for d in deploys],
            label=f"Events per {'hour' if size == 3600 else 'day'}",
        ),
        "activity": activity,
        "incidents": incidents,
        "can_answer_pages": may_act(user, project.id),
        "tickets": tickets,
        "comments": comments,
        "members": members,
        "can_change": can_change,
        "is_own_comment": lambda c: c["user_id"] == user.id or user.is_superuser,
        "next_statuses": sorted(s.value for s in ALLOWED[status]),
        "severities": SEVERITIES,
        "taxonomies": TAXONOMY_TYPES,
        "catalogue_fields": CATALOGUE_FIELDS,
    }
    return page(request, "issue/issue.html", context, user=user)


def _history_points(issue: dict[str, Any], history: str) -> list[tuple[float, int]]:
    return [(parse_time(ts), int(n)) for ts, n in issue["stats"][history]]
