"""Known error patterns (PAT-<number>): create, list, read, edit, delete, link issues.

A pattern belongs to a team; callers see the patterns of their teams (a superuser
all of them) and link only issues of projects they can see. Reading needs
``event:read``, writing ``event:write``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from faultbox import clock
from faultbox.api.auth import Principal, engine_of, require
from faultbox.lifecycle.codes import pattern_code
from faultbox.lifecycle.patterns import (
    TEXT_FIELDS,
    PatternError,
    clean_fields,
    delete_pattern,
    link_issues,
    parse_pattern_ref,
    unlink_issue,
)
from faultbox.query.patterns import pattern_detail, patterns_page
from faultbox.store import patterns as store
from faultbox.store.db import read_connection, write_transaction

router = APIRouter(prefix="/api/v1", tags=["patterns"])
EventReader = Annotated[Principal, Depends(require("event:read"))]
EventWriter = Annotated[Principal, Depends(require("event:write"))]
MAX_LINKS = 500
_EXAMPLE = {
    "title": "Database connection pool exhaustion",
    "description": "Requests wait for a connection until they time out.",
    "prevention": "Size the pool to the workers; release connections in `finally`.",
    "team": "backend",
}
PatternBody = Annotated[dict[str, Any], Body(examples=[_EXAMPLE])]


class LinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    issues: list[Annotated[int, Field(gt=0, lt=2**63)]] = Field(min_length=1, max_length=MAX_LINKS)


def _teams(conn: Connection, principal: Principal) -> dict[str, int] | None:
    """The caller's teams by slug (None: a superuser, who sees every team)."""
    return None if principal.is_superuser else store.member_teams(conn, principal.user_id)


def _number(ref: str) -> int:
    try:
        return parse_pattern_ref(ref)
    except PatternError as exc:
        raise HTTPException(404, str(exc)) from None


def _visible(conn: Connection, principal: Principal, ref: str) -> dict[str, Any]:
    """The pattern row, or 404 when it does not exist or belongs to another team."""
    row = store.get_pattern(conn, _number(ref), principal.project_ids)
    teams = _teams(conn, principal)
    if row is None or (teams is not None and row["team_slug"] not in teams):
        raise HTTPException(404, f"no pattern {ref[:40]!r}")
    return row


def _detail(request: Request, principal: Principal, number: int) -> dict[str, Any]:
    with read_connection(engine_of(request)) as conn:
        data = pattern_detail(conn, number, principal.project_ids)
    assert data is not None  # just written by this caller
    return data


def _team_for(conn: Connection, principal: Principal, requested: object) -> int:
    mine = store.member_teams(conn, principal.user_id)
    allowed = store.all_teams(conn) if principal.is_superuser else mine
    if requested is not None:
        if not isinstance(requested, str) or requested not in allowed:
            names = ", ".join(sorted(allowed)) or "none"
            raise HTTPException(400, f"team: not one of your teams ({names}): {requested!r}")
        return allowed[requested]
    choices = mine or allowed
    if len(choices) != 1:
        names = ", ".join(sorted(choices)) or "none"
        raise HTTPException(400, f"team: required, you are in several teams or none ({names})")
    return next(iter(choices.values()))


def _fields(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    unknown = sorted(set(body) - {"title", "team", *TEXT_FIELDS})
    if unknown:
        known = ", ".join(["title", *TEXT_FIELDS] + (["team"] if creating else []))
        raise HTTPException(400, f"unknown field {unknown[0]!r}; known: {known}")
    if not creating and "team" in body:
        raise HTTPException(400, "team: a pattern stays with the team that made it")
    try:
        return clean_fields(body, creating=creating)
    except PatternError as exc:
        raise HTTPException(400, str(exc)) from None


@router.post("/patterns", status_code=201)
def create(request: Request, principal: EventWriter, body: PatternBody) -> dict[str, Any]:
    """``team``: a slug of the caller's teams; optional when the caller is in one."""
    values = _fields(body, creating=True)
    with write_transaction(engine_of(request)) as conn:
        team_id = _team_for(conn, principal, body.get("team"))
        pattern_id = store.create_pattern(conn, team_id=team_id, values=values, now=clock.now())
        number = store.pattern_number(conn, pattern_id)
    return _detail(request, principal, number)


@router.get("/patterns")
def list_all(request: Request, principal: EventReader) -> dict[str, Any]:
    with read_connection(engine_of(request)) as conn:
        teams = _teams(conn, principal)
        data = patterns_page(conn, None if teams is None else teams.values(), principal.project_ids)
    return {"data": data, "next_cursor": None}


@router.get("/patterns/{ref}")
def read(request: Request, ref: str, principal: EventReader) -> dict[str, Any]:
    with read_connection(engine_of(request)) as conn:
        number = _visible(conn, principal, ref)["number"]
    return _detail(request, principal, number)


@router.patch("/patterns/{ref}")
def edit(request: Request, ref: str, principal: EventWriter, body: PatternBody) -> dict[str, Any]:
    values = _fields(body, creating=False)
    with write_transaction(engine_of(request)) as conn:
        row = _visible(conn, principal, ref)
        if values:
            store.update_pattern(conn, row["id"], values, clock.now())
    return _detail(request, principal, row["number"])


@router.delete("/patterns/{ref}")
def delete(request: Request, ref: str, principal: EventWriter) -> dict[str, Any]:
    """Linked issues lose the link, and their activity logs say so."""
    with write_transaction(engine_of(request)) as conn:
        row = _visible(conn, principal, ref)
        unlinked = delete_pattern(conn, row, user_id=principal.user_id, now=clock.now())
    return {"deleted": pattern_code(row["number"]), "unlinked_issues": len(unlinked)}


@router.post("/patterns/{ref}/issues")
def link(request: Request, ref: str, principal: EventWriter, body: LinkRequest) -> dict[str, Any]:
    """Link issues (ids); ones already linked are reported, not an error."""
    with write_transaction(engine_of(request)) as conn:
        row = _visible(conn, principal, ref)
        project_of = store.issue_projects(conn, body.issues)
        for issue_id in body.issues:
            if project_of.get(issue_id) not in principal.project_ids:
                raise HTTPException(404, f"no issue {issue_id}")
        new = link_issues(conn, row, project_of, user_id=principal.user_id, now=clock.now())
    return {
        "linked": new,
        "already_linked": sorted(set(body.issues) - set(new)),
        "pattern": _detail(request, principal, row["number"]),
    }


@router.delete("/patterns/{ref}/issues/{issue_id}")
def unlink(request: Request, ref: str, issue_id: int, principal: EventWriter) -> dict[str, Any]:
    with write_transaction(engine_of(request)) as conn:
        row = _visible(conn, principal, ref)
        valid = [issue_id] if 0 < issue_id < 2**63 else []
        project_id = store.issue_projects(conn, valid).get(issue_id)
        done = project_id in principal.project_ids and unlink_issue(
            conn, row, issue_id, project_id or 0, user_id=principal.user_id, now=clock.now()
        )
        if not done:
            code = pattern_code(row["number"])
            raise HTTPException(404, f"issue {issue_id} is not linked to {code}")
    return {"unlinked": issue_id, "pattern": _detail(request, principal, row["number"])}
