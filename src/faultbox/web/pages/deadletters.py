"""Dead letters: the messages the digest could not process, for the projects the user
can see (superusers also see those of no project), with a retry for admins.

The payload is shown as text, escaped and truncated: never as HTML.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from faultbox import clock
from faultbox.digest.dead_letters import retry_dead_letter
from faultbox.store.db import read_connection
from faultbox.store.deadletter import dead_letter_page, get_dead_letter
from faultbox.web.access import visible_projects
from faultbox.web.csrf import csrf_protect
from faultbox.web.identity import WebUser
from faultbox.web.render import is_htmx, page
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

PAGE_SIZE = 50
REASON_IN_LIST = 300
PAYLOAD_SHOWN = 8000  # characters of the payload on the detail
PRETTY_UP_TO = 256 * 1024  # bytes: larger payloads are not re-indented
RETRY_SCOPE = "project:write"
MAX_ID = 2**63 - 1


def may_see(user: WebUser, project_id: int | None) -> bool:
    if project_id is None:
        return user.is_superuser
    return project_id in user.project_ids


def may_retry(user: WebUser, project_id: int | None) -> bool:
    if project_id is None:
        return user.is_superuser
    return user.may(project_id, RETRY_SCOPE)


@router.get("/deadletters")
def deadletters(
    request: Request,
    user: SignedIn,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    retried: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    with read_connection(engine_of(request)) as conn:
        names = {p.id: p for p in visible_projects(conn, user)}
        rows = dead_letter_page(
            conn,
            project_ids=user.project_ids,
            without_project=user.is_superuser,
            limit=PAGE_SIZE + 1,
            before_id=before,
        )
    shown = rows[:PAGE_SIZE]
    letters = [
        {
            **row,
            "project": names.get(pid) if (pid := _project_id(row)) is not None else None,
            "reason_short": _short(str(row["reason"]), REASON_IN_LIST),
            "may_retry": may_retry(user, _project_id(row)),
        }
        for row in shown
    ]
    return page(
        request,
        "deadletters/list.html",
        {
            "nav": "deadletters",
            "letters": letters,
            "older": shown[-1]["id"] if len(rows) > PAGE_SIZE else None,
            "first_page": before is None,
            "retried": retried,
        },
        user=user,
    )


@router.get("/deadletters/{letter_id}")
def deadletter_detail(request: Request, letter_id: int, user: SignedIn) -> Response:
    with read_connection(engine_of(request)) as conn:
        letter = _visible_letter(conn, user, letter_id)
        names = {p.id: p for p in visible_projects(conn, user)}
    project_id = _project_id(letter)
    context = {
        "nav": "deadletters",
        "letter": letter,
        "project": None,  # the nav's project links: not for this page
        "letter_project": names.get(project_id) if project_id is not None else None,
        "may_retry": may_retry(user, project_id),
        **_payload_view(letter["payload"]),
    }
    template = "deadletters/_detail.html" if is_htmx(request) else "deadletters/detail.html"
    return page(request, template, context, user=user)


@router.post("/deadletters/{letter_id}/retry")
async def deadletter_retry(request: Request, letter_id: int, user: SignedIn) -> Response:
    engine = engine_of(request)

    def check() -> None:
        with read_connection(engine) as conn:
            letter = _visible_letter(conn, user, letter_id)
        if not may_retry(user, _project_id(letter)):
            raise HTTPException(403, f"your role does not allow retrying ({RETRY_SCOPE})")

    if not 0 < letter_id <= MAX_ID:
        raise HTTPException(404, "no such dead letter")
    await run_in_threadpool(check)
    try:
        queue = request.app.state.queue
        letter = await retry_dead_letter(engine, queue, letter_id, now=clock.now())
    except Exception as exc:  # QueueFull, QueueUnavailable: the letter was kept
        raise HTTPException(503, f"the queue did not take the message: {exc}") from None
    if letter is None:  # retried by someone else meanwhile
        raise HTTPException(404, "no such dead letter (already retried?)")
    return RedirectResponse(f"/deadletters?retried={letter_id}", status_code=303)


def _visible_letter(conn: Any, user: WebUser, letter_id: int) -> dict[str, Any]:
    letter = get_dead_letter(conn, letter_id) if 0 < letter_id <= MAX_ID else None
    if letter is None or not may_see(user, _project_id(letter)):
        raise HTTPException(404, "no such dead letter")
    return letter


def _project_id(row: dict[str, Any]) -> int | None:
    value = row.get("project_id")
    return int(value) if value is not None else None


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _payload_view(payload: bytes) -> dict[str, Any]:
    """The payload as text to show escaped: JSON re-indented when it parses, cut short."""
    size = len(payload)
    text = None
    is_json = False
    if size <= PRETTY_UP_TO:
        try:
            text = orjson.dumps(orjson.loads(payload), option=orjson.OPT_INDENT_2).decode()
            is_json = True
        except orjson.JSONDecodeError:
            text = None
    if text is None:
        text = payload[: PAYLOAD_SHOWN * 4].decode("utf-8", errors="replace")
    return {
        "payload_size": size,
        "payload_json": is_json,
        "payload_text": text[:PAYLOAD_SHOWN],
        "payload_truncated": len(text) > PAYLOAD_SHOWN,
    }
