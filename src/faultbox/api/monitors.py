"""Cron and heartbeat monitors: list, create, read, update and delete a project's
monitors, and list a monitor's runs (newest first, keyset pages).

Check-ins themselves arrive through ingest (the SDKs' ``check_in`` items and
``POST /api/v1/monitors/{slug}/checkins`` with the project's key), not here.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from faultbox import clock
from faultbox.api.auth import Principal, engine_of, require
from faultbox.api.projects import visible_project
from faultbox.query.cursor import BadCursor, decode_cursor_values, encode_cursor
from faultbox.query.monitors import checkin_json, monitor_json
from faultbox.schedules import parse_schedule
from faultbox.store import monitors as store
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.monitors import MonitorRow
from faultbox.store.projects import Project

router = APIRouter(prefix="/api/v1", tags=["monitors"])
ProjectReader = Annotated[Principal, Depends(require("project:read"))]
ProjectWriter = Annotated[Principal, Depends(require("project:write"))]

_SLUG = r"^[a-z0-9][a-z0-9_-]{0,49}$"
Minutes = Annotated[int, Field(ge=1, le=40_320)]


class ScheduleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = Field(examples=["crontab"], description="crontab or interval")
    value: str | int = Field(examples=["0 * * * *"], description="crontab text or a count")
    unit: str | None = Field(None, examples=["minute"], description="interval unit")


class MonitorUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=200)
    schedule: ScheduleBody | None = None
    timezone: str | None = Field(None, max_length=64, examples=["Europe/Berlin"])
    checkin_margin: Minutes | None = None
    max_runtime: Minutes | None = None
    enabled: bool | None = None


class MonitorCreate(MonitorUpdate):
    slug: str = Field(pattern=_SLUG, examples=["nightly-backup"])
    schedule: ScheduleBody

    @model_validator(mode="after")
    def _schedule_is_valid(self) -> MonitorCreate:
        _schedule_columns(self.schedule, self.timezone)
        return self


def _schedule_columns(schedule: ScheduleBody, timezone: str | None) -> dict[str, str]:
    value = schedule.value
    if schedule.type == "interval" and isinstance(value, str) and re.fullmatch(r"\d+", value):
        value = int(value)
    parsed = parse_schedule(schedule.type, value, schedule.unit, timezone)
    return {"schedule_type": parsed.type, "schedule": parsed.value, "timezone": parsed.timezone}


def _columns(body: MonitorUpdate, current: MonitorRow | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if body.name is not None:
        values["name"] = body.name
    if body.enabled is not None:
        values["enabled"] = body.enabled
        if not body.enabled:
            # Paused: it expects nothing until its next check-in after it is enabled again
            # (otherwise re-enabling would report every run of the pause as missed).
            values["next_expected_at"] = None
    if body.checkin_margin is not None:
        values["checkin_margin_minutes"] = body.checkin_margin
    if body.max_runtime is not None:
        values["max_runtime_minutes"] = body.max_runtime
    if body.schedule is not None or body.timezone is not None:
        schedule = body.schedule
        if schedule is None:
            assert current is not None
            schedule = ScheduleBody(type=current.schedule_type, value=current.schedule)
        timezone = (
            body.timezone
            if body.timezone is not None
            else (current.timezone if current is not None else None)
        )
        try:
            values.update(_schedule_columns(schedule, timezone))
        except ValueError as error:
            raise HTTPException(422, str(error)) from None
    return values


def _monitor_or_404(conn: Any, project: Project, monitor_slug: str) -> MonitorRow:
    found = store.get_monitor(conn, project.id, monitor_slug)
    if found is None:
        raise HTTPException(404, f"no monitor {monitor_slug!r} in project {project.slug!r}")
    return found


@router.get("/projects/{slug}/monitors")
def monitors_list(request: Request, slug: str, principal: ProjectReader) -> dict[str, Any]:
    """Every monitor of the project with its status, schedule and next expected run."""
    project = visible_project(request, principal, slug)
    with read_connection(engine_of(request)) as conn:
        rows = store.list_monitors(conn, project.id)
    return {"data": [monitor_json(m) for m in rows]}


@router.post("/projects/{slug}/monitors", status_code=201)
def monitor_create(
    request: Request, slug: str, principal: ProjectWriter, body: MonitorCreate
) -> dict[str, Any]:
    project = visible_project(request, principal, slug)
    with write_transaction(engine_of(request)) as conn:
        if store.get_monitor(conn, project.id, body.slug) is not None:
            raise HTTPException(409, f"monitor {body.slug!r} already exists")
        created = store.create_monitor(
            conn, project_id=project.id, slug=body.slug, now=clock.now(), **_columns(body, None)
        )
    return monitor_json(created)


@router.get("/projects/{slug}/monitors/{monitor_slug}")
def monitor_detail(
    request: Request, slug: str, monitor_slug: str, principal: ProjectReader
) -> dict[str, Any]:
    project = visible_project(request, principal, slug)
    with read_connection(engine_of(request)) as conn:
        return monitor_json(_monitor_or_404(conn, project, monitor_slug))


@router.patch("/projects/{slug}/monitors/{monitor_slug}")
def monitor_update(
    request: Request, slug: str, monitor_slug: str, principal: ProjectWriter, body: MonitorUpdate
) -> dict[str, Any]:
    """Change the given fields; a new schedule applies from the next check-in."""
    project = visible_project(request, principal, slug)
    with write_transaction(engine_of(request)) as conn:
        current = _monitor_or_404(conn, project, monitor_slug)
        values = _columns(body, current)
        if values:
            store.update_monitor(conn, current.id, now=clock.now(), **values)
        return monitor_json(_monitor_or_404(conn, project, monitor_slug))


@router.delete("/projects/{slug}/monitors/{monitor_slug}", status_code=204)
def monitor_delete(
    request: Request, slug: str, monitor_slug: str, principal: ProjectWriter
) -> Response:
    project = visible_project(request, principal, slug)
    with write_transaction(engine_of(request)) as conn:
        store.delete_monitor(conn, _monitor_or_404(conn, project, monitor_slug).id)
    return Response(status_code=204)


@router.get("/projects/{slug}/monitors/{monitor_slug}/checkins")
def monitor_checkins(
    request: Request,
    slug: str,
    monitor_slug: str,
    principal: ProjectReader,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: str | None = None,
) -> dict[str, Any]:
    """The monitor's runs, newest first (missed and timed-out runs included)."""
    project = visible_project(request, principal, slug)
    after = None
    if cursor:
        try:
            [started], row_id = decode_cursor_values(cursor, 1)
        except BadCursor as exc:
            raise HTTPException(400, str(exc)) from None
        after = (float(started), row_id)  # type: ignore[arg-type]
    with read_connection(engine_of(request)) as conn:
        monitor = _monitor_or_404(conn, project, monitor_slug)
        rows = store.list_checkins(conn, monitor.id, limit=limit + 1, after=after)
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].started_at, page[-1].id) if len(rows) > limit else None
    return {"data": [checkin_json(r) for r in page], "next_cursor": next_cursor}
