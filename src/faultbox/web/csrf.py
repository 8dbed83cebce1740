"""CSRF protection for every state-changing request of the dashboard.

Two checks, both required: the session's token (form field ``csrf_token`` or header
``X-CSRF-Token``, which htmx sends), and, when the browser says where the request
came from (``Origin``), that it is this server.  The session cookie is also
``SameSite=Lax``; the token is what a test can forge and must fail without.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from faultbox.web.session import current_user

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


async def submitted_token(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # cached by Starlette: the endpoint reads it again
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:  # not sent by every browser on same-origin form posts
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def tokens_match(expected: str, given: str) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), given.encode())


async def csrf_protect(request: Request) -> None:
    """Router dependency: refuse an unsafe request without the session's CSRF token."""
    if request.method not in UNSAFE_METHODS:
        return
    if not same_origin(request):
        raise HTTPException(403, "cross-origin request refused")
    user = await run_in_threadpool(current_user, request)
    if not tokens_match(user.csrf_token, await submitted_token(request)):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
