"""Finding what a signed-in user may see: a project by slug, an issue by id.

Invisible things answer 404 (not 403), so a URL does not tell whether a project or issue
exists in someone else's team; a visible thing the role may not change answers 403.
"""

from __future__ import annotations

from fastapi import HTTPException, Request
from sqlalchemy import Connection

from faultbox.store.db import read_connection
from faultbox.store.errors import NotFound
from faultbox.store.projects import Project, get_project, get_project_by_id
from faultbox.web.identity import WebUser
from faultbox.web.session import engine_of


def project_for(
    conn: Connection, user: WebUser, slug: str, *, scope: str = "project:read"
) -> Project:
    try:
        project = get_project(conn, slug)
    except NotFound:
        raise HTTPException(404, f"no project {slug!r}") from None
    if project.id not in user.project_ids:
        raise HTTPException(404, f"no project {slug!r}")
    if not user.may(project.id, scope):
        raise HTTPException(403, f"your role on {project.name} does not allow this ({scope})")
    return project


def scoped_project(request: Request, user: WebUser, slug: str, scope: str) -> Project:
    """:func:`project_for` in a read transaction of its own: the check a form post makes
    before its write transaction."""
    with read_connection(engine_of(request)) as conn:
        return project_for(conn, user, slug, scope=scope)


def project_by_id_for(
    conn: Connection, user: WebUser, project_id: int, *, scope: str = "project:read"
) -> Project:
    if project_id not in user.project_ids:
        raise HTTPException(404, "no such project")
    project = get_project_by_id(conn, project_id)
    if not user.may(project.id, scope):
        raise HTTPException(403, f"your role on {project.name} does not allow this ({scope})")
    return project


def visible_projects(conn: Connection, user: WebUser) -> list[Project]:
    return sorted(
        (get_project_by_id(conn, pid) for pid in user.project_ids), key=lambda p: p.name.lower()
    )
