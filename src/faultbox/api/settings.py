"""Per-project settings: PII scrubbing (GET/PUT /api/v1/projects/{slug}/scrubbing)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Depends, HTTPException, Request

from faultbox.api.auth import Principal, engine_of, require
from faultbox.api.projects import visible_project
from faultbox.scrub_config import ScrubConfig
from faultbox.store.db import write_transaction
from faultbox.store.projects import set_scrub_config

router = APIRouter(prefix="/api/v1", tags=["settings"])


def current_scrub_config(raw: str | None) -> ScrubConfig:
    return ScrubConfig.from_json(orjson.loads(raw)) if raw else ScrubConfig()


@router.get("/projects/{slug}/scrubbing")
def get_scrubbing(
    request: Request, slug: str, principal: Annotated[Principal, Depends(require("project:read"))]
) -> dict[str, Any]:
    project = visible_project(request, principal, slug)
    return current_scrub_config(project.scrub_config).to_json()


@router.put("/projects/{slug}/scrubbing")
def put_scrubbing(
    request: Request,
    slug: str,
    principal: Annotated[Principal, Depends(require("project:write"))],
    body: Annotated[dict[str, Any], Body(examples=[{"extra_fields": ["iban"]}])],
) -> dict[str, Any]:
    """Replace the settings; keys left out take their defaults. Applies within seconds."""
    project = visible_project(request, principal, slug)
    try:
        config = ScrubConfig.from_json(body)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    with write_transaction(engine_of(request)) as conn:
        set_scrub_config(conn, project.id, orjson.dumps(config.to_json()).decode())
    return config.to_json()
