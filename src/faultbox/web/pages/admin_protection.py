"""A project's protection page: sampling and spike protection (``project:write`` to
change), each key's rate limit and daily quota (``project:admin``), and what was
dropped in the last 24 hours and 30 days, by reason. The same store services as the
API (api/protection.py); everyone who sees the project sees the page read-only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from starlette.responses import Response

from faultbox import clock
from faultbox.query.stats.outcomes import outcome_summary
from faultbox.query.stats.window import parse_window
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.errors import NotFound
from faultbox.store.protection import (
    key_limits,
    key_limits_of,
    project_protection,
    set_key_limits,
    set_project_protection,
)
from faultbox.web.access import project_for, scoped_project
from faultbox.web.csrf import csrf_protect
from faultbox.web.identity import WebUser
from faultbox.web.pages.admin_common import done, forget_cached_keys, notice
from faultbox.web.render import page
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

WRITE_SCOPE = "project:write"
KEY_SCOPE = "project:admin"
MAX_PER_MINUTE = 100_000_000  # as the API (api/protection.py)
MAX_PER_DAY = 2_000_000_000
PERIODS = ("24h", "30d")


class FormProblem(ValueError):
    """A field the page shows again with this message."""


def _page(
    request: Request,
    user: WebUser,
    slug: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    settings = request.app.state.settings
    now = clock.now()
    with read_connection(engine_of(request)) as conn:
        project = project_for(conn, user, slug)
        protection = project_protection(conn, project.id)
        keys = key_limits_of(conn, project.id)
        drops = {p: outcome_summary(conn, [project.id], parse_window(p, now)) for p in PERIODS}
    spike_cap = None
    if protection.spike_protection:
        spike_cap = request.app.state.ingest.protection.spike.cap(project.id, now)
    return page(
        request,
        "admin/protection.html",
        {
            "nav": "admin",
            "project": project,
            "protection": protection,
            "spike_cap": spike_cap,
            "keys": keys,
            "defaults": {
                "per_minute": settings.rate_limit_per_minute,
                "per_day": settings.quota_per_day,
            },
            "drops": drops,
            "may_write": user.may(project.id, WRITE_SCOPE),
            "may_admin": user.may(project.id, KEY_SCOPE),
            "error": error,
            "notice": notice(request),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/admin/projects/{slug}/protection")
def protection_page(request: Request, user: SignedIn, slug: str) -> Response:
    return _page(request, user, slug)


def parse_sample_rate(raw: str) -> float | None:
    """Empty: every event; else a share from 0 to 1 (or a percentage, ``25%``)."""
    text = raw.strip()
    if not text:
        return None
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise FormProblem(f"The sample rate {text[:20]!r} is not a number.") from None
    if not 0.0 <= value <= 1.0:  # also refuses NaN
        raise FormProblem("The sample rate is a share from 0 to 1 (or 0% to 100%).")
    return value


def parse_limit(raw: str, what: str, most: int) -> int | None:
    """Empty: the server's default; else a whole number from 0 (no limit) to ``most``."""
    text = raw.strip().replace("_", "").replace(",", "")
    if not text:
        return None
    if not text.isdecimal() or len(text) > 12:
        raise FormProblem(f"The {what} must be a whole number from 0 to {most:,}.")
    value = int(text)
    if value > most:
        raise FormProblem(f"The {what} must be a whole number from 0 to {most:,}.")
    return value


@router.post("/admin/projects/{slug}/protection")
def save_project(
    request: Request,
    user: SignedIn,
    slug: str,
    sample_rate: Annotated[str, Form(max_length=100)] = "",
    spike_protection: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    project = scoped_project(request, user, slug, WRITE_SCOPE)
    try:
        rate = parse_sample_rate(sample_rate)
    except FormProblem as exc:
        return _page(request, user, slug, error=str(exc), status_code=400)
    with write_transaction(engine_of(request)) as conn:
        set_project_protection(
            conn, project.id, sample_rate=rate, spike_protection=bool(spike_protection)
        )
    forget_cached_keys(request)
    return done(f"/admin/projects/{project.slug}/protection", "saved")


@router.post("/admin/projects/{slug}/protection/keys/{key_id}")
def save_key(
    request: Request,
    user: SignedIn,
    slug: str,
    key_id: int,
    per_minute: Annotated[str, Form(max_length=100)] = "",
    per_day: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    project = scoped_project(request, user, slug, KEY_SCOPE)
    try:
        limits: dict[str, Any] = {
            "per_minute": parse_limit(per_minute, "rate limit per minute", MAX_PER_MINUTE),
            "per_day": parse_limit(per_day, "quota per day", MAX_PER_DAY),
        }
    except FormProblem as exc:
        return _page(request, user, slug, error=str(exc), status_code=400)
    with write_transaction(engine_of(request)) as conn:
        try:
            key = key_limits(conn, project.id, key_id)
        except NotFound:
            raise HTTPException(404, "no such key in this project") from None
        set_key_limits(conn, key.id, **limits)
    forget_cached_keys(request)
    return done(f"/admin/projects/{project.slug}/protection", "saved")
