"""A project's ingest keys (``project:admin`` to change): list with DSN, create,
revoke, rotate.

Rotation creates a new key and revokes the old one at once. There is no timed grace
period (no expiry is stored per key); to move clients over without dropping events,
create a second key, deploy it, then revoke the old one; both steps are on the page.
Revocation takes effect at once in this server process (its key cache is cleared) and
within the cache's TTL (ingest/keys.py) in any other.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from starlette.responses import Response

from faultbox.query.dsn import dsn_for
from faultbox.store.admin_keys import ProjectKey, project_key, project_keys_of, set_key_active
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.errors import NotFound
from faultbox.store.projects import Project, create_key
from faultbox.web.access import project_for, scoped_project
from faultbox.web.csrf import csrf_protect
from faultbox.web.identity import WebUser
from faultbox.web.pages.admin_common import MAX_LABEL, done, forget_cached_keys, notice
from faultbox.web.render import page
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

ADMIN_SCOPE = "project:admin"


def _dsn(public_url: str, project: Project, key: ProjectKey) -> str | None:
    return dsn_for(public_url, dataclasses.replace(project, public_key=key.public_key))


def _keys_page(
    request: Request,
    user: WebUser,
    slug: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    public_url = request.app.state.settings.public_url
    with read_connection(engine_of(request)) as conn:
        project = project_for(conn, user, slug)
        keys = project_keys_of(conn, project.id)
    rows = [
        {
            "key": k,
            "dsn": dsn_for(public_url, dataclasses.replace(project, public_key=k.public_key)),
        }
        for k in keys
    ]
    return page(
        request,
        "admin/keys.html",
        {
            "nav": "admin",
            "project": project,
            "keys": rows,
            "may_admin": user.may(project.id, ADMIN_SCOPE),
            "error": error,
            "notice": notice(request),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/admin/projects/{slug}/keys")
def keys_list(request: Request, user: SignedIn, slug: str) -> Response:
    return _keys_page(request, user, slug)


@router.post("/admin/projects/{slug}/keys")
def key_create(
    request: Request,
    user: SignedIn,
    slug: str,
    label: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    project = scoped_project(request, user, slug, ADMIN_SCOPE)
    label = label.strip() or "Default"
    if len(label) > MAX_LABEL:
        return _keys_page(
            request,
            user,
            slug,
            error=f"A key label is at most {MAX_LABEL} characters.",
            status_code=400,
        )
    with write_transaction(engine_of(request)) as conn:
        create_key(conn, project.id, label)
    return done(f"/admin/projects/{project.slug}/keys", "key-created")


def _key_of(request: Request, project: Project, key_id: int) -> ProjectKey:
    with read_connection(engine_of(request)) as conn:
        try:
            return project_key(conn, project.id, key_id)
        except NotFound:
            raise HTTPException(404, "no such key in this project") from None


@router.post("/admin/projects/{slug}/keys/{key_id}/revoke")
def key_revoke(request: Request, user: SignedIn, slug: str, key_id: int) -> Response:
    project = scoped_project(request, user, slug, ADMIN_SCOPE)
    key = _key_of(request, project, key_id)
    with write_transaction(engine_of(request)) as conn:
        set_key_active(conn, key.id, False)
    forget_cached_keys(request)
    return done(f"/admin/projects/{project.slug}/keys", "key-revoked")


@router.post("/admin/projects/{slug}/keys/{key_id}/rotate")
def key_rotate(request: Request, user: SignedIn, slug: str, key_id: int) -> Response:
    project = scoped_project(request, user, slug, ADMIN_SCOPE)
    key = _key_of(request, project, key_id)
    if not key.is_active:
        return _keys_page(
            request, user, slug, error="This key is already revoked.", status_code=409
        )
    with write_transaction(engine_of(request)) as conn:
        create_key(conn, project.id, key.label)
        set_key_active(conn, key.id, False)
    forget_cached_keys(request)
    return done(f"/admin/projects/{project.slug}/keys", "key-rotated")
