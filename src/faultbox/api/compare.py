"""Comparing stacks: issues similar to one (merge candidates) and the diff of two events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from faultbox.api.auth import Principal, engine_of, require
from faultbox.api.issues import parse_event_id, visible_issue
from faultbox.digest.grouping.frame_naming import naming_for
from faultbox.query.similar import similar_issues
from faultbox.query.stack_diff import diff_events, load_event
from faultbox.store.db import read_connection

router = APIRouter(prefix="/api/v1", tags=["issues and events"])
EventReader = Annotated[Principal, Depends(require("event:read"))]


@router.get("/issues/{issue_id}/similar")
def similar(
    request: Request,
    issue_id: int,
    principal: EventReader,
    limit: Annotated[int, Query(ge=1, le=100, description="How many to return")] = 10,
) -> dict[str, Any]:
    """Other issues of the project whose latest event shares stack frames with this
    issue's latest event, best first, scored in [0, 1] (weighted Jaccard of normalized
    frame locations, in-app frames weighing more; see ``faultbox.query.similar``).
    Only the 500 most recently seen other issues of the project are compared
    (``candidate_limit`` in the answer); issues sharing no frame are left out."""
    # The issue detail's own lookup: same 404s, and a merged issue's id answers for the
    # issue it went into.
    issue = visible_issue(request, principal, issue_id)
    with read_connection(engine_of(request)) as conn:
        found = similar_issues(
            conn, issue["id"], set(principal.project_ids), naming_for, limit=limit
        )
    if found is None:  # deleted between the two reads
        raise HTTPException(404, f"no issue {issue_id}")
    if "merged_from" in issue:
        found["merged_from"] = issue["merged_from"]
    return found


@router.get("/events/{left_id}/diff/{right_id}")
def stack_diff(
    request: Request, left_id: str, right_id: str, principal: EventReader
) -> dict[str, Any]:
    """Frame-by-frame diff of two events' stacks (exceptions aligned from the reported
    one backwards, frames innermost first; see ``faultbox.query.stack_diff``)."""
    left_id = parse_event_id(left_id, "left event id")
    right_id = parse_event_id(right_id, "right event id")
    visible = set(principal.project_ids)
    with read_connection(engine_of(request)) as conn:
        left = load_event(conn, left_id, visible, naming_for)
        right = load_event(conn, right_id, visible, naming_for)
    if left is None:
        raise HTTPException(404, f"no event {left_id}")
    if right is None:
        raise HTTPException(404, f"no event {right_id}")
    return diff_events(left, right)
