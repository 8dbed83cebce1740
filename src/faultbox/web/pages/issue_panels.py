"""The issue page's slower parts, loaded by htmx when they scroll into view (similar
issues, the grouping explanation, a stack diff) and the analysis report page."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.responses import Response

from faultbox import clock
from faultbox.digest.grouping.explain_stored import explain_stored
from faultbox.digest.grouping.frame_naming import grouping_app_frame, naming_for
from faultbox.query.event_navigation import pick_event
from faultbox.query.events import stored_event
from faultbox.query.report import build_report
from faultbox.query.report_markdown import render_report
from faultbox.query.similar import similar_issues
from faultbox.query.stack_diff import diff_events, load_event
from faultbox.store.db import read_connection
from faultbox.store.projects import get_project_by_id
from faultbox.web.pages.issue import EVENT_ID, visible_issue_for
from faultbox.web.render import page
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False)
_HEX32 = re.compile(EVENT_ID)


@router.get("/issues/{issue_id}/similar")
def similar(request: Request, issue_id: int, user: SignedIn) -> Response:
    with read_connection(engine_of(request)) as conn:
        issue = visible_issue_for(conn, user, issue_id)
        found = similar_issues(conn, issue["id"], set(user.project_ids), naming_for, limit=8)
        latest = pick_event(conn, issue["id"], None)
    context = {"issue": issue, "found": found or {}, "latest": latest[0] if latest else None}
    return page(request, "issue/similar.html", context, user=user)


@router.get("/issues/{issue_id}/grouping")
def grouping(
    request: Request,
    issue_id: int,
    user: SignedIn,
    event: Annotated[str, Query(pattern=EVENT_ID)],
) -> Response:
    with read_connection(engine_of(request)) as conn:
        issue = visible_issue_for(conn, user, issue_id)
        stored = stored_event(conn, event.lower(), {issue["project_id"]})
        if stored is None or stored.issue_id != issue["id"]:
            raise HTTPException(404, f"no event {event} in this issue")
        project = get_project_by_id(conn, stored.project_id)
    explanation = explain_stored(
        stored.data,
        grouping_hash=stored.grouping_hash,
        fingerprint_rules=project.fingerprint_rules,
        in_app_rules=project.in_app_rules,
    )
    return page(request, "issue/grouping.html", {"x": explanation}, user=user)


@router.get("/issues/{issue_id}/diff")
def diff(
    request: Request,
    issue_id: int,
    user: SignedIn,
    left: Annotated[str, Query(max_length=64)] = "",
    right: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    left, right = left.strip().lower(), right.strip().lower()
    if not _HEX32.match(left) or not _HEX32.match(right):
        return page(
            request,
            "issue/diff.html",
            {"error": "Give two event ids (32 hex digits each)."},
            user=user,
            status_code=400,
        )
    with read_connection(engine_of(request)) as conn:
        visible_issue_for(conn, user, issue_id)
        visible = set(user.project_ids)
        a = load_event(conn, left, visible, naming_for)
        b = load_event(conn, right, visible, naming_for)
    if a is None or b is None:
        missing = left if a is None else right
        return page(
            request,
            "issue/diff.html",
            {"error": f"No event {missing}."},
            user=user,
            status_code=404,
        )
    return page(request, "issue/diff.html", {"d": diff_events(a, b)}, user=user)


def _report_markdown(request: Request, issue_id: int, user: SignedIn) -> tuple[int, str]:
    with read_connection(engine_of(request)) as conn:
        issue = visible_issue_for(conn, user, issue_id)
        report = build_report(conn, issue["id"], grouping_app_frame, clock.now())
    if report is None:
        raise HTTPException(404, f"no issue {issue_id}")
    return int(issue["id"]), render_report(report)


@router.get("/issues/{issue_id}/report")
def report(request: Request, issue_id: int, user: SignedIn) -> Response:
    found, markdown = _report_markdown(request, issue_id, user)
    with read_connection(engine_of(request)) as conn:
        issue = visible_issue_for(conn, user, found)
        project = get_project_by_id(conn, issue["project_id"])
    context = {"issue": issue, "project": project, "report": markdown, "nav": "issues"}
    return page(request, "issue/report.html", context, user=user)


@router.get("/issues/{issue_id}/report.md")
def report_markdown(request: Request, issue_id: int, user: SignedIn) -> Response:
    found, markdown = _report_markdown(request, issue_id, user)
    return Response(
        markdown,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="issue-{found}.md"'},
    )
