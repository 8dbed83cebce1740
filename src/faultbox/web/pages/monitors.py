"""A project's cron monitors (status, schedule, last check-in, next expected run) and
one monitor's runs, newest first in keyset pages. The same read model as the
monitors API; missed and timed-out runs are the ones the digest's sweep (or an alert
rule's evaluation) wrote."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.responses import Response

from faultbox.query.cursor import BadCursor, decode_cursor, encode_cursor
from faultbox.query.monitors import checkin_json, monitor_json
from faultbox.store.db import read_connection
from faultbox.store.monitors import get_monitor, list_checkins, list_monitors
from faultbox.web.access import project_for
from faultbox.web.render import page
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50


@router.get("/projects/{slug}/monitors")
def monitors_page(request: Request, slug: str, user: SignedIn) -> Response:
    with read_connection(engine_of(request)) as conn:
        project = project_for(conn, user, slug)
        monitors = [monitor_json(m) for m in list_monitors(conn, project.id)]
    return page(
        request,
        "monitors/list.html",
        {"nav": "monitors", "project": project, "monitors": monitors},
        user=user,
    )


@router.get("/projects/{slug}/monitors/{monitor_slug}")
def monitor_page(
    request: Request,
    slug: str,
    monitor_slug: str,
    user: SignedIn,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    after = None
    if cursor:
        try:
            value, row_id = decode_cursor(cursor)
        except BadCursor as exc:
            raise HTTPException(400, str(exc)) from None
        after = (float(value), row_id)  # type: ignore[arg-type]
    with read_connection(engine_of(request)) as conn:
        project = project_for(conn, user, slug)
        monitor = get_monitor(conn, project.id, monitor_slug)
        if monitor is None:
            raise HTTPException(404, f"no monitor {monitor_slug!r} in {project.name}")
        rows = list_checkins(conn, monitor.id, limit=PAGE_SIZE + 1, after=after)
    shown = rows[:PAGE_SIZE]
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        next_cursor = encode_cursor(shown[-1].started_at, shown[-1].id)
    return page(
        request,
        "monitors/detail.html",
        {
            "nav": "monitors",
            "project": project,
            "monitor": monitor_json(monitor),
            "runs": [checkin_json(r) for r in shown],
            "next_cursor": next_cursor,
            "first_page": cursor is None,
        },
        user=user,
    )
