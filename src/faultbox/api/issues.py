"""Issue and event read endpoints."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from faultbox.api.auth import Principal, authenticated, engine_of, require
from faultbox.api.projects import visible_project
from faultbox.lifecycle.severity import InvalidSeverity, parse_severity
from faultbox.query.cursor import BadCursor
from faultbox.query.events import get_event, list_events
from faultbox.query.issues import (
    LEVELS,
    SORTS,
    STATUSES,
    IssueFilters,
    get_issue,
    list_issues,
    redirect_target,
)
from faultbox.query.search import SearchQuery, SearchSyntaxError
from faultbox.query.tickets import tickets_of_issue
from faultbox.query.timefmt import parse_time
from faultbox.store.db import read_connection

router = APIRouter(prefix="/api/v1", tags=["issues and events"])
EventReader = Annotated[Principal, Depends(require("event:read"))]
Limit = Annotated[int, Query(ge=1, le=100, description="Page size")]
_EVENT_ID = re.compile(r"^[0-9a-f]{32}$")


def _time(value: str | None, name: str) -> float | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as exc:
        raise HTTPException(400, f"{name}: {exc}") from None


def _choice(value: str | None, allowed: tuple[str, ...] | dict[str, Any], name: str) -> None:
    if value is not None and value not in allowed:
        raise HTTPException(400, f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def issue_filters(
    # The caller (assigned:me); the route's own scope check has already run on it.
    principal: Annotated[Principal, Depends(authenticated)],
    status: str | None = None,
    level: str | None = None,
    environment: str | None = None,
    release: str | None = None,
    service: str | None = None,
    since: Annotated[str | None, Query(description="ISO 8601 or epoch seconds")] = None,
    until: Annotated[str | None, Query(description="ISO 8601 or epoch seconds")] = None,
    query: Annotated[
        str | None,
        Query(
            description="Search: is:unresolved level:error user.id:42 times-seen:>100"
            ' first-seen:-24h !browser:Safari url:*/checkout* "timed out" (see README)'
        ),
    ] = None,
    severity: Annotated[str | None, Query(description="P0, P1, P2 or P3")] = None,
    overdue: Annotated[
        bool | None, Query(description="Past the response target and unacknowledged")
    ] = None,
) -> IssueFilters:
    """The issue list's filters (a dependency shared by the list and bulk updates)."""
    _choice(status, STATUSES, "status")
    _choice(level, LEVELS, "level")
    return IssueFilters(
        status=status,
        level=level,
        environment=environment,
        release=release,
        service=service,
        since=_time(since, "since"),
        until=_time(until, "until"),
        severity=_severity(severity),
        overdue=overdue,
        search=_search(query, principal.user_id),
    )


def _search(text: str | None, user_id: int) -> SearchQuery | None:
    if not text:
        return None
    try:
        return SearchQuery.parse(text, user_id=user_id)
    except SearchSyntaxError as exc:
        raise HTTPException(400, f"query: {exc}") from None


def _severity(value: str | None) -> str | None:
    try:
        return None if value is None else parse_severity(value)
    except InvalidSeverity as exc:
        raise HTTPException(400, f"severity: {exc}") from None


@router.get("/projects/{slug}/issues")
def project_issues(
    request: Request,
    slug: str,
    principal: EventReader,
    filters: Annotated[IssueFilters, Depends(issue_filters)],
    sort: str = "last_seen",
    cursor: str | None = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    _choice(sort, SORTS, "sort")
    project = visible_project(request, principal, slug)
    with read_connection(engine_of(request)) as conn:
        try:
            data, next_cursor = list_issues(
                conn, project.id, filters, sort=sort, cursor=cursor, limit=limit
            )
        except BadCursor as exc:
            raise HTTPException(400, str(exc)) from None
    return {"data": data, "next_cursor": next_cursor}


def visible_issue(request: Request, principal: Principal, issue_id: int) -> dict[str, Any]:
    """The issue, or the one it was merged into (with ``merged_from`` set, as Sentry
    answers for a merged group); 404 when the caller cannot see it."""
    if not 0 < issue_id < 2**63:  # ids are positive BIGINTs; a larger one fails to bind
        raise HTTPException(404, f"no issue {issue_id}")
    with read_connection(engine_of(request)) as conn:
        issue = get_issue(conn, issue_id)
        if issue is None:
            target = redirect_target(conn, issue_id)
            issue = get_issue(conn, target) if target is not None else None
            if issue is not None:
                issue["merged_from"] = issue_id
    if issue is None or issue["project_id"] not in principal.project_ids:
        raise HTTPException(404, f"no issue {issue_id}")
    return issue


@router.get("/issues/{issue_id}")
def issue_detail(request: Request, issue_id: int, principal: EventReader) -> dict[str, Any]:
    """The issue, with ``tickets``: those opened for it in GitHub, GitLab or Jira
    (provider, reference, url, state)."""
    issue = visible_issue(request, principal, issue_id)
    with read_connection(engine_of(request)) as conn:
        issue["tickets"] = tickets_of_issue(conn, issue["id"])
    return issue


@router.get("/issues/{issue_id}/events")
def issue_events(
    request: Request,
    issue_id: int,
    principal: EventReader,
    since: str | None = None,
    until: str | None = None,
    full: bool = False,
    cursor: str | None = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    issue = visible_issue(request, principal, issue_id)
    return _events_page(
        request,
        issue_id=issue["id"],
        since=since,
        until=until,
        full=full,
        cursor=cursor,
        limit=limit,
    )


@router.get("/projects/{slug}/events")
def project_events(
    request: Request,
    slug: str,
    principal: EventReader,
    since: str | None = None,
    until: str | None = None,
    full: bool = False,
    cursor: str | None = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    project = visible_project(request, principal, slug)
    return _events_page(
        request,
        project_id=project.id,
        since=since,
        until=until,
        full=full,
        cursor=cursor,
        limit=limit,
    )


def _events_page(
    request: Request,
    *,
    project_id: int | None = None,
    issue_id: int | None = None,
    since: str | None,
    until: str | None,
    full: bool,
    cursor: str | None,
    limit: int,
) -> dict[str, Any]:
    with read_connection(engine_of(request)) as conn:
        try:
            data, next_cursor = list_events(
                conn,
                project_id=project_id,
                issue_id=issue_id,
                since=_time(since, "since"),
                until=_time(until, "until"),
                cursor=cursor,
                limit=limit,
                full=full,
            )
        except BadCursor as exc:
            raise HTTPException(400, str(exc)) from None
    return {"data": data, "next_cursor": next_cursor}


def parse_event_id(event_id: str, name: str = "event_id") -> str:
    """An event id as stored: 32 lowercase hex digits (a UUID with or without dashes)."""
    normalized = event_id.replace("-", "").lower()
    if not _EVENT_ID.match(normalized):
        raise HTTPException(400, f"{name} must be 32 hex digits (a UUID); got {event_id[:64]!r}")
    return normalized


@router.get("/events/{event_id}")
def event_detail(request: Request, event_id: str, principal: EventReader) -> dict[str, Any]:
    normalized = parse_event_id(event_id)
    with read_connection(engine_of(request)) as conn:
        event = get_event(conn, normalized, set(principal.project_ids))
    if event is None:
        raise HTTPException(404, f"no event {normalized}")
    return event
