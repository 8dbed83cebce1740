"""Releases and deploys: POST /api/v1/releases (Sentry's shape, ``project`` or
``projects``), a project's releases with what happened in each, and their deploys.

Events' ``release`` creates releases on its own (lifecycle.reopen); posting one that
exists answers 208 like Sentry (a CI job may run twice, or events came first) and
fills in a missing commit or url, but a different commit or url is a 409.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from faultbox import clock
from faultbox.api.auth import Principal, engine_of, require
from faultbox.api.projects import visible_project
from faultbox.lifecycle.reopen import release_created
from faultbox.query.cursor import BadCursor, decode_cursor, encode_cursor
from faultbox.query.releases import deploy_json, describe_releases
from faultbox.query.timefmt import parse_time
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.errors import AlreadyExists
from faultbox.store.projects import Project
from faultbox.store.releases import (
    add_deploy,
    create_release,
    deploys_of,
    get_release,
    list_releases,
)

router = APIRouter(prefix="/api/v1", tags=["releases"])
ReleaseWriter = Annotated[Principal, Depends(require("project:releases"))]
ProjectReader = Annotated[Principal, Depends(require("project:read"))]

MAX_PROJECTS = 50
DEPLOYS_IN_LIST = 10
FUTURE_SKEW = 3600.0  # a deploy time may run ahead of our clock by this much
Slug = Annotated[str, Field(min_length=1, max_length=64)]


def _plain_name(value: str, what: str, max_length: int) -> str:
    """Versions and environments end up in URL paths and log lines: no slashes,
    no control characters, no surrounding blanks."""
    if not value or len(value) > max_length:
        raise ValueError(f"{what} must be 1 to {max_length} characters")
    if value != value.strip():
        raise ValueError(f"{what} must not start or end with whitespace")
    if "/" in value or "\\" in value:
        raise ValueError(f"{what} must not contain '/' or '\\'")
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise ValueError(f"{what} must not contain control characters")
    return value


class ReleaseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str = Field(examples=["shop@1.4.2"])
    project: Slug | None = None
    projects: list[Slug] | None = Field(None, min_length=1, max_length=MAX_PROJECTS)
    commit: str | None = Field(None, pattern=r"^\S{1,64}$", description="A commit id or ref")
    url: str | None = Field(None, max_length=2000, pattern=r"^https?://\S+$")

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        _plain_name(value, "version", 250)
        if value in (".", "..", "latest"):
            raise ValueError(f"{value!r} is not a usable version")
        return value

    @model_validator(mode="after")
    def _one_way_to_name_projects(self) -> ReleaseBody:
        if (self.project is None) == (self.projects is None):
            raise ValueError("give 'project' (a slug) or 'projects' (a list of slugs)")
        if self.projects is not None and len(set(self.projects)) != len(self.projects):
            raise ValueError("'projects' lists a project twice")
        return self


class DeployBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    environment: str = Field(examples=["production"])
    deployed_at: str | float | None = Field(
        None, description="ISO 8601 or epoch seconds; default: now"
    )

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: str) -> str:
        return _plain_name(value, "environment", 64)


@router.post("/releases", status_code=201, responses={208: {"description": "already existed"}})
def post_release(request: Request, principal: ReleaseWriter, body: ReleaseBody) -> JSONResponse:
    """Create a release in one or more projects (201), or confirm it (208)."""
    slugs = body.projects if body.projects is not None else [body.project or ""]
    projects = [visible_project(request, principal, slug) for slug in slugs]
    now = clock.now()
    out = []
    with write_transaction(engine_of(request)) as conn:
        for project in projects:
            try:
                row, created = create_release(
                    conn, project.id, body.version, commit=body.commit, url=body.url, now=now
                )
            except AlreadyExists as exc:
                raise HTTPException(409, f"{project.slug}: {exc}") from None
            if created:
                release_created(conn, project.id, body.version, now)
            [described] = describe_releases(conn, project, [row], DEPLOYS_IN_LIST)
            out.append({**described, "created": created})
    any_created = any(r["created"] for r in out)
    return JSONResponse(
        {"version": body.version, "releases": out}, status_code=201 if any_created else 208
    )


@router.get("/projects/{slug}/releases")
def releases_list(
    request: Request,
    slug: str,
    principal: ProjectReader,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Newest first: each release with the issues first seen in it, the issues that
    regressed in it, its events and its latest deploys."""
    project = visible_project(request, principal, slug)
    after = None
    if cursor:
        try:
            value, row_id = decode_cursor(cursor)
        except BadCursor as exc:
            raise HTTPException(400, str(exc)) from None
        after = (float(value), row_id)  # type: ignore[arg-type]
    with read_connection(engine_of(request)) as conn:
        rows = list_releases(conn, project.id, limit=limit + 1, after=after)
        page = rows[:limit]
        data = describe_releases(conn, project, page, DEPLOYS_IN_LIST)
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_cursor(page[-1]["created_at"], page[-1]["id"])
    return {"data": data, "next_cursor": next_cursor}


def _release_or_404(conn: Any, project: Project, version: str) -> dict[str, Any]:
    row = get_release(conn, project.id, version)
    if row is None:
        raise HTTPException(404, f"no release {version!r} in project {project.slug!r}")
    return row


@router.get("/projects/{slug}/releases/{version}")
def release_detail(
    request: Request, slug: str, version: str, principal: ProjectReader
) -> dict[str, Any]:
    project = visible_project(request, principal, slug)
    with read_connection(engine_of(request)) as conn:
        row = _release_or_404(conn, project, version)
        [described] = describe_releases(conn, project, [row], None)
    return described


@router.post("/projects/{slug}/releases/{version}/deploys", status_code=201)
def post_deploy(
    request: Request, slug: str, version: str, principal: ReleaseWriter, body: DeployBody
) -> dict[str, Any]:
    """Record that the release went out to an environment (now, or at ``deployed_at``)."""
    project = visible_project(request, principal, slug)
    now = clock.now()
    deployed_at = now if body.deployed_at is None else _deploy_time(body.deployed_at, now)
    with write_transaction(engine_of(request)) as conn:
        row = _release_or_404(conn, project, version)
        try:
            deploy = add_deploy(
                conn, row["id"], environment=body.environment, deployed_at=deployed_at, now=now
            )
        except AlreadyExists as exc:
            raise HTTPException(409, str(exc)) from None
    return deploy_json(deploy, version)


def _deploy_time(value: str | float, now: float) -> float:
    try:
        ts = parse_time(value) if isinstance(value, str) else float(value)
    except ValueError as exc:
        raise HTTPException(400, f"deployed_at: {exc}") from None
    if not math.isfinite(ts) or ts < 0 or ts > now + FUTURE_SKEW:
        raise HTTPException(400, "deployed_at must be after 1970 and not in the future")
    return ts


@router.get("/projects/{slug}/releases/{version}/deploys")
def deploys_list(
    request: Request, slug: str, version: str, principal: ProjectReader
) -> dict[str, Any]:
    project = visible_project(request, principal, slug)
    with read_connection(engine_of(request)) as conn:
        row = _release_or_404(conn, project, version)
        deploys = deploys_of(conn, [row["id"]])[row["id"]]
    return {"data": [deploy_json(d, version) for d in deploys], "next_cursor": None}
