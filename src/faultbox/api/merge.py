"""Correcting the grouping by hand: merge issues, list an issue's hashes, unmerge."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from faultbox import clock
from faultbox.api.auth import Principal, engine_of, require
from faultbox.api.issues import visible_issue
from faultbox.api.projects import visible_project
from faultbox.lifecycle.merging import merge_by_hand
from faultbox.query.issue_hashes import issue_hashes_summary
from faultbox.query.issues import get_issue
from faultbox.store.activity import Activity, record
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.merge import (
    MAX_MERGE,
    MergeError,
    unmerge_hashes,
)

router = APIRouter(prefix="/api/v1", tags=["grouping"])
EventWriter = Annotated[Principal, Depends(require("event:write"))]
EventReader = Annotated[Principal, Depends(require("event:read"))]


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    issues: list[Annotated[int, Field(gt=0, lt=2**63)]] = Field(min_length=2, max_length=MAX_MERGE)
    into: Annotated[int, Field(gt=0, lt=2**63)] | None = Field(
        None, description="The issue to keep; by default the one with the most events"
    )


class UnmergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hashes: list[Annotated[str, Field(pattern=r"^[0-9a-f]{1,64}$")]] = Field(
        min_length=1, max_length=200
    )


@router.post("/projects/{slug}/issues/merge")
def merge(request: Request, slug: str, principal: EventWriter, body: MergeRequest) -> Any:
    """Fold issues into one: every event, hash, user, hourly count and tag count moves
    to the kept issue; the others' ids keep answering with the kept issue."""
    project = visible_project(request, principal, slug)
    if body.into is not None and body.into not in body.issues:
        raise HTTPException(400, "'into' must be one of 'issues'")
    with write_transaction(engine_of(request)) as conn:
        try:
            target, merged = merge_by_hand(
                conn,
                project.id,
                body.issues,
                into=body.into,
                actor=principal.user_id,
                now=clock.now(),
            )
        except MergeError as exc:
            raise HTTPException(400, str(exc)) from None
        issue = get_issue(conn, target)
    return {"issue": issue, "merged": merged}


@router.get("/issues/{issue_id}/hashes")
def hashes(request: Request, issue_id: int, principal: EventReader) -> dict[str, Any]:
    """The fingerprints filed under the issue, to choose what to unmerge."""
    issue = visible_issue(request, principal, issue_id)
    with read_connection(engine_of(request)) as conn:
        return {"issue_id": issue["id"], "data": issue_hashes_summary(conn, issue["id"])}


@router.post("/issues/{issue_id}/unmerge")
def unmerge(
    request: Request, issue_id: int, principal: EventWriter, body: UnmergeRequest
) -> dict[str, Any]:
    """Move the events of the given hashes out into a new issue."""
    issue = visible_issue(request, principal, issue_id)
    if issue.get("merged_from") is not None:
        raise HTTPException(409, f"issue {issue_id} was merged into {issue['id']}: use that id")
    with write_transaction(engine_of(request)) as conn:
        try:
            result = unmerge_hashes(conn, issue["project_id"], issue["id"], body.hashes)
        except MergeError as exc:
            raise HTTPException(400, str(exc)) from None
        new = get_issue(conn, result.new_issue_id)
        assert new is not None
        now, project_id = clock.now(), issue["project_id"]
        moved = f"{len(body.hashes)} hash(es), {result.moved_events} events"
        record(
            conn,
            [
                Activity(
                    issue["id"],
                    project_id,
                    "unmerge",
                    now,
                    principal.user_id,
                    note=f"{moved} moved to {new['short_id']}",
                ),
                Activity(
                    new["id"],
                    project_id,
                    "created",
                    now,
                    principal.user_id,
                    new_value=new["status"],
                    note=f"unmerged from {issue['short_id']}",
                ),
            ],
        )
        return {
            "issue": new,
            "source": get_issue(conn, issue["id"]),
            "moved_events": result.moved_events,
        }
