"""Per-project grouping settings: fingerprint rules (with a dry run) and in-app rules."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Depends, HTTPException, Request

from faultbox.api.auth import Principal, engine_of, require
from faultbox.api.issues import parse_event_id
from faultbox.api.projects import visible_project
from faultbox.api.rule_text import matchers_json, parse_body_rules
from faultbox.digest.grouping.explain_stored import explain_stored
from faultbox.digest.grouping.in_app import InAppRules
from faultbox.digest.grouping.preview import preview_rules
from faultbox.digest.grouping.rules import FingerprintRule, parse_rules
from faultbox.query.events import stored_event
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.projects import get_project_by_id, set_fingerprint_rules, set_in_app_rules

router = APIRouter(prefix="/api/v1", tags=["grouping"])
RulesBody = Annotated[
    dict[str, str],
    Body(examples=[{"rules": "error.type:ConnectionError module:app.db.* -> database"}]),
]


def _parse(text: object) -> tuple[FingerprintRule, ...]:
    return parse_body_rules(text, parse_rules)


def _rules_json(text: str, rules: tuple[FingerprintRule, ...]) -> dict[str, Any]:
    return {
        "rules": text,
        "parsed": [
            {
                "rule": r.text,
                "matchers": matchers_json(r.matchers),
                "fingerprint": list(r.fingerprint),
            }
            for r in rules
        ],
    }


@router.get("/projects/{slug}/fingerprint-rules")
def get_rules(
    request: Request, slug: str, principal: Annotated[Principal, Depends(require("project:read"))]
) -> dict[str, Any]:
    project = visible_project(request, principal, slug)
    text = project.fingerprint_rules or ""
    return _rules_json(text, _parse(text))


@router.put("/projects/{slug}/fingerprint-rules")
def put_rules(
    request: Request,
    slug: str,
    principal: Annotated[Principal, Depends(require("project:write"))],
    body: RulesBody,
) -> dict[str, Any]:
    """Replace the rules (the digest applies them to new events within seconds)."""
    project = visible_project(request, principal, slug)
    rules = _parse(body.get("rules"))
    text = body["rules"]
    with write_transaction(engine_of(request)) as conn:
        set_fingerprint_rules(conn, project.id, text if text.strip() else None)
    return _rules_json(text, rules)


@router.post("/projects/{slug}/fingerprint-rules/dry-run")
def dry_run(
    request: Request,
    slug: str,
    principal: Annotated[Principal, Depends(require("project:read"))],
    body: RulesBody,
) -> dict[str, Any]:
    """Which existing issues the proposed rules would regroup, and into what."""
    project = visible_project(request, principal, slug)
    proposed = _parse(body.get("rules"))
    current = _parse(project.fingerprint_rules or "")
    with read_connection(engine_of(request)) as conn:
        return preview_rules(conn, project.id, current, proposed, _in_app(project.in_app_rules))


def _in_app(stored: str | None) -> InAppRules:
    return InAppRules.from_json(orjson.loads(stored)) if stored else InAppRules()


@router.get("/projects/{slug}/in-app-rules")
def get_in_app_rules(
    request: Request, slug: str, principal: Annotated[Principal, Depends(require("project:read"))]
) -> dict[str, list[str]]:
    project = visible_project(request, principal, slug)
    return _in_app(project.in_app_rules).to_json()


@router.put("/projects/{slug}/in-app-rules")
def put_in_app_rules(
    request: Request,
    slug: str,
    principal: Annotated[Principal, Depends(require("project:write"))],
    body: Annotated[
        dict[str, Any], Body(examples=[{"include": ["shop."], "exclude": ["shop.vendor."]}])
    ],
) -> dict[str, list[str]]:
    """Module or path prefixes forced into (or out of) the app's own code; they win over
    the SDK's in_app flag. The longer prefix wins; exclude wins a tie."""
    project = visible_project(request, principal, slug)
    try:
        rules = InAppRules.from_json(body)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    with write_transaction(engine_of(request)) as conn:
        set_in_app_rules(conn, project.id, orjson.dumps(rules.to_json()).decode())
    return rules.to_json()


@router.get("/events/{event_id}/grouping")
def event_grouping(
    request: Request,
    event_id: str,
    principal: Annotated[Principal, Depends(require("event:read"))],
) -> dict[str, Any]:
    """Which parts of the event made its fingerprint, which were ignored, and why;
    and whether today's rules and algorithm would still group it the same way."""
    normalized = parse_event_id(event_id)
    with read_connection(engine_of(request)) as conn:
        stored = stored_event(conn, normalized, set(principal.project_ids))
        if stored is None:
            raise HTTPException(404, f"no event {normalized}")
        project = get_project_by_id(conn, stored.project_id)
    explanation = explain_stored(
        stored.data,
        grouping_hash=stored.grouping_hash,
        fingerprint_rules=project.fingerprint_rules,
        in_app_rules=project.in_app_rules,
    )
    return {"event_id": normalized, "issue_id": stored.issue_id, **explanation}
