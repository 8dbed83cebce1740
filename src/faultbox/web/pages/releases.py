"""A project's releases, newest first, with deploys and what happened in each; and one
release with its new and regressed issues. The same read model as the releases API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.responses import Response

from faultbox.query.cursor import BadCursor, decode_cursor, encode_cursor
from faultbox.query.releases import describe_releases, release_issues
from faultbox.store.db import read_connection
from faultbox.store.releases import get_release, list_releases
from faultbox.web.access import project_for
from faultbox.web.render import page
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
DEPLOYS_IN_LIST = 5
ISSUES_SHOWN = 50


@router.get("/projects/{slug}/releases")
def releases_page(
    request: Request,
    slug: str,
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
        rows = list_releases(conn, project.id, limit=PAGE_SIZE + 1, after=after)
        shown = rows[:PAGE_SIZE]
        releases = describe_releases(conn, project, shown, DEPLOYS_IN_LIST)
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        next_cursor = encode_cursor(shown[-1]["created_at"], shown[-1]["id"])
    return page(
        request,
        "releases/list.html",
        {
            "nav": "releases",
            "project": project,
            "releases": releases,
            "next_cursor": next_cursor,
            "first_page": cursor is None,
        },
        user=user,
    )


@router.get("/projects/{slug}/releases/{version:path}")
def release_page(request: Request, slug: str, version: str, user: SignedIn) -> Response:
    with read_connection(engine_of(request)) as conn:
        project = project_for(conn, user, slug)
        row = get_release(conn, project.id, version)
        if row is None:
            raise HTTPException(404, f"no release {version!r} in {project.name}")
        [release] = describe_releases(conn, project, [row], None)
        new_issues, regressed = release_issues(conn, project.id, version, limit=ISSUES_SHOWN)
    return page(
        request,
        "releases/detail.html",
        {
            "nav": "releases",
            "project": project,
            "release": release,
            "new_issues": new_issues,
            "regressed": regressed,
        },
        user=user,
    )
