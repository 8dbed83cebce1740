"""Protection settings and actions: a project's sampling and spike protection, its keys'
rate limits and quotas, and discarding an issue's new events.

Changes apply at once in this process (its key cache is cleared) and within the key
cache's TTL (ingest/keys.py, 10 s) in every other ``serve`` process.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt

from faultbox import clock
from faultbox.api.auth import Principal, engine_of, require
from faultbox.api.issues import visible_issue
from faultbox.api.projects import visible_project
from faultbox.lifecycle.discard import set_discarded
from faultbox.query.issues import get_issue
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.errors import NotFound
from faultbox.store.projects import Project
from faultbox.store.protection import (
    KeyLimits,
    key_limits,
    key_limits_of,
    project_protection,
    set_key_limits,
    set_project_protection,
)

router = APIRouter(prefix="/api/v1", tags=["protection"])
ProjectReader = Annotated[Principal, Depends(require("project:read"))]
ProjectWriter = Annotated[Principal, Depends(require("project:write"))]
KeyAdmin = Annotated[Principal, Depends(require("project:admin"))]
EventAdmin = Annotated[Principal, Depends(require("event:admin"))]

# As the server settings allow (config.py); the columns are 32-bit integers.
MAX_PER_MINUTE = 100_000_000
MAX_PER_DAY = 2_000_000_000
PerMinute = Annotated[StrictInt, Field(ge=0, le=MAX_PER_MINUTE)]
PerDay = Annotated[StrictInt, Field(ge=0, le=MAX_PER_DAY)]


class KeyLimitsBody(BaseModel):
    """Only the fields sent change; ``null`` = the server's default, ``0`` = no limit."""

    model_config = ConfigDict(extra="forbid")
    rate_limit_per_minute: PerMinute | None = None
    quota_per_day: PerDay | None = None


class ProtectionBody(BaseModel):
    """Only the fields sent change; ``sample_rate: null`` keeps every event."""

    model_config = ConfigDict(extra="forbid")
    sample_rate: Annotated[StrictFloat | StrictInt, Field(ge=0, le=1)] | None = None
    spike_protection: StrictBool | None = None


def _ingest(request: Request) -> Any:
    """This process's ingest context (ingest/accept.py): its key cache and spike guard."""
    return request.app.state.ingest


def _key_json(request: Request, key: KeyLimits) -> dict[str, Any]:
    settings = request.app.state.settings
    return {
        "id": key.id,
        "label": key.label,
        "public_key": key.public_key,
        "active": key.is_active,
        "rate_limit_per_minute": key.rate_limit_per_minute,
        "quota_per_day": key.quota_per_day,
        # What applies (0: no limit), after the server's defaults.
        "effective": {
            "rate_limit_per_minute": _or_default(
                key.rate_limit_per_minute, settings.rate_limit_per_minute
            ),
            "quota_per_day": _or_default(key.quota_per_day, settings.quota_per_day),
        },
    }


def _or_default(own: int | None, default: int) -> int:
    return default if own is None else own


def _protection_json(request: Request, project: Project) -> dict[str, Any]:
    with read_connection(engine_of(request)) as conn:
        protection = project_protection(conn, project.id)
        keys = key_limits_of(conn, project.id)
    spike: dict[str, Any] = {"enabled": protection.spike_protection, "cap_per_minute": None}
    if protection.spike_protection:
        cap = _ingest(request).protection.spike.cap(project.id, clock.now())
        spike["cap_per_minute"] = int(cap)
    return {
        "project": project.slug,
        "sample_rate": protection.sample_rate,
        "spike_protection": spike,
        "keys": [_key_json(request, k) for k in keys],
    }


@router.get("/projects/{slug}/protection")
def get_protection(request: Request, slug: str, principal: ProjectReader) -> dict[str, Any]:
    """Sampling, spike protection (with this hour's cap) and every key's limits."""
    return _protection_json(request, visible_project(request, principal, slug))


@router.patch("/projects/{slug}/protection")
def patch_protection(
    request: Request, slug: str, principal: ProjectWriter, body: ProtectionBody
) -> dict[str, Any]:
    """Set the share of events stored (0..1) and spike protection on or off."""
    project = visible_project(request, principal, slug)
    sent = body.model_fields_set
    if "spike_protection" in sent and body.spike_protection is None:
        raise HTTPException(400, "spike_protection must be true or false")
    with write_transaction(engine_of(request)) as conn:
        current = project_protection(conn, project.id)
        sample_rate = current.sample_rate
        if "sample_rate" in sent:
            sample_rate = None if body.sample_rate is None else float(body.sample_rate)
        spike = body.spike_protection
        set_project_protection(
            conn,
            project.id,
            sample_rate=sample_rate,
            spike_protection=current.spike_protection if spike is None else spike,
        )
    _ingest(request).keys.invalidate()
    return _protection_json(request, project)


@router.patch("/projects/{slug}/keys/{key_id}/limits")
def patch_key_limits(
    request: Request, slug: str, key_id: int, principal: KeyAdmin, body: KeyLimitsBody
) -> dict[str, Any]:
    """Set a key's events per minute and per UTC day."""
    project = visible_project(request, principal, slug)
    sent = body.model_fields_set
    with write_transaction(engine_of(request)) as conn:
        try:
            key = key_limits(conn, project.id, key_id)
        except NotFound:
            raise HTTPException(404, f"no key {key_id} in project {slug!r}") from None
        set_key_limits(
            conn,
            key.id,
            per_minute=body.rate_limit_per_minute
            if "rate_limit_per_minute" in sent
            else key.rate_limit_per_minute,
            per_day=body.quota_per_day if "quota_per_day" in sent else key.quota_per_day,
        )
        key = key_limits(conn, project.id, key.id)
    _ingest(request).keys.invalidate()
    return _key_json(request, key)


def _discard(request: Request, issue_id: int, principal: Principal, discard: bool) -> Any:
    issue = visible_issue(request, principal, issue_id)
    with write_transaction(engine_of(request)) as conn:
        changed = set_discarded(
            conn, issue["id"], discard, actor=principal.user_id, now=clock.now()
        )
        updated = get_issue(conn, issue["id"])
    return {"issue": updated, "changed": changed}


@router.post("/issues/{issue_id}/discard")
def discard_issue(request: Request, issue_id: int, principal: EventAdmin) -> Any:
    """Stop storing the issue's new events; they are still counted. Again: no change."""
    return _discard(request, issue_id, principal, True)


@router.delete("/issues/{issue_id}/discard")
def undiscard_issue(request: Request, issue_id: int, principal: EventAdmin) -> Any:
    """Store the issue's new events again."""
    return _discard(request, issue_id, principal, False)
