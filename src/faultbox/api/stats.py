"""GET /api/v1/stats/...: quick stats per project (``?project=slug``, repeatable) or
over every project the token sees, for a ``?period=`` window (default 30d)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy import Connection

from faultbox import clock
from faultbox.api.auth import Principal, engine_of, require
from faultbox.query.stats.outcomes import outcome_summary
from faultbox.query.stats.series import series
from faultbox.query.stats.summary import summary
from faultbox.query.stats.top import top
from faultbox.query.stats.users import users
from faultbox.query.stats.window import BadStatsRequest, Window, parse_window
from faultbox.store.db import read_connection
from faultbox.store.projects import list_projects

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])
StatsReader = Annotated[Principal, Depends(require("event:read"))]
Projects = Annotated[
    list[str] | None,
    Query(description="Project slug; repeat for several. Default: every visible project"),
]
Period = Annotated[str, Query(description="Window ending now: 24h, 7d, 30d, 4w (1h to 365d)")]
Limit = Annotated[int, Query(ge=1, le=100, description="How many entries per list")]


def _answer(
    request: Request,
    principal: Principal,
    project: list[str] | None,
    period: str,
    compute: Callable[[Connection, list[int], Window], dict[str, Any]],
) -> dict[str, Any]:
    try:
        window = parse_window(period, clock.now())
    except BadStatsRequest as exc:
        raise HTTPException(400, str(exc)) from None
    with read_connection(engine_of(request)) as conn:
        # One read transaction: every figure of an answer sees the same data.
        visible = {p.slug: p.id for p in list_projects(conn) if p.id in principal.project_ids}
        wanted = list(dict.fromkeys(project)) if project else sorted(visible)
        unknown = [slug for slug in wanted if slug not in visible]
        if unknown:
            # Same answer for a project that does not exist and one the caller cannot see.
            raise HTTPException(404, f"no project {unknown[0]!r}")
        try:
            data = compute(conn, sorted(visible[slug] for slug in wanted), window)
        except BadStatsRequest as exc:
            raise HTTPException(400, str(exc)) from None
    return {"projects": wanted, **data}


@router.get("/summary")
def stats_summary(
    request: Request, principal: StatsReader, project: Projects = None, period: Period = "30d"
) -> dict[str, Any]:
    return _answer(request, principal, project, period, summary)


@router.get("/top")
def stats_top(
    request: Request,
    principal: StatsReader,
    project: Projects = None,
    period: Period = "30d",
    limit: Limit = 10,
) -> dict[str, Any]:
    return _answer(request, principal, project, period, lambda c, p, w: top(c, p, w, limit))


@router.get("/series")
def stats_series(
    request: Request,
    principal: StatsReader,
    project: Projects = None,
    period: Period = "30d",
    by: Annotated[str, Query(description="service, environment or release")] = "service",
    interval: Annotated[
        str | None, Query(description="hour or day (default: hour up to 2 days, else day)")
    ] = None,
    limit: Limit = 10,
) -> dict[str, Any]:
    return _answer(
        request,
        principal,
        project,
        period,
        lambda c, p, w: series(c, p, w, by=by, interval=interval, limit=limit),
    )


@router.get("/users")
def stats_users(
    request: Request,
    principal: StatsReader,
    project: Projects = None,
    period: Period = "30d",
    limit: Limit = 10,
) -> dict[str, Any]:
    return _answer(request, principal, project, period, lambda c, p, w: users(c, p, w, limit))


@router.get("/outcomes")
def stats_outcomes(
    request: Request, principal: StatsReader, project: Projects = None, period: Period = "30d"
) -> dict[str, Any]:
    """Events accepted, and dropped by outcome and reason (rate_limited: key_rate_limit,
    key_quota, spike_protection; filtered: sample_rate, discarded; rejected: queue_full;
    invalid: an envelope's malformed item dropped beside good ones, e.g. invalid_session;
    client_discard: what SDKs report they dropped, e.g. ratelimit_backoff)."""
    return _answer(request, principal, project, period, outcome_summary)
