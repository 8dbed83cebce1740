"""Per-project retention (GET/PUT /api/v1/projects/{slug}/retention): how many days
debug/info and warning/error/fatal events are kept; null means the server's default."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request

from faultbox.api.auth import Principal, engine_of, require
from faultbox.api.projects import visible_project
from faultbox.lifecycle.retention import (
    RetentionDefaults,
    effective_days,
    next_run_at,
    parse_days,
)
from faultbox.query.timefmt import iso
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.retention import LEVEL_CLASSES, project_retentions, set_project_retention

router = APIRouter(prefix="/api/v1", tags=["settings"])
FIELDS = {"info_days": "info", "error_days": "error"}


def retention_json(request: Request, project_id: int) -> dict[str, Any]:
    defaults = RetentionDefaults.from_settings(request.app.state.settings)
    engine = engine_of(request)
    with read_connection(engine) as conn:
        (policy,) = project_retentions(conn, project_id)
    days = effective_days(policy, defaults)
    return {
        "info_days": policy.info_days,
        "error_days": policy.error_days,
        "effective": {"info_days": days["info"], "error_days": days["error"]},
        "server_defaults": {"info_days": defaults.info_days, "error_days": defaults.error_days},
        "levels": {f: list(LEVEL_CLASSES[c]) for f, c in FIELDS.items()},
        "next_run_at": iso(next_run_at(engine)),
    }


def parse_body(body: object) -> dict[str, int | None]:
    """``{"info_days": 30, "error_days": null}``; a key left out takes the default."""
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object with info_days and error_days")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise ValueError(
            f"unknown field(s) {', '.join(unknown)[:200]}; expected info_days, error_days"
        )
    return {name: parse_days(body.get(name), name) for name in FIELDS}


@router.get("/projects/{slug}/retention")
def get_retention(
    request: Request, slug: str, principal: Annotated[Principal, Depends(require("project:read"))]
) -> dict[str, Any]:
    project = visible_project(request, principal, slug)
    return retention_json(request, project.id)


@router.put("/projects/{slug}/retention")
def put_retention(
    request: Request,
    slug: str,
    principal: Annotated[Principal, Depends(require("project:write"))],
    body: Annotated[Any, Body(examples=[{"info_days": 30, "error_days": None}])],
) -> dict[str, Any]:
    """Replace the project's retention; the next hourly run applies it."""
    project = visible_project(request, principal, slug)
    try:
        days = parse_body(body)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    with write_transaction(engine_of(request)) as conn:
        set_project_retention(
            conn, project.id, info_days=days["info_days"], error_days=days["error_days"]
        )
    return retention_json(request, project.id)
