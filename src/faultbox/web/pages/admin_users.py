"""Instance users (superusers only): list, create, deactivate/reactivate, reset password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from starlette.responses import Response

from faultbox.accounts.passwords import WeakPassword, hash_password
from faultbox.store.accounts import create_user, get_user, set_password_hash
from faultbox.store.admin_users import active_superusers, list_users, set_user_active
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.errors import AlreadyExists, NotFound
from faultbox.store.web_sessions import end_other_sessions
from faultbox.web.csrf import csrf_protect
from faultbox.web.identity import WebUser
from faultbox.web.pages.admin_common import done, email_problem, notice, require_superuser, sentence
from faultbox.web.render import page
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def _users_page(
    request: Request,
    user: WebUser,
    *,
    error: str | None = None,
    status_code: int = 200,
    form: dict[str, object] | None = None,
) -> Response:
    with read_connection(engine_of(request)) as conn:
        rows = list_users(conn)
    return page(
        request,
        "admin/users.html",
        {
            "nav": "admin",
            "users": rows,
            "error": error,
            "notice": notice(request),
            "form": form or {},
        },
        user=user,
        status_code=status_code,
    )


@router.get("/admin/users")
def users_list(request: Request, user: SignedIn) -> Response:
    require_superuser(user)
    return _users_page(request, user)


@router.post("/admin/users")
def user_create(
    request: Request,
    user: SignedIn,
    email: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    superuser: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    require_superuser(user)
    email = email.strip()
    form = {"email": email, "superuser": bool(superuser)}

    def again(error: str, status_code: int = 400) -> Response:
        return _users_page(request, user, error=error, status_code=status_code, form=form)

    problem = email_problem(email)
    if problem:
        return again(problem)
    try:
        password_hash = hash_password(password)
    except WeakPassword as exc:
        return again(sentence(exc))
    try:
        with write_transaction(engine_of(request)) as conn:
            create_user(
                conn, email=email, password_hash=password_hash, is_superuser=bool(superuser)
            )
    except AlreadyExists:
        return again(f"A user with email {email.lower()!r} already exists.", 409)
    return done("/admin/users", "user-created")


def _target(request: Request, user: WebUser, user_id: int) -> None:
    require_superuser(user)
    with read_connection(engine_of(request)) as conn:
        try:
            get_user(conn, user_id)
        except NotFound:
            raise HTTPException(404, "no such user") from None


@router.post("/admin/users/{user_id}/deactivate")
def user_deactivate(request: Request, user: SignedIn, user_id: int) -> Response:
    _target(request, user, user_id)
    if user_id == user.id:
        return _users_page(request, user, error="You cannot deactivate yourself.", status_code=400)
    with write_transaction(engine_of(request)) as conn:
        target = get_user(conn, user_id)
        if target.is_superuser and target.is_active and active_superusers(conn) <= 1:
            refused = True
        else:
            refused = False
            set_user_active(conn, user_id, False)
    if refused:
        return _users_page(
            request,
            user,
            error="This is the last active superuser; make another one first.",
            status_code=409,
        )
    return done("/admin/users", "user-deactivated")


@router.post("/admin/users/{user_id}/reactivate")
def user_reactivate(request: Request, user: SignedIn, user_id: int) -> Response:
    _target(request, user, user_id)
    with write_transaction(engine_of(request)) as conn:
        set_user_active(conn, user_id, True)
    return done("/admin/users", "user-reactivated")


@router.post("/admin/users/{user_id}/password")
def user_reset_password(
    request: Request,
    user: SignedIn,
    user_id: int,
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    _target(request, user, user_id)
    if user_id == user.id:
        return _users_page(
            request,
            user,
            error="Change your own password on the account page (it asks for the current one).",
            status_code=400,
        )
    try:
        password_hash = hash_password(password)
    except WeakPassword as exc:
        return _users_page(request, user, error=sentence(exc), status_code=400)
    with write_transaction(engine_of(request)) as conn:
        set_password_hash(conn, user_id, password_hash)
        end_other_sessions(conn, user_id=user_id, keep_session_id=None)
    return done("/admin/users", "password-reset")
