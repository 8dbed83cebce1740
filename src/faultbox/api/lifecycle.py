"""Changing issues: PATCH one, bulk-update by query, the activity log, comments."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from faultbox import clock
from faultbox.api.auth import Principal, engine_of, require
from faultbox.api.issues import issue_filters, visible_issue
from faultbox.api.projects import visible_project
from faultbox.lifecycle.changes import (
    ChangeRefused,
    Ignore,
    IssueChange,
    change_issues,
)
from faultbox.lifecycle.comments import comment_on
from faultbox.lifecycle.status import InvalidTransition, parse_status
from faultbox.query.issues import IssueFilters, get_issue, matching_issue_ids
from faultbox.query.markdown import render
from faultbox.query.timefmt import iso, parse_time
from faultbox.store.activity import activity_of
from faultbox.store.comments import (
    comments_of,
    delete_comment,
    edit_comment,
    get_comment,
)
from faultbox.store.db import read_connection, write_transaction

router = APIRouter(prefix="/api/v1", tags=["issue lifecycle"])
EventWriter = Annotated[Principal, Depends(require("event:write"))]
EventReader = Annotated[Principal, Depends(require("event:read"))]
BULK_LIMIT = 1000
Text = Annotated[str, Field(max_length=100_000)]


class IgnoreBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    until: str | None = Field(None, description="ISO 8601 or epoch seconds")
    more_events: int | None = Field(None, ge=1, le=10**12)
    more_users: int | None = Field(None, ge=1, le=10**12)


class IssuePatch(BaseModel):
    """Only the fields sent are changed; ``assignee: null`` unassigns."""

    model_config = ConfigDict(extra="forbid")
    status: str | None = None
    ignore: IgnoreBody | None = None
    resolved_in_release: Annotated[str, Field(min_length=1, max_length=250)] | None = None
    resolve_in_next_release: bool = False
    severity: str | None = None
    taxonomy: str | None = None
    assignee: Annotated[str, Field(max_length=254)] | int | None = None
    symptoms: Text | None = None
    diagnosis: Text | None = None
    resolution: Text | None = None
    prevention: Text | None = None
    references: Text | None = None
    runbook: Text | None = None


_CATALOGUE = ("symptoms", "diagnosis", "resolution", "prevention", "references", "runbook")


def _change(body: IssuePatch) -> IssueChange:
    sent = body.model_fields_set
    try:
        status = parse_status(body.status) if body.status is not None else None
        until = parse_time(body.ignore.until) if body.ignore and body.ignore.until else None
    except (InvalidTransition, ValueError) as exc:
        raise HTTPException(400, str(exc)) from None
    ignore = None
    if body.ignore is not None:
        ignore = Ignore(until, body.ignore.more_events, body.ignore.more_users)
    extra: dict[str, Any] = {"assignee": body.assignee} if "assignee" in sent else {}
    return IssueChange(
        status=status,
        ignore=ignore,
        resolved_in_release=body.resolved_in_release,
        resolve_in_next_release=body.resolve_in_next_release,
        severity=body.severity,
        taxonomy=body.taxonomy,
        catalogue={name: getattr(body, name) for name in _CATALOGUE if name in sent},
        **extra,
    )


@router.patch("/issues/{issue_id}")
def patch_issue(
    request: Request, issue_id: int, principal: EventWriter, body: IssuePatch
) -> dict[str, Any]:
    """Change status (the workflow refuses invalid moves with the allowed ones),
    ignore conditions, resolution release, severity, type, assignee and the
    catalogue fields. Every change is written to the activity log."""
    issue = visible_issue(request, principal, issue_id)
    change = _change(body)
    with write_transaction(engine_of(request)) as conn:
        try:
            refused = change_issues(
                conn,
                [issue["id"]],
                change,
                actor=principal.user_id,
                now=clock.now(),
            )
        except ChangeRefused as exc:
            raise HTTPException(400, str(exc)) from None
        if refused:
            why = refused[issue["id"]]
            # A move the workflow forbids conflicts with the issue's state; the rest
            # (an unknown assignee, ...) is a bad request.
            raise HTTPException(409 if isinstance(why, InvalidTransition) else 400, str(why))
        updated = get_issue(conn, issue["id"])
    return updated or issue


@router.patch("/projects/{slug}/issues")
def bulk_update(
    request: Request,
    slug: str,
    principal: EventWriter,
    body: IssuePatch,
    filters: Annotated[IssueFilters, Depends(issue_filters)],
    id: Annotated[list[int] | None, Query(description="Issue ids; else the filters")] = None,
) -> dict[str, Any]:
    """Apply one change to the issues given by ``id`` or matched by the list's filters
    (at most 1000). Issues whose workflow refuses the change are listed with why."""
    project = visible_project(request, principal, slug)
    change = _change(body)
    with write_transaction(engine_of(request)) as conn:
        ids = matching_issue_ids(conn, project.id, filters, ids=id, limit=BULK_LIMIT + 1)
        if len(ids) > BULK_LIMIT:
            raise HTTPException(400, f"more than {BULK_LIMIT} issues match: narrow the query")
        try:
            refused = change_issues(
                conn,
                ids,
                change,
                actor=principal.user_id,
                now=clock.now(),
            )
        except ChangeRefused as exc:
            raise HTTPException(400, str(exc)) from None
    return {
        "matched": len(ids),
        "updated": [i for i in ids if i not in refused],
        "refused": [{"issue_id": i, "reason": str(r)} for i, r in sorted(refused.items())],
    }


@router.get("/issues/{issue_id}/activity")
def activity(request: Request, issue_id: int, principal: EventReader) -> dict[str, Any]:
    """Every change to the issue, oldest first: who (null: Faultbox), what, old → new."""
    issue = visible_issue(request, principal, issue_id)
    with read_connection(engine_of(request)) as conn:
        rows = activity_of(conn, issue["id"])
    return {
        "issue_id": issue["id"],
        "data": [
            {
                "id": r["id"],
                "kind": r["kind"],
                "field": r["field"],
                "old": r["old_value"],
                "new": r["new_value"],
                "note": r["note"],
                "user": r["email"],
                "at": iso(r["created_at"]),
            }
            for r in rows
        ],
    }


class CommentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: Annotated[str, Field(min_length=1, max_length=50_000)]


def _check_comment(text: str) -> None:
    if not text.strip():
        raise HTTPException(400, "a comment needs some text")


def _comment_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "issue_id": row["issue_id"],
        "user": row.get("email"),
        "body": row["body"],
        "html": render(row["body"]),
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
    }


@router.get("/issues/{issue_id}/comments")
def list_comments(request: Request, issue_id: int, principal: EventReader) -> dict[str, Any]:
    issue = visible_issue(request, principal, issue_id)
    with read_connection(engine_of(request)) as conn:
        return {"data": [_comment_json(c) for c in comments_of(conn, issue["id"])]}


@router.post("/issues/{issue_id}/comments", status_code=201)
def post_comment(
    request: Request, issue_id: int, principal: EventWriter, body: CommentBody
) -> dict[str, Any]:
    issue = visible_issue(request, principal, issue_id)
    _check_comment(body.body)
    with write_transaction(engine_of(request)) as conn:
        comment_id = comment_on(
            conn,
            issue["id"],
            issue["project_id"],
            user_id=principal.user_id,
            body=body.body,
            now=clock.now(),
        )
        rows = comments_of(conn, issue["id"])
    return _comment_json(next(r for r in rows if r["id"] == comment_id))


def _own_comment(request: Request, principal: Principal, comment_id: int) -> dict[str, Any]:
    if not 0 < comment_id < 2**63:
        raise HTTPException(404, f"no comment {comment_id}")
    with read_connection(engine_of(request)) as conn:
        comment = get_comment(conn, comment_id)
    if comment is None:
        raise HTTPException(404, f"no comment {comment_id}")
    visible_issue(request, principal, int(comment["issue_id"]))  # 404 when hidden
    if comment["user_id"] != principal.user_id and not principal.is_superuser:
        raise HTTPException(403, "only its author can change a comment")
    return comment


@router.patch("/comments/{comment_id}")
def patch_comment(
    request: Request, comment_id: int, principal: EventWriter, body: CommentBody
) -> dict[str, Any]:
    comment = _own_comment(request, principal, comment_id)
    _check_comment(body.body)
    with write_transaction(engine_of(request)) as conn:
        edit_comment(conn, comment_id, body.body, clock.now())
        rows = comments_of(conn, int(comment["issue_id"]))
    return _comment_json(next(r for r in rows if r["id"] == comment_id))


@router.delete("/comments/{comment_id}", status_code=204)
def remove_comment(request: Request, comment_id: int, principal: EventWriter) -> None:
    _own_comment(request, principal, comment_id)
    with write_transaction(engine_of(request)) as conn:
        delete_comment(conn, comment_id)
