"""GET /api/v1/projects and /api/v1/projects/{slug}."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request

from faultbox.api.auth import Principal, engine_of, require
from faultbox.query.dsn import dsn_for
from faultbox.query.timefmt import iso
from faultbox.store.db import read_connection
from faultbox.store.errors import NotFound
from faultbox.store.outcomes import outcome_totals
from faultbox.store.projects import Project, get_project, list_projects, project_counts

router = APIRouter(prefix="/api/v1", tags=["projects"])
ProjectReader = Annotated[Principal, Depends(require("project:read"))]


def project_json(request: Request, project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "slug": project.slug,
        "name": project.name,
        "team": project.team_slug,
        "dsn": dsn_for(request.app.state.settings.public_url, project),
        "created_at": iso(project.created_at),
    }


def visible_project(request: Request, principal: Principal, slug: str) -> Project:
    with read_connection(engine_of(request)) as conn:
        try:
            project = get_project(conn, slug)
        except NotFound:
            project = None
    if project is None or project.id not in principal.project_ids:
        raise HTTPException(404, f"no project {slug!r}")
    return project


@router.get("/projects")
def projects_list(request: Request, principal: ProjectReader) -> dict[str, Any]:
    with read_connection(engine_of(request)) as conn:
        projects = list_projects(conn)
    data = [project_json(request, p) for p in projects if p.id in principal.project_ids]
    return {"data": data, "next_cursor": None}


@router.get("/projects/{slug}")
def project_detail(request: Request, slug: str, principal: ProjectReader) -> dict[str, Any]:
    project = visible_project(request, principal, slug)
    with read_connection(engine_of(request)) as conn:
        n_events, n_issues = project_counts(conn, project.id)
        outcomes = outcome_totals(conn, project.id)
    return {
        **project_json(request, project),
        "event_count": n_events,
        "issue_count": n_issues,
        "outcomes": outcomes,
    }
