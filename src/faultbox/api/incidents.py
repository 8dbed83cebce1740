"""Incidents (``/api/v1/projects/{slug}/incidents``, ``/api/v1/incidents/{id}``): list,
read with the timeline, acknowledge and resolve.

Read with ``alerts:read`` (or ``event:read``); acknowledge and resolve with
``alerts:write`` (or ``event:write``: whoever works the issue answers its page).
Incidents of projects the token cannot see answer 404. Acknowledging twice is not an
error (``changed: false``); acknowledging a resolved incident is a 409.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from faultbox import clock
from faultbox.alerts import incidents
from faultbox.api.alerts import require_any
from faultbox.api.auth import Principal, engine_of
from faultbox.api.projects import visible_project
from faultbox.query.cursor import BadCursor
from faultbox.query.incidents import (
    STATUSES,
    incident_json,
    incident_page,
    timeline_json,
    with_timeline,
)
from faultbox.store import incidents as store
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.incidents import IncidentRow

router = APIRouter(prefix="/api/v1", tags=["incidents"])
Reader = Annotated[Principal, Depends(require_any("alerts:read", "event:read"))]
Writer = Annotated[Principal, Depends(require_any("alerts:write", "event:write"))]
IncidentId = Annotated[int, Path(gt=0, lt=2**63)]


def _visible(conn: Any, principal: Principal, incident_id: int) -> IncidentRow:
    incident = store.get_incident(conn, incident_id)
    if incident is None or incident.project_id not in principal.project_ids:
        raise HTTPException(404, f"no incident {incident_id}")
    return incident


def _detail(request: Request, incident_id: int) -> dict[str, Any]:
    with read_connection(engine_of(request)) as conn:
        found = with_timeline(conn, incident_id)
    if found is None:  # deleted with its project in between
        raise HTTPException(404, f"no incident {incident_id}")
    return {**incident_json(found), "timeline": timeline_json(found["timeline"])}


@router.get("/projects/{slug}/incidents")
def list_incidents(
    request: Request,
    slug: str,
    principal: Reader,
    status: Annotated[str | None, Query(description=" | ".join(STATUSES))] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Newest first; ``next_cursor`` fetches the next page."""
    if status is not None and status not in STATUSES:
        raise HTTPException(400, f"status must be one of {', '.join(STATUSES)}")
    project = visible_project(request, principal, slug)
    with read_connection(engine_of(request)) as conn:
        try:
            rows, next_cursor = incident_page(
                conn, project.id, status=status, limit=limit, cursor=cursor
            )
        except BadCursor as exc:
            raise HTTPException(400, str(exc)) from None
    return {"data": [incident_json(r) for r in rows], "next_cursor": next_cursor}


@router.get("/incidents/{incident_id}")
def get_incident(request: Request, incident_id: IncidentId, principal: Reader) -> dict[str, Any]:
    with read_connection(engine_of(request)) as conn:
        _visible(conn, principal, incident_id)
    return _detail(request, incident_id)


@router.post("/incidents/{incident_id}/acknowledge")
def acknowledge(request: Request, incident_id: IncidentId, principal: Writer) -> dict[str, Any]:
    """Stops the escalation and acknowledges the page on every channel that got it."""
    with write_transaction(engine_of(request)) as conn:
        incident = _visible(conn, principal, incident_id)
        if incident.status == store.RESOLVED:
            raise HTTPException(409, f"incident {incident_id} is resolved")
        changed = incidents.acknowledge(
            conn, incident_id, now=clock.now(), user_id=principal.user_id, via="api"
        )
    return {"changed": changed, "incident": _detail(request, incident_id)}


@router.post("/incidents/{incident_id}/resolve")
def resolve(request: Request, incident_id: IncidentId, principal: Writer) -> dict[str, Any]:
    """Resolves the incident and its pages (not the issue: resolve that on its own)."""
    with write_transaction(engine_of(request)) as conn:
        _visible(conn, principal, incident_id)
        changed = incidents.resolve(
            conn, incident_id, now=clock.now(), user_id=principal.user_id, via="api"
        )
    return {"changed": changed, "incident": _detail(request, incident_id)}
