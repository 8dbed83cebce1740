"""Per-project severity rules: read, replace (validated, with line numbers), dry run.

Rules apply to issues opened after the change; the dry run shows what they would
have given the existing ones (a severity set by hand is never overwritten).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from faultbox.api.auth import Principal, engine_of, require
from faultbox.api.projects import visible_project
from faultbox.api.rule_text import matchers_json, parse_body_rules
from faultbox.lifecycle.severity import (
    DEFAULT_BY_LEVEL,
    TARGET_SECONDS,
    RuleSyntaxError,
    SeverityRule,
    parse_severity_rules,
)
from faultbox.query.severity_preview import preview_severity
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.severity_rules import set_severity_rules, severity_rules_of

router = APIRouter(prefix="/api/v1", tags=["lifecycle"])
RulesBody = Annotated[
    dict[str, Any],
    Body(examples=[{"rules": "level:fatal -> P0\nservice:payments level:error -> P1"}]),
]


def _parse(text: object) -> tuple[SeverityRule, ...]:
    return parse_body_rules(text, parse_severity_rules)


def _rules_json(text: str, rules: tuple[SeverityRule, ...]) -> dict[str, Any]:
    return {
        "rules": text,
        "parsed": [
            {
                "line": r.line,
                "rule": r.text,
                "matchers": matchers_json(r.matchers),
                "severity": r.severity,
            }
            for r in rules
        ],
        "defaults": dict(DEFAULT_BY_LEVEL),
        "targets_seconds": {k: int(v) for k, v in TARGET_SECONDS.items()},
    }


def _stored(request: Request, project_id: int) -> str:
    with read_connection(engine_of(request)) as conn:
        return severity_rules_of(conn, project_id) or ""


@router.get("/projects/{slug}/severity-rules")
def get_rules(
    request: Request, slug: str, principal: Annotated[Principal, Depends(require("project:read"))]
) -> dict[str, Any]:
    project = visible_project(request, principal, slug)
    text = _stored(request, project.id)
    try:
        rules = parse_severity_rules(text)
    except RuleSyntaxError:
        rules = ()  # an unparsable old row: the digest uses the defaults, say so
    return _rules_json(text, rules)


@router.put("/projects/{slug}/severity-rules")
def put_rules(
    request: Request,
    slug: str,
    principal: Annotated[Principal, Depends(require("project:write"))],
    body: RulesBody,
) -> dict[str, Any]:
    """Replace the rules; issues opened from the next digested batch on use them."""
    project = visible_project(request, principal, slug)
    rules = _parse(body.get("rules"))
    text: str = body["rules"]
    with write_transaction(engine_of(request)) as conn:
        set_severity_rules(conn, project.id, text)
    return _rules_json(text if text.strip() else "", rules)


@router.post("/projects/{slug}/severity-rules/dry-run")
def dry_run(
    request: Request,
    slug: str,
    principal: Annotated[Principal, Depends(require("project:read"))],
    body: RulesBody,
) -> dict[str, Any]:
    """Which severity the proposed rules give the existing issues (nothing changes)."""
    project = visible_project(request, principal, slug)
    proposed = _parse(body.get("rules"))
    with read_connection(engine_of(request)) as conn:
        return preview_severity(conn, project.id, proposed)
