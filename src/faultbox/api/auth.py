"""Bearer-token authentication and scope checks for the REST API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine

from faultbox import clock
from faultbox.store.accounts import token_owner
from faultbox.store.admin_tokens import token_needs_touch, touch_token
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.projects import visible_project_ids


@dataclass(frozen=True)
class Principal:
    user_id: int
    is_superuser: bool
    scopes: frozenset[str]
    project_ids: frozenset[int]


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def authenticated(request: Request) -> Principal:
    """The bearer token's owner, or 401. ``require`` adds the scope check; the issue
    list's filters depend on this directly to know whom ``assigned:me`` means."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(
            401,
            "missing API token: send 'Authorization: Bearer <token>' "
            "(create one with 'faultbox token create')",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with read_connection(engine_of(request)) as conn:
        owner = token_owner(conn, token.strip())
        if owner is None:
            raise HTTPException(401, "invalid API token", headers={"WWW-Authenticate": "Bearer"})
        ids = visible_project_ids(conn, user_id=owner.user_id, is_superuser=owner.is_superuser)
        now = clock.now()
        stale = token_needs_touch(conn, owner.token_id, now=now)
    if stale:  # "last used" on the tokens page, written at most once a minute
        with write_transaction(engine_of(request)) as conn:
            touch_token(conn, owner.token_id, now=now)
    return Principal(owner.user_id, owner.is_superuser, owner.scopes, frozenset(ids))


def require(scope: str) -> Callable[..., Principal]:
    def dependency(principal: Principal = Depends(authenticated)) -> Principal:  # noqa: B008
        if scope not in principal.scopes:
            raise HTTPException(403, f"this token lacks the {scope!r} scope")
        return principal

    return dependency
