"""A project's alert outbox, newest first: each message to a channel with its status,
attempts and the service's last answer (the same rows as the API's delivery log)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.responses import Response

from faultbox.query.cursor import BadCursor, decode_cursor, encode_cursor
from faultbox.store import alert_channels, alert_deliveries
from faultbox.store.db import read_connection
from faultbox.web.access import project_for
from faultbox.web.pages.alert_common import notice
from faultbox.web.render import page
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
RESPONSE_SHOWN = 300  # characters of a service's answer


@router.get("/projects/{slug}/alerts/deliveries")
def deliveries_page(
    request: Request,
    user: SignedIn,
    slug: str,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    before = None
    if cursor:
        try:
            before = decode_cursor(cursor)[1]
        except BadCursor as exc:
            raise HTTPException(400, str(exc)) from None
    with read_connection(engine_of(request)) as conn:
        project = project_for(conn, user, slug)
        rows = alert_deliveries.project_deliveries(
            conn, project.id, limit=PAGE_SIZE + 1, before_id=before
        )
        shown = rows[:PAGE_SIZE]
        channels = alert_channels.channels_by_id(conn, sorted({r["channel_id"] for r in shown}))
        counts = alert_deliveries.counts_by_status(conn, project.id)
    deliveries: list[dict[str, Any]] = []
    for row in shown:
        channel = channels.get(row["channel_id"])
        deliveries.append(
            {
                **row,
                "response": (row["response"] or "")[:RESPONSE_SHOWN],
                "channel_name": channel.name if channel else None,
                "channel_kind": channel.kind if channel else None,
            }
        )
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        next_cursor = encode_cursor(shown[-1]["created_at"], shown[-1]["id"])
    context = {
        "nav": "alerts",
        "tab": "deliveries",
        "project": project,
        "deliveries": deliveries,
        "counts": counts,
        "next_cursor": next_cursor,
        "first_page": cursor is None,
        "notice": notice(request),
        "error": None,
    }
    return page(request, "alerts/deliveries.html", context, user=user)
