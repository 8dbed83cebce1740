"""The session cookie: reading it on every page, and the redirect to sign in without one."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from sqlalchemy import Engine

from faultbox import clock
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.web_sessions import session_user, touch_session
from faultbox.web.identity import WebUser, load_web_user

SESSION_COOKIE = "fb_session"
# Extending the expiry on every request would write on every page view; once an hour is
# enough for a sliding lifetime counted in days.
_TOUCH_EVERY = 3600.0


class SignInRequired(Exception):
    """Raised by the ``current_user`` dependency; answered with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def session_lifetime(request: Request) -> float:
    return float(request.app.state.settings.session_days) * 86400.0


def secure_cookies(request: Request) -> bool:
    return bool(request.app.state.settings.public_url.startswith("https://"))


def optional_user(request: Request) -> WebUser | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    now = clock.now()
    engine = engine_of(request)
    with read_connection(engine) as conn:
        session = session_user(conn, token, now=now)
        if session is None:
            return None
        user = load_web_user(conn, session)
    lifetime = session_lifetime(request)
    if session.expires_at - now < lifetime - _TOUCH_EVERY:
        with write_transaction(engine) as conn:
            touch_session(conn, session.session_id, now=now, expires_at=now + lifetime)
    return user


def current_user(request: Request) -> WebUser:
    user = optional_user(request)
    if user is None:
        path = request.url.path
        if request.url.query:
            path += "?" + request.url.query
        raise SignInRequired(path)
    return user


SignedIn = Annotated[WebUser, Depends(current_user)]


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")
