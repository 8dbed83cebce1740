"""Per-project fingerprint rules: read, replace, and preview (dry run) their effect."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request

from faultbox.api.auth import Principal, engine_of, require
from faultbox.api.projects import visible_project
from faultbox.digest.grouping.preview import preview_rules
from faultbox.digest.grouping.rules import FingerprintRule, RuleSyntaxError, parse_rules
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.projects import set_fingerprint_rules

router = APIRouter(prefix="/api/v1", tags=["grouping"])
RulesBody = Annotated[
    dict[str, str],
    Body(examples=[{"rules": "error.type:ConnectionError module:app.db.* -> database"}]),
]


def _parse(text: object) -> tuple[FingerprintRule, ...]:
    if not isinstance(text, str):
        raise HTTPException(400, 'send {"rules": "<one rule per line>"}')
    try:
        return parse_rules(text)
    except RuleSyntaxError as exc:
        raise HTTPException(400, f"rules: {exc}") from None


def _rules_json(text: str, rules: tuple[FingerprintRule, ...]) -> dict[str, Any]:
    return {
        "rules": text,
        "parsed": [
            {
                "rule": r.text,
                "matchers": [
                    {"key": m.key, "pattern": m.pattern, "negated": m.negated} for m in r.matchers
                ],
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
        return preview_rules(conn, project.id, current, proposed)
