"""The landing page: quick stats, errors over time with deploys, top errors, new issues,
affected users and patterns of one project, from the same services as the stats API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from sqlalchemy import Connection
from starlette.responses import RedirectResponse, Response

from faultbox import clock
from faultbox.query.issues import IssueFilters, list_issues
from faultbox.query.stats.outcomes import outcome_summary
from faultbox.query.stats.series import INTERVALS, series
from faultbox.query.stats.summary import summary
from faultbox.query.stats.top import top
from faultbox.query.stats.users import users
from faultbox.query.stats.window import Window, parse_window
from faultbox.store.db import read_connection
from faultbox.store.projects import Project
from faultbox.store.releases import deploys_between
from faultbox.web.access import project_for, visible_projects
from faultbox.web.charts import bar_chart, multi_line_chart
from faultbox.web.render import page
from faultbox.web.session import SignedIn, engine_of, optional_user

router = APIRouter(include_in_schema=False)

PERIODS = ("24h", "7d", "30d")
STATS_PERIOD = "30d"  # the quick stats: resolved in 30 days, MTTR against the 30 before
SERIES_LIMIT = 8
LIST_LIMIT = 10
NO_VALUE = "(none)"


@router.get("/")
def home(request: Request) -> Response:
    target = "/overview" if optional_user(request) is not None else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/overview")
def overview(
    request: Request,
    user: SignedIn,
    project: Annotated[str | None, Query(max_length=64)] = None,
    environment: Annotated[str | None, Query(max_length=64)] = None,
    period: Annotated[str, Query(max_length=8)] = "24h",
) -> Response:
    if period not in PERIODS:
        raise HTTPException(400, f"period must be one of {', '.join(PERIODS)}")
    environment = environment or None
    with read_connection(engine_of(request)) as conn:
        projects = visible_projects(conn, user)
        if project:
            chosen: Project | None = project_for(conn, user, project)
        else:
            chosen = projects[0] if projects else None
        context: dict[str, Any] = {
            "nav": "overview",
            "projects": projects,
            "chosen": chosen,
            "project": chosen,  # the nav links to its issues and releases
            "period": period,
            "periods": PERIODS,
            "environment": environment,
        }
        if chosen is not None:
            context.update(_project_overview(conn, chosen, period, environment))
    return page(request, "overview/overview.html", context, user=user)


def _project_overview(
    conn: Connection, project: Project, period: str, environment: str | None
) -> dict[str, Any]:
    now = clock.now()
    ids = [project.id]
    has_issues = bool(list_issues(conn, project.id, IssueFilters(), limit=1)[0])
    if not has_issues:
        return {"empty": True}
    window = parse_window(period, now)
    stats = summary(conn, ids, parse_window(STATS_PERIOD, now))["metrics"]
    mttr = stats["mttr_seconds"]
    mttr.update(value_text=duration(mttr["value"]), previous_text=duration(mttr["previous"]))
    by_service = series(
        conn, ids, window, by="service", interval=None, limit=SERIES_LIMIT, environment=environment
    )
    by_environment = series(conn, ids, window, by="environment", interval=None, limit=SERIES_LIMIT)
    deploys = deploys_between(conn, ids, window.start, window.end, environment=environment)
    markers = [(d["deployed_at"], f"{d['version']} → {d['environment']}") for d in deploys]
    ranked = top(conn, ids, window, LIST_LIMIT)
    affected = users(conn, ids, window, LIST_LIMIT)
    today = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    new_today = [
        issue
        for issue in list_issues(
            conn,
            project.id,
            IssueFilters(since=today.timestamp()),
            sort="first_seen",
            limit=LIST_LIMIT,
        )[0]
        if datetime.fromisoformat(issue["first_seen"]) >= today
    ]
    starts = _bucket_starts(window, by_service)
    return {
        "empty": False,
        "stats": stats,
        "stats_period": STATS_PERIOD,
        "events_chart": bar_chart(
            list(zip(starts, by_service["total"], strict=True)),
            bucket_seconds=INTERVALS[by_service["interval"]],
            markers=markers,
            label="Events per " + by_service["interval"],
            width=1000,  # full page width: keeps the axis text at its size
            height=200,
        ),
        "service_chart": multi_line_chart(
            _lines(starts, by_service), markers=markers, label="Events by service"
        ),
        "environment_chart": multi_line_chart(
            _lines(starts, by_environment), markers=markers, label="Events by environment"
        ),
        "environments": [s["value"] for s in by_environment["series"] if s["value"]],
        "deploys": deploys,
        "top": ranked,
        "affected": affected,
        "new_today": new_today,
        "total_events": sum(by_service["total"]),
        # Rate limits, spike protection, sampling, discarded issues (ingest/protection.py).
        "drops": outcome_summary(conn, ids, window),
    }


def duration(seconds: float | None) -> str:
    """45 s, 12 min, 5.5 h, 3.2 d."""
    if seconds is None:
        return "—"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{int(seconds)} s"


def _bucket_starts(window: Window, data: dict[str, Any]) -> list[float]:
    size = INTERVALS[data["interval"]]
    first = int(window.start // size) * size
    return [float(first + i * size) for i in range(len(data["total"]))]


def _lines(starts: list[float], data: dict[str, Any]) -> dict[str, list[tuple[float, float]]]:
    lines: dict[str, list[tuple[float, float]]] = {}
    for entry in data["series"]:
        name = entry["value"] if entry["value"] is not None else NO_VALUE
        lines[name] = [(t, float(c)) for t, c in zip(starts, entry["counts"], strict=True)]
    other = data.get("other")
    if other:
        lines[f"other ({other['values']})"] = [
            (t, float(c)) for t, c in zip(starts, other["counts"], strict=True)
        ]
    return lines
