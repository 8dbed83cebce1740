"""Sign in, sign out, change password."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from starlette.responses import RedirectResponse, Response

from faultbox import clock
from faultbox.accounts.passwords import WeakPassword, hash_password, verify_password
from faultbox.store.accounts import get_user, set_password_hash
from faultbox.store.db import write_transaction
from faultbox.store.web_sessions import end_other_sessions, end_session, start_session
from faultbox.web.csrf import csrf_protect, tokens_match
from faultbox.web.render import page
from faultbox.web.session import (
    SESSION_COOKIE,
    SignedIn,
    engine_of,
    optional_user,
    secure_cookies,
    session_lifetime,
)
from faultbox.web.signin import check_sign_in

router = APIRouter(include_in_schema=False)
# Before a session exists the CSRF token lives in its own cookie (double submit).
LOGIN_CSRF_COOKIE = "fb_login_csrf"


def _safe_next(value: str | None) -> str:
    """Only same-site paths: an open redirect after sign-in would help phishing."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    return "/" if parts.scheme or parts.netloc else value


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _login_page(
    request: Request,
    *,
    next_path: str,
    error: str | None = None,
    status_code: int = 200,
    email: str = "",
    headers: dict[str, str] | None = None,
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = page(
        request,
        "auth/login.html",
        {"next": next_path, "error": error, "login_csrf": token, "email": email},
        status_code=status_code,
        headers=headers,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies(request)
    )
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:  # noqa: A002
    if optional_user(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, next_path=_safe_next(next))


@router.post("/login")
def login(
    request: Request,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",  # noqa: A002
) -> Response:
    next_path = _safe_next(next)
    cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not tokens_match(cookie_token, csrf_token):
        raise HTTPException(403, "missing or wrong CSRF token: reload the sign-in page")
    if not email.strip() or not password:
        return _login_page(
            request,
            next_path=next_path,
            error="Enter your email and password.",
            status_code=400,
            email=email,
        )
    settings = request.app.state.settings
    now = clock.now()
    with write_transaction(engine_of(request)) as conn:
        result = check_sign_in(
            conn,
            email=email,
            password=password,
            ip=_client_ip(request),
            now=now,
            max_failures=settings.login_max_failures,
        )
        if result.retry_after is not None:
            minutes = max(1, round(result.retry_after / 60))
            return _login_page(
                request,
                next_path=next_path,
                status_code=429,
                email=email,
                error=f"Too many failed sign-ins. Try again in {minutes} min.",
                headers={"Retry-After": str(result.retry_after)},
            )
        if result.user_id is None:
            return _login_page(
                request,
                next_path=next_path,
                error="Wrong email or password.",
                status_code=401,
                email=email,
            )
        token = start_session(
            conn,
            user_id=result.user_id,
            now=now,
            lifetime=session_lifetime(request),
            user_agent=request.headers.get("user-agent", ""),
            ip=_client_ip(request),
        )
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(session_lifetime(request)),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout", dependencies=[Depends(csrf_protect)])
def logout(request: Request, user: SignedIn) -> Response:
    with write_transaction(engine_of(request)) as conn:
        end_session(conn, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/account/password")
def password_form(request: Request, user: SignedIn) -> Response:
    return page(request, "auth/password.html", {}, user=user)


@router.post("/account/password", dependencies=[Depends(csrf_protect)])
def change_password(
    request: Request,
    user: SignedIn,
    current: Annotated[str, Form(max_length=1024)] = "",
    new: Annotated[str, Form(max_length=1024)] = "",
    confirm: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    def again(error: str, status_code: int = 400) -> Response:
        return page(
            request, "auth/password.html", {"error": error}, user=user, status_code=status_code
        )

    if new != confirm:
        return again("The new passwords do not match.")
    with write_transaction(engine_of(request)) as conn:
        account = get_user(conn, user.id)
        if not verify_password(account.password_hash, current):
            return again("The current password is wrong.", 403)
        try:
            set_password_hash(conn, user.id, hash_password(new))
        except WeakPassword as exc:
            return again(str(exc).capitalize() + ".")
        # Anyone else holding a session (a stolen cookie) is signed out.
        signed_out = end_other_sessions(conn, user_id=user.id, keep_session_id=user.session_id)
    return page(
        request,
        "auth/password.html",
        {"done": True, "signed_out": signed_out},
        user=user,
    )
