"""Incidents on the dashboard: a project's list, one with its timeline and the
acknowledge/resolve buttons, and the page behind the signed link in every page.

The signed link needs no sign-in (the token is the authority), so it has its own
router without the session's CSRF check; it keeps the Origin check. Its GET only
shows a button: Slack's unfurler and mail scanners fetch links, and fetching must
never acknowledge anything. The POST acknowledges.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from sqlalchemy import Connection
from starlette.responses import RedirectResponse, Response

from faultbox import clock
from faultbox.alerts import ack_links, incidents
from faultbox.alerts.ack_links import BadAckLink, ExpiredAckLink
from faultbox.query.cursor import BadCursor
from faultbox.query.incidents import STATUSES, incident_page, with_timeline
from faultbox.store import incidents as store
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.projects import get_project_by_id
from faultbox.web.access import project_for
from faultbox.web.csrf import csrf_protect, same_origin
from faultbox.web.identity import WebUser
from faultbox.web.render import page
from faultbox.web.session import SignedIn, engine_of, optional_user

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
ack_router = APIRouter(include_in_schema=False)  # the token stands in for the session

PAGE_SIZE = 25
IncidentId = Annotated[int, Path(gt=0, lt=2**63)]


def may_act(user: WebUser, project_id: int) -> bool:
    """Members answer pages: whoever may change alerts or work on issues."""
    return user.may(project_id, "alerts:write") or user.may(project_id, "event:write")


def _visible(conn: Connection, user: WebUser, incident_id: int) -> dict[str, Any]:
    found = with_timeline(conn, incident_id)
    if found is None or found["project_id"] not in user.project_ids:
        raise HTTPException(404, f"no incident {incident_id}")
    return found


@router.get("/projects/{slug}/incidents")
def incidents_page(
    request: Request,
    slug: str,
    user: SignedIn,
    status: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    if status and status not in STATUSES:
        raise HTTPException(400, f"status must be one of {', '.join(STATUSES)}")
    with read_connection(engine_of(request)) as conn:
        project = project_for(conn, user, slug)
        try:
            rows, next_cursor = incident_page(
                conn, project.id, status=status or None, limit=PAGE_SIZE, cursor=cursor
            )
        except BadCursor as exc:
            raise HTTPException(400, str(exc)) from None
    return page(
        request,
        "incidents/list.html",
        {
            "nav": "incidents",
            "project": project,
            "incidents": rows,
            "status": status,
            "statuses": STATUSES,
            "next_cursor": next_cursor,
            "first_page": cursor is None,
        },
        user=user,
    )


@router.get("/incidents/{incident_id}")
def incident_page_view(request: Request, incident_id: IncidentId, user: SignedIn) -> Response:
    with read_connection(engine_of(request)) as conn:
        incident = _visible(conn, user, incident_id)
        project = get_project_by_id(conn, incident["project_id"])
    return page(
        request,
        "incidents/detail.html",
        {
            "nav": "incidents",
            "project": project,
            "incident": incident,
            "can_act": may_act(user, project.id),
        },
        user=user,
    )


def _act(request: Request, incident_id: int, user: WebUser, action: str) -> Response:
    with write_transaction(engine_of(request)) as conn:
        incident = _visible(conn, user, incident_id)
        if not may_act(user, incident["project_id"]):
            raise HTTPException(403, "your role cannot answer pages (viewers only look)")
        if action == "acknowledge":
            if incident["status"] == store.RESOLVED:
                raise HTTPException(409, f"incident {incident_id} is resolved")
            incidents.acknowledge(
                conn, incident_id, now=clock.now(), user_id=user.id, via="dashboard"
            )
        else:
            incidents.resolve(conn, incident_id, now=clock.now(), user_id=user.id, via="dashboard")
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


@router.post("/incidents/{incident_id}/acknowledge")
def acknowledge(request: Request, incident_id: IncidentId, user: SignedIn) -> Response:
    return _act(request, incident_id, user, "acknowledge")


@router.post("/incidents/{incident_id}/resolve")
def resolve(request: Request, incident_id: IncidentId, user: SignedIn) -> Response:
    return _act(request, incident_id, user, "resolve")


# -- the signed link -----------------------------------------------------------------


def _secret(request: Request) -> str:
    return str(request.app.state.settings.secret_key.value)


def _ack_page(
    request: Request,
    user: WebUser | None,
    *,
    status_code: int,
    state: str,
    message: str = "",
    incident: dict[str, Any] | None = None,
    token: str = "",
) -> Response:
    return page(
        request,
        "incidents/ack.html",
        {"state": state, "message": message, "incident": incident, "token": token},
        user=user,
        status_code=status_code,
    )


def _linked_incident(
    request: Request, token: str, user: WebUser | None
) -> dict[str, Any] | Response:
    """The incident the token names, or the page saying why there is none."""
    try:
        incident_id = ack_links.verify(_secret(request), token, clock.now())
    except ExpiredAckLink as exc:
        return _ack_page(request, user, status_code=410, state="expired", message=str(exc))
    except BadAckLink as exc:
        return _ack_page(request, user, status_code=400, state="bad", message=str(exc))
    with read_connection(engine_of(request)) as conn:
        incident = store.incident_detail(conn, incident_id)
    if incident is None:
        return _ack_page(
            request,
            user,
            status_code=404,
            state="gone",
            message="This incident no longer exists (its project was deleted).",
        )
    return incident


@ack_router.get("/alerts/ack/{token}")
def ack_link_page(request: Request, token: str) -> Response:
    """A confirmation page with a button; looking at it changes nothing."""
    user = optional_user(request)
    found = _linked_incident(request, token, user)
    if isinstance(found, Response):
        return found
    return _ack_page(
        request, user, status_code=200, state=found["status"], incident=found, token=token
    )


@ack_router.post("/alerts/ack/{token}")
def ack_link_acknowledge(request: Request, token: str) -> Response:
    if not same_origin(request):
        raise HTTPException(403, "cross-origin request refused")
    user = optional_user(request)
    found = _linked_incident(request, token, user)
    if isinstance(found, Response):
        return found
    # Signed in and on the project's team: the timeline names them; else the link did.
    visible = user is not None and found["project_id"] in user.project_ids
    with write_transaction(engine_of(request)) as conn:
        changed = incidents.acknowledge(
            conn,
            int(found["id"]),
            now=clock.now(),
            user_id=user.id if user is not None and visible else None,
            via="link",
        )
        current = store.incident_detail(conn, int(found["id"]))
    if current is None or current["status"] == store.RESOLVED:
        return _ack_page(
            request,
            user,
            status_code=409,
            state=store.RESOLVED,
            message="This incident is already resolved: there is nothing to acknowledge.",
            incident=current,
        )
    return _ack_page(
        request,
        user,
        status_code=200,
        state="done" if changed else current["status"],
        message=(
            "Acknowledged: the escalation has stopped and the paged channels are told."
            if changed
            else "This incident was already acknowledged."
        ),
        incident=current,
    )
