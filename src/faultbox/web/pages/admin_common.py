"""What the admin pages share: notices after a redirect, the superuser check, limits."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import HTTPException, Request
from starlette.responses import RedirectResponse

from faultbox.web.identity import WebUser

# A redirect carries a notice code, never text: a URL must not put words on the page.
NOTICES = {
    "user-created": "User created.",
    "user-deactivated": "User deactivated; their sessions are signed out.",
    "user-reactivated": "User reactivated.",
    "password-reset": "Password reset; their sessions are signed out.",
    "team-created": "Team created; you are its owner.",
    "member-added": "Member added.",
    "member-removed": "Member removed.",
    "role-changed": "Role changed.",
    "key-created": "Key created.",
    "key-revoked": "Key revoked: events sent with it are refused from now on.",
    "key-rotated": "Key rotated: the new key is active, the old one is revoked.",
    "token-revoked": "Token revoked.",
    "saved": "Saved. The digest applies the change to new events within seconds.",
}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
MAX_EMAIL = 254
MAX_NAME = 200
MAX_LABEL = 200
MAX_RULES = 64_000  # characters of rule text


def notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("ok", ""))


def sentence(exc: Exception, end: str = ".") -> str:
    """A service's message as a sentence (first letter up; names and emails untouched)."""
    text = str(exc)
    return text[:1].upper() + text[1:] + end


def done(path: str, code: str) -> RedirectResponse:
    """Post/redirect/get: answer a successful POST with a 303 to the page to show."""
    sep = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{sep}ok={quote(code)}", status_code=303)


def require_superuser(user: WebUser) -> None:
    if not user.is_superuser:
        raise HTTPException(403, "only instance superusers may manage users")


def email_problem(email: str) -> str | None:
    if not email:
        return "Enter an email address."
    if len(email) > MAX_EMAIL or not EMAIL_RE.match(email):
        return f"{email[:MAX_EMAIL]!r} is not a valid email address."
    return None


def forget_cached_keys(request: Request) -> None:
    """Make a revoked key fail at once in this process's ingest (other processes: the
    key cache's TTL, a few seconds)."""
    ingest = getattr(request.app.state, "ingest", None)
    keys = getattr(ingest, "keys", None)
    if keys is not None:
        keys.invalidate()
