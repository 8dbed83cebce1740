"""Changing an issue from its page: status, severity, assignee, catalogue, comments.

Every change goes through ``lifecycle`` (the API's own services): the workflow, the
validation and the activity log are the same whichever door it came through.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from starlette.responses import RedirectResponse, Response

from faultbox import clock
from faultbox.lifecycle.changes import ChangeRefused, Ignore, IssueChange, change_issues
from faultbox.lifecycle.comments import EmptyComment, comment_on
from faultbox.lifecycle.status import InvalidTransition, Status, parse_status
from faultbox.store.comments import delete_comment, get_comment
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.issue_state import CATALOGUE_FIELDS
from faultbox.web.csrf import csrf_protect
from faultbox.web.pages.issue import visible_issue_for
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
MAX_TEXT = 100_000


def _back(issue_id: int, anchor: str = "") -> Response:
    return RedirectResponse(f"/issues/{issue_id}{anchor}", status_code=303)


def _changeable(user: SignedIn, issue: dict[str, Any]) -> dict[str, Any]:
    if not user.may(issue["project_id"], "event:write"):
        raise HTTPException(403, "your role cannot change issues (viewers only look)")
    return issue


def _apply(request: Request, user: SignedIn, issue_id: int, change: IssueChange) -> int:
    with write_transaction(engine_of(request)) as conn:
        issue = _changeable(user, visible_issue_for(conn, user, issue_id))
        try:
            refused = change_issues(conn, [issue["id"]], change, actor=user.id, now=clock.now())
        except ChangeRefused as exc:
            raise HTTPException(400, str(exc)) from None
    if refused:
        why = refused[issue["id"]]
        raise HTTPException(409 if isinstance(why, InvalidTransition) else 400, str(why))
    return int(issue["id"])


@router.post("/issues/{issue_id}/update")
def update(
    request: Request,
    issue_id: int,
    user: SignedIn,
    status: Annotated[list[str] | None, Form(max_length=4)] = None,
    severity: Annotated[str, Form(max_length=8)] = "",
    assignee: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    # The Resolve/Ignore buttons and the "Move to" list share the name: the first wins.
    chosen = next((s for s in status or [] if s), None)
    try:
        new_status = parse_status(chosen) if chosen else None
    except InvalidTransition as exc:
        raise HTTPException(400, str(exc)) from None
    extra: dict[str, Any] = {}
    if assignee == "none":
        extra["assignee"] = None
    elif assignee:
        try:
            extra["assignee"] = int(assignee)
        except ValueError:
            raise HTTPException(400, f"unknown assignee {assignee[:32]!r}") from None
    change = IssueChange(
        status=new_status,
        ignore=Ignore() if new_status == Status.IGNORED else None,
        severity=severity or None,
        **extra,
    )
    return _back(_apply(request, user, issue_id, change))


@router.post("/issues/{issue_id}/catalogue")
def edit_catalogue(
    request: Request,
    issue_id: int,
    user: SignedIn,
    field: Annotated[str, Form(max_length=32)],
    text: Annotated[str, Form(max_length=MAX_TEXT)] = "",
) -> Response:
    with read_connection(engine_of(request)) as conn:
        _changeable(user, visible_issue_for(conn, user, issue_id))  # 404/403 before 400
    if field not in CATALOGUE_FIELDS:
        raise HTTPException(400, f"unknown field {field!r}; one of {', '.join(CATALOGUE_FIELDS)}")
    change = IssueChange(catalogue={field: text.strip() or None})
    return _back(_apply(request, user, issue_id, change), f"#catalogue-{field}")


@router.post("/issues/{issue_id}/comments")
def add(
    request: Request,
    issue_id: int,
    user: SignedIn,
    body: Annotated[str, Form(max_length=50_000)] = "",
) -> Response:
    with write_transaction(engine_of(request)) as conn:
        issue = visible_issue_for(conn, user, issue_id)
        if not user.may(issue["project_id"], "event:write"):
            raise HTTPException(403, "your role cannot comment (viewers only look)")
        try:
            comment_id = comment_on(
                conn, issue["id"], issue["project_id"], user_id=user.id, body=body, now=clock.now()
            )
        except EmptyComment as exc:
            raise HTTPException(400, str(exc)) from None
    return _back(issue["id"], f"#comment-{comment_id}")


@router.post("/comments/{comment_id}/delete")
def remove(request: Request, comment_id: int, user: SignedIn) -> Response:
    if not 0 < comment_id < 2**63:
        raise HTTPException(404, f"no comment {comment_id}")
    with write_transaction(engine_of(request)) as conn:
        comment = get_comment(conn, comment_id)
        if comment is None:
            raise HTTPException(404, f"no comment {comment_id}")
        issue = visible_issue_for(conn, user, int(comment["issue_id"]))
        if not user.may(issue["project_id"], "event:write"):
            raise HTTPException(403, "your role cannot change comments")
        if comment["user_id"] != user.id and not user.is_superuser:
            raise HTTPException(403, "only its author can delete a comment")
        delete_comment(conn, comment_id)
    return _back(issue["id"], "#activity")
