"""The project settings' Retention tab: the days each level class is kept (the
project's own or the server's default), what that means now, and when the hourly job
runs next. Validation is the API's (lifecycle.retention.parse_days)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from faultbox import clock
from faultbox.lifecycle.retention import (
    DAY,
    RetentionDefaults,
    effective_days,
    next_run_at,
    parse_days,
)
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.retention import LEVEL_CLASSES, project_retentions, set_project_retention
from faultbox.web.access import project_for, scoped_project
from faultbox.web.csrf import csrf_protect
from faultbox.web.identity import WebUser
from faultbox.web.pages.admin_common import done, notice, sentence
from faultbox.web.pages.admin_settings import TABS, WRITE_SCOPE
from faultbox.web.render import page
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
TAB = "retention"
SAVED = "Saved. The next retention run (hourly) applies it."
LABELS = {"info": "Debug and info events", "error": "Warning, error and fatal events"}


def _page(
    request: Request,
    user: WebUser,
    slug: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    typed: dict[str, str] | None = None,
) -> Response:
    defaults = RetentionDefaults.from_settings(request.app.state.settings)
    engine = engine_of(request)
    with read_connection(engine) as conn:
        project = project_for(conn, user, slug)
        (policy,) = project_retentions(conn, project.id)
    days = effective_days(policy, defaults)
    own = {"info": policy.info_days, "error": policy.error_days}
    server = {"info": defaults.info_days, "error": defaults.error_days}
    now = clock.now()
    classes = [
        {
            "name": name,
            "field": f"{name}_days",
            "label": LABELS[name],
            "levels": ", ".join(LEVEL_CLASSES[name]),
            "days": days[name],
            "own": own[name],
            "server": server[name],
            "typed": (typed or {}).get(name, "" if own[name] is None else str(own[name])),
            "before": now - days[name] * DAY,
        }
        for name in ("info", "error")
    ]
    context: dict[str, Any] = {
        "nav": "admin",
        "project": project,
        "tabs": TABS,
        "tab": TAB,
        "may_write": user.may(project.id, WRITE_SCOPE),
        "error": error,
        "notice": SAVED if request.query_params.get("ok") == "retention-saved" else notice(request),
        "classes": classes,
        "next_run_at": next_run_at(engine),
        "now": now,
    }
    return page(
        request, "admin/settings_retention.html", context, user=user, status_code=status_code
    )


@router.get("/admin/projects/{slug}/settings/retention")
def retention_tab(request: Request, user: SignedIn, slug: str) -> Response:
    return _page(request, user, slug)


@router.post("/admin/projects/{slug}/settings/retention")
def save_retention(
    request: Request,
    user: SignedIn,
    slug: str,
    info_days: Annotated[str, Form(max_length=20)] = "",
    error_days: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    project = scoped_project(request, user, slug, WRITE_SCOPE)
    typed = {"info": info_days.strip(), "error": error_days.strip()}
    try:
        values = {
            name: parse_days(
                _number(text),
                f"days to keep {LABELS[name].lower()}",
                unset="empty",
            )
            for name, text in typed.items()
        }
    except ValueError as exc:
        return _page(request, user, slug, error=sentence(exc), status_code=400, typed=typed)
    with write_transaction(engine_of(request)) as conn:
        set_project_retention(
            conn, project.id, info_days=values["info"], error_days=values["error"]
        )
    return done(f"/admin/projects/{project.slug}/settings/{TAB}", "retention-saved")


def _number(text: str) -> object:
    """An empty field is the server's default; anything else must be whole days."""
    if not text:
        return None
    return int(text) if text.isdigit() else text
