"""Per-project fingerprint rules: read, replace, and preview (dry run) their effect.

The dry run regroups each issue's latest event with the same code the digest runs,
under the current and the proposed rules, and lists the issues that would move.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from sqlalchemy import select

from faultbox.api.auth import Principal, engine_of, require
from faultbox.api.projects import visible_project
from faultbox.digest.grouping import group_event
from faultbox.digest.grouping.rules import FingerprintRule, RuleSyntaxError, parse_rules
from faultbox.model import event_from_dict
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.payload import unpack
from faultbox.store.projects import set_fingerprint_rules
from faultbox.store.schema import events, issues

router = APIRouter(prefix="/api/v1", tags=["grouping"])
RulesBody = Annotated[
    dict[str, str],
    Body(examples=[{"rules": "error.type:ConnectionError module:app.db.* -> database"}]),
]
DRY_RUN_ISSUES = 500  # the most recently seen issues are previewed


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
    latest = (
        select(events.c.payload)
        .where(events.c.issue_id == issues.c.id)
        .order_by(events.c.timestamp.desc())
        .limit(1)
        .scalar_subquery()
    )
    with read_connection(engine_of(request)) as conn:
        rows = conn.execute(
            select(issues.c.id, issues.c.short_id, issues.c.title, latest.label("payload"))
            .where(issues.c.project_id == project.id)
            .order_by(issues.c.last_seen.desc())
            .limit(DRY_RUN_ISSUES)
        ).all()
    changes: list[dict[str, Any]] = []
    new_groups: dict[str, list[int]] = {}
    for row in rows:
        if row.payload is None:
            continue
        event = event_from_dict(unpack(row.payload))
        before, _ = group_event(event, fingerprint_rules=current)
        after_grouping, rule = group_event(event, fingerprint_rules=proposed)
        after = after_grouping.hash
        new_groups.setdefault(after, []).append(row.id)
        if before.hash != after:
            changes.append(
                {
                    "issue_id": row.id,
                    "short_id": f"ERR-{row.short_id}",
                    "title": row.title,
                    "rule": rule.text if rule else None,
                    "new_group": after,
                    "new_components": list(after_grouping.components),
                }
            )
    for change in changes:
        change["grouped_with"] = [
            i for i in new_groups[change["new_group"]] if i != change["issue_id"]
        ]
    return {"issues_checked": len(rows), "would_change": changes}
