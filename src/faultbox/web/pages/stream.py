"""The issue stream: search, sort, sparklines, bulk actions, saved searches."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from sqlalchemy import Connection
from starlette.responses import RedirectResponse, Response

from faultbox import clock
from faultbox.lifecycle.changes import ChangeRefused, Ignore, IssueChange, change_issues
from faultbox.lifecycle.merging import merge_by_hand
from faultbox.lifecycle.status import Status
from faultbox.query.cursor import BadCursor
from faultbox.query.issue_series import PERIODS, issue_buckets
from faultbox.query.issues import IssueFilters, matching_issue_ids
from faultbox.query.timefmt import parse_time
from faultbox.store.accounts import project_members
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.errors import AlreadyExists
from faultbox.store.merge import MergeError
from faultbox.store.projects import Project
from faultbox.store.saved_searches import delete_search, save_search, searches_of
from faultbox.web.access import project_for
from faultbox.web.charts import sparkline
from faultbox.web.csrf import csrf_protect
from faultbox.web.issue_search import SearchFailed, search_issues
from faultbox.web.render import is_htmx, page
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
DEFAULT_QUERY = "is:unresolved"
PAGE_SIZE = 50
SORT_LABELS = {
    "last_seen": "Last seen",
    "first_seen": "First seen",
    "times_seen": "Events",
    "users": "Users",
    "severity": "Severity",
}
BULK_ACTIONS = ("resolve", "ignore", "unresolve", "assign", "merge")
# What a bulk action did, by code: the redirect carries a code, never free text.
DONE_MESSAGES = {
    "resolve": "Resolved",
    "ignore": "Ignored",
    "unresolve": "Reopened",
    "assign": "Assigned",
    "merge": "Merged",
}
MAX_QUERY = 1000


def _stream_url(slug: str, **params: str | int | None) -> str:
    query = {k: v for k, v in params.items() if v not in (None, "")}
    return f"/projects/{slug}/issues" + ("?" + urlencode(query) if query else "")


@router.get("/projects/{slug}/issues")
def stream(
    request: Request,
    slug: str,
    user: SignedIn,
    q: Annotated[str | None, Query(max_length=MAX_QUERY)] = None,
    sort: str = "last_seen",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    period: str = "24h",
    done: str | None = None,
    n: int = 0,
    refused: int = 0,
) -> Response:
    query = DEFAULT_QUERY if q is None else q
    if sort not in SORT_LABELS:
        sort = "last_seen"
    if period not in PERIODS:
        period = "24h"
    error = None
    with read_connection(engine_of(request)) as conn:
        project = project_for(conn, user, slug)
        try:
            rows, next_cursor = search_issues(
                conn, project, query, user=user, sort=sort, cursor=cursor, limit=PAGE_SIZE
            )
        except SearchFailed as exc:
            rows, next_cursor, error = [], None, str(exc)
        except BadCursor:
            raise HTTPException(400, "broken page link: start from the first page") from None
        series = issue_buckets(conn, [r["id"] for r in rows], period=period, now=clock.now())
        members = project_members(conn, project.id)
        saved = searches_of(conn, user_id=user.id, project_id=project.id)
    emails = dict(members)
    for row in rows:
        row["assignee"] = emails.get(row["assignee_id"]) if row["assignee_id"] else None
        row["last_seen_ts"] = parse_time(row["last_seen"])
    context = {
        "project": project,
        "nav": "issues",
        "q": query,
        "sort": sort,
        "period": period,
        "rows": rows,
        "sparks": {r["id"]: sparkline(series[r["id"]]) for r in rows},
        "next_url": _stream_url(slug, q=query, sort=sort, period=period, cursor=next_cursor)
        if next_cursor
        else None,
        "first_url": _stream_url(slug, q=query, sort=sort, period=period) if cursor else None,
        "error": error,
        "sorts": SORT_LABELS,
        "periods": list(PERIODS),
        "members": members,
        "saved": saved,
        "can_change": user.may(project.id, "event:write"),
        "done": DONE_MESSAGES.get(done or ""),
        "done_count": n,
        "refused_count": refused,
    }
    template = "stream/results.html" if is_htmx(request) else "stream/stream.html"
    return page(request, template, context, user=user, status_code=400 if error else 200)


def _bulk_change(action: str, assignee: str) -> IssueChange:
    if action == "resolve":
        return IssueChange(status=Status.RESOLVED)
    if action == "ignore":
        return IssueChange(status=Status.IGNORED, ignore=Ignore())
    if action == "unresolve":
        return IssueChange(status=Status.INVESTIGATING)
    if assignee == "":
        return IssueChange(assignee=None)
    try:
        return IssueChange(assignee=int(assignee))
    except ValueError:
        raise HTTPException(400, "choose someone to assign the issues to") from None


@router.post("/projects/{slug}/issues/bulk")
def bulk(
    request: Request,
    slug: str,
    user: SignedIn,
    action: Annotated[str, Form()],
    issue_ids: Annotated[list[int], Form(max_length=1000)],
    assignee: Annotated[str, Form(max_length=32)] = "",
    q: Annotated[str, Form(max_length=MAX_QUERY)] = DEFAULT_QUERY,
    sort: Annotated[str, Form(max_length=32)] = "last_seen",
) -> Response:
    if action not in BULK_ACTIONS:
        raise HTTPException(400, f"unknown action {action!r}; one of {', '.join(BULK_ACTIONS)}")
    ids = sorted({i for i in issue_ids if 0 < i < 2**63})
    if not ids:
        raise HTTPException(400, "select at least one issue")
    now = clock.now()
    with write_transaction(engine_of(request)) as conn:
        project = project_for(conn, user, slug, scope="event:write")
        ids = _own_issues(conn, project, ids)
        if action == "merge":
            try:
                _, merged = merge_by_hand(conn, project.id, ids, into=None, actor=user.id, now=now)
            except MergeError as exc:
                raise HTTPException(400, str(exc)) from None
            changed, refused = len(merged) + 1, 0
        else:
            try:
                refusals = change_issues(
                    conn, ids, _bulk_change(action, assignee), actor=user.id, now=now
                )
            except ChangeRefused as exc:
                raise HTTPException(400, str(exc)) from None
            changed, refused = len(ids) - len(refusals), len(refusals)
    target = _stream_url(slug, q=q, sort=sort, done=action, n=changed, refused=refused or None)
    return RedirectResponse(target, status_code=303)


def _own_issues(conn: Connection, project: Project, ids: list[int]) -> list[int]:
    """Only the project's issues: a forged id from another project is not touched."""
    found = matching_issue_ids(conn, project.id, IssueFilters(), ids=ids, limit=len(ids))
    if not found:
        raise HTTPException(404, "none of those issues is in this project")
    return found


@router.post("/projects/{slug}/searches")
def save(
    request: Request,
    slug: str,
    user: SignedIn,
    name: Annotated[str, Form(max_length=100)],
    q: Annotated[str, Form(max_length=MAX_QUERY)],
    sort: Annotated[str, Form(max_length=32)] = "last_seen",
) -> Response:
    if not name.strip():
        raise HTTPException(400, "give the search a name")
    if sort not in SORT_LABELS:
        raise HTTPException(400, f"unknown sort {sort!r}")
    with write_transaction(engine_of(request)) as conn:
        project = project_for(conn, user, slug)
        try:
            save_search(
                conn,
                user_id=user.id,
                project_id=project.id,
                name=name.strip(),
                query=q,
                sort=sort,
                now=clock.now(),
            )
        except AlreadyExists as exc:
            raise HTTPException(409, str(exc)) from None
    return RedirectResponse(_stream_url(slug, q=q, sort=sort), status_code=303)


@router.post("/projects/{slug}/searches/{search_id}/delete")
def forget(request: Request, slug: str, search_id: int, user: SignedIn) -> Response:
    with write_transaction(engine_of(request)) as conn:
        project_for(conn, user, slug)
        if not delete_search(conn, user_id=user.id, search_id=search_id):
            raise HTTPException(404, "no such saved search")
    return RedirectResponse(_stream_url(slug), status_code=303)
