"""Discarding an issue from its page (``event:admin``): its new events are counted but
not stored, until it is un-discarded. The same service as the API (lifecycle/discard.py),
so the activity log records it either way."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from starlette.responses import RedirectResponse, Response

from faultbox import clock
from faultbox.lifecycle.discard import set_discarded
from faultbox.store.db import write_transaction
from faultbox.web.csrf import csrf_protect
from faultbox.web.pages.issue import visible_issue_for
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
SCOPE = "event:admin"


@router.post("/issues/{issue_id}/discard")
def discard(
    request: Request,
    issue_id: int,
    user: SignedIn,
    discard: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    if discard not in ("0", "1"):
        raise HTTPException(400, "discard must be 1 (stop storing events) or 0 (store again)")
    with write_transaction(engine_of(request)) as conn:
        issue = visible_issue_for(conn, user, issue_id)
        if not user.may(issue["project_id"], SCOPE):
            raise HTTPException(403, "your role cannot discard issues")
        set_discarded(conn, issue["id"], discard == "1", actor=user.id, now=clock.now())
    return RedirectResponse(f"/issues/{issue['id']}#controls", status_code=303)
