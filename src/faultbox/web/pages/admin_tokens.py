"""The signed-in user's own API tokens: list, create (scopes limited to what the user's
roles allow; the token is shown once), revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from starlette.responses import Response

from faultbox.accounts.scopes import ALL_SCOPES, ScopeError, allowed_scopes, parse_scopes
from faultbox.store.accounts import create_token, user_roles
from faultbox.store.admin_tokens import revoke_token, tokens_of
from faultbox.store.db import read_connection, write_transaction
from faultbox.web.csrf import csrf_protect
from faultbox.web.identity import WebUser
from faultbox.web.pages.admin_common import MAX_LABEL, done, notice, sentence
from faultbox.web.render import page
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def _allowed(request: Request, user: WebUser) -> frozenset[str]:
    with read_connection(engine_of(request)) as conn:
        roles = user_roles(conn, user.id)
    return allowed_scopes(is_superuser=user.is_superuser, roles=roles)


def _tokens_page(
    request: Request,
    user: WebUser,
    *,
    error: str | None = None,
    status_code: int = 200,
    created: str | None = None,
    form: dict[str, object] | None = None,
) -> Response:
    allowed = _allowed(request, user)
    with read_connection(engine_of(request)) as conn:
        tokens = tokens_of(conn, user.id)
    return page(
        request,
        "admin/tokens.html",
        {
            "nav": "admin",
            "tokens": tokens,
            "scopes": [s for s in ALL_SCOPES if s in allowed],
            "error": error,
            "notice": notice(request),
            "created": created,
            "form": form or {},
        },
        user=user,
        status_code=status_code,
        # The new token is on this page only: keep it out of every cache and history.
        headers={"Cache-Control": "no-store"},
    )


@router.get("/account/tokens")
def tokens_list(request: Request, user: SignedIn) -> Response:
    return _tokens_page(request, user)


@router.post("/account/tokens")
def token_create(
    request: Request,
    user: SignedIn,
    label: Annotated[str, Form(max_length=1000)] = "",
    scopes: Annotated[list[str] | None, Form(max_length=40)] = None,
) -> Response:
    label = label.strip()
    requested = scopes or []
    form: dict[str, object] = {"label": label, "scopes": set(requested)}

    def again(error: str, status_code: int = 400) -> Response:
        return _tokens_page(request, user, error=error, status_code=status_code, form=form)

    if not label or len(label) > MAX_LABEL:
        return again(f"Give the token a label of 1 to {MAX_LABEL} characters (what uses it).")
    if not requested:
        return again("Choose at least one scope.")
    try:
        chosen = parse_scopes(requested, _allowed(request, user))
    except ScopeError as exc:
        return again(sentence(exc), 403 if "beyond" in str(exc) else 400)
    with write_transaction(engine_of(request)) as conn:
        token = create_token(conn, user_id=user.id, scopes=chosen, label=label)
    # Shown once, in this response: only its hash is stored.
    return _tokens_page(request, user, created=token)


@router.post("/account/tokens/{token_id}/revoke")
def token_revoke(request: Request, user: SignedIn, token_id: int) -> Response:
    with write_transaction(engine_of(request)) as conn:
        revoked = revoke_token(conn, user_id=user.id, token_id=token_id)
    if not revoked:
        raise HTTPException(404, "no such token of yours")
    return done("/account/tokens", "token-revoked")
