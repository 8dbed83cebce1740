"""A project's alert rules: the list (with each rule's last firing), a form to create
or edit one (parameters per condition, a filter in the search language, severity,
targets per severity, throttle, quiet windows, escalation levels), enable/disable and
delete. Everyone who sees the project sees them; ``alerts:write`` (members, admins,
owners) changes them. Checked by the same service as the API (alerts/rule_admin.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from faultbox import clock
from faultbox.alerts import rule_admin
from faultbox.alerts.conditions import evaluators
from faultbox.alerts.rules import MAX_ESCALATION_LEVELS, parameters
from faultbox.lifecycle.severity import SEVERITIES
from faultbox.store import alert_rules
from faultbox.store.alert_channels import project_channels
from faultbox.store.alert_rules import RuleRow
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.projects import Project
from faultbox.web.access import project_for, scoped_project
from faultbox.web.csrf import csrf_protect
from faultbox.web.identity import WebUser
from faultbox.web.pages.admin_common import done, sentence
from faultbox.web.pages.alert_common import (
    ALERTS_WRITE,
    checked,
    notice,
    posted_form,
    text,
    texts,
)
from faultbox.web.render import page
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

Posted = Annotated[FormData, Depends(posted_form)]
TARGET_LEVELS = (*SEVERITIES, "*")
FIRINGS_SHOWN = 20  # the API pages through all of them
CONDITION_HELP = {
    "new_issue": "a new issue matching the filter appears",
    "regression": "a resolved issue matching the filter comes back",
    "threshold": "more than count events in window seconds (whole stream, per issue or per user)",
    "per_user": "one user hits more than count events in window seconds",
    "spike": "events in window seconds exceed the usual by k standard deviations",
    "no_data": "no events for periods × period seconds",
    "monitor": "a cron or heartbeat monitor misses, fails or overruns a run",
    "crash_free_rate": "crash-free sessions fall below threshold % over window seconds",
}


def _blank() -> dict[str, Any]:
    return {
        "name": "",
        "enabled": True,
        "condition": "new_issue",
        "params": {},
        "filter": "",
        "severity": None,
        "targets": {},
        "throttle_seconds": 0,
        "quiet_windows": [],
        "escalation": [],
    }


def _quiet_text(windows: list[dict[str, str]]) -> str:
    return "\n".join(
        f"{w.get('start', '')}-{w.get('end', '')} {w.get('tz', 'UTC')}" for w in windows
    )


def _rules_page(
    request: Request,
    user: WebUser,
    slug: str,
    *,
    editing: RuleRow | None = None,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    status_code: int = 200,
    template: str = "alerts/rules.html",
    firings: list[dict[str, Any]] | None = None,
) -> Response:
    with read_connection(engine_of(request)) as conn:
        project = project_for(conn, user, slug)
        rules = alert_rules.project_rules(conn, project.id)
        fired = alert_rules.last_fired(conn, project.id)
        channels = project_channels(conn, project.id)
    form = values or (rule_admin.as_values(editing) if editing else _blank())
    names = {c.id: c.name for c in channels}
    context = {
        "nav": "alerts",
        "tab": "rules",
        "project": project,
        "rules": [{"rule": r, "last_fired_at": fired.get(r.id)} for r in rules],
        "channels": channels,
        "channel_names": names,
        "editing": editing,
        "form": form,
        "quiet_text": form.get("quiet_text", _quiet_text(form.get("quiet_windows") or [])),
        "conditions": [
            {"name": c, "help": CONDITION_HELP.get(c, ""), "params": parameters(c)}
            for c in evaluators()
        ],
        "severities": SEVERITIES,
        "target_levels": TARGET_LEVELS,
        "escalation_rows": _escalation_rows(form.get("escalation") or []),
        "may_write": user.may(project.id, ALERTS_WRITE),
        "firings": firings or [],
        "error": error,
        "notice": notice(request),
    }
    return page(request, template, context, user=user, status_code=status_code)


def _escalation_rows(levels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = [
        {"after_minutes": lvl.get("after_minutes"), "channels": lvl.get("channels") or []}
        for lvl in levels
    ]
    while len(rows) < MAX_ESCALATION_LEVELS:
        rows.append({"after_minutes": None, "channels": []})
    return rows


@router.get("/projects/{slug}/alerts")
def rules_list(request: Request, user: SignedIn, slug: str) -> Response:
    return _rules_page(request, user, slug)


def _rule_of(request: Request, project: Project, rule_id: int) -> RuleRow:
    with read_connection(engine_of(request)) as conn:
        rule = alert_rules.get_rule(conn, rule_id)
    if rule is None or rule.project_id != project.id:
        raise HTTPException(404, "no such alert rule in this project")
    return rule


@router.get("/projects/{slug}/alerts/rules/{rule_id}")
def rule_edit(request: Request, user: SignedIn, slug: str, rule_id: int) -> Response:
    with read_connection(engine_of(request)) as conn:
        project = project_for(conn, user, slug)
    rule = _rule_of(request, project, rule_id)
    with read_connection(engine_of(request)) as conn:
        recent = alert_rules.firings_page(conn, rule.id, limit=FIRINGS_SHOWN)
    return _rules_page(
        request, user, slug, editing=rule, firings=recent, template="alerts/rule_edit.html"
    )


class FormProblem(ValueError):
    pass


def _number(raw: str, name: str) -> int | float:
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        value = float(raw)
    except ValueError:
        raise FormProblem(f"{name} must be a number, not {raw[:40]!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise FormProblem(f"{name} must be a number, not {raw[:40]!r}")
    return value


def _integer(raw: str, name: str, default: int = 0) -> int:
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise FormProblem(f"{name} must be a whole number, not {raw[:40]!r}") from None


def _channel_ids(form: FormData, name: str) -> list[int]:
    ids: list[int] = []
    for raw in texts(form, name):
        if not raw.isdigit() or len(raw) > 18:
            raise FormProblem(f"{name}: {raw[:40]!r} is not a channel")
        ids.append(int(raw))
    return ids


def _quiet_windows(raw: str) -> list[dict[str, str]]:
    """One window a line: ``22:00-07:00 Europe/Berlin`` (the zone defaults to UTC)."""
    windows: list[dict[str, str]] = []
    for line in raw.splitlines():
        if not line.strip():
            continue
        span, _, tz = line.strip().partition(" ")
        start, dash, end = span.partition("-")
        if not dash:
            raise FormProblem(f"quiet window {line.strip()[:60]!r}: write it as 22:00-07:00 Zone")
        windows.append({"start": start, "end": end, "tz": tz.strip() or "UTC"})
    return windows


def _values(form: FormData) -> dict[str, Any]:
    """The rule a form describes (raises FormProblem for what cannot even be read)."""
    condition = text(form, "condition")
    params: dict[str, Any] = {}
    for param in parameters(condition):
        raw = text(form, f"p.{condition}.{param['name']}")
        if raw:
            params[param["name"]] = (
                _number(raw, param["name"]) if param["type"] == "number" else raw
            )
    targets = {
        level: ids for level in TARGET_LEVELS if (ids := _channel_ids(form, f"target.{level}"))
    }
    escalation = []
    for n in range(MAX_ESCALATION_LEVELS):
        after = text(form, f"esc.{n}.after")
        channels = _channel_ids(form, f"esc.{n}.channels")
        if after or channels:
            escalation.append(
                {
                    "after_minutes": _integer(after, f"escalation level {n + 1}"),
                    "channels": channels,
                }
            )
    return {
        "name": text(form, "name"),
        "enabled": checked(form, "enabled"),
        "condition": condition,
        "params": params,
        "filter": text(form, "filter"),
        "severity": text(form, "severity") or None,
        "targets": targets,
        "throttle_seconds": _integer(text(form, "throttle_seconds"), "throttle_seconds"),
        "quiet_windows": _quiet_windows(text(form, "quiet_windows")),
        "escalation": escalation,
    }


def _raw_values(form: FormData) -> dict[str, Any]:
    """What was typed, to show the form again after a problem."""
    condition = text(form, "condition")
    return {
        "name": text(form, "name"),
        "enabled": checked(form, "enabled"),
        "condition": condition,
        "params": {
            p["name"]: text(form, f"p.{condition}.{p['name']}") for p in parameters(condition)
        },
        "filter": text(form, "filter"),
        "severity": text(form, "severity") or None,
        "targets": {level: texts(form, f"target.{level}") for level in TARGET_LEVELS},
        "throttle_seconds": text(form, "throttle_seconds"),
        "quiet_text": text(form, "quiet_windows"),
        "escalation": [
            {
                "after_minutes": text(form, f"esc.{n}.after"),
                "channels": texts(form, f"esc.{n}.channels"),
            }
            for n in range(MAX_ESCALATION_LEVELS)
        ],
    }


@router.post("/projects/{slug}/alerts/rules")
def rule_create(request: Request, user: SignedIn, slug: str, form: Posted) -> Response:
    project = scoped_project(request, user, slug, ALERTS_WRITE)
    try:
        values = _values(form)
        with write_transaction(engine_of(request)) as conn:
            rule_admin.create(conn, project.id, values, now=clock.now(), created_by=user.id)
    except ValueError as exc:
        return _rules_page(
            request, user, slug, values=_raw_values(form), error=sentence(exc), status_code=400
        )
    return done(f"/projects/{project.slug}/alerts", "rule-created")


@router.post("/projects/{slug}/alerts/rules/{rule_id}")
def rule_save(request: Request, user: SignedIn, slug: str, rule_id: int, form: Posted) -> Response:
    project = scoped_project(request, user, slug, ALERTS_WRITE)
    rule = _rule_of(request, project, rule_id)
    try:
        values = _values(form)
        with write_transaction(engine_of(request)) as conn:
            rule_admin.change(conn, rule, values, now=clock.now())
    except ValueError as exc:
        return _rules_page(
            request,
            user,
            slug,
            editing=rule,
            values=_raw_values(form),
            error=sentence(exc),
            status_code=400,
            template="alerts/rule_edit.html",
        )
    return done(f"/projects/{project.slug}/alerts", "rule-saved")


@router.post("/projects/{slug}/alerts/rules/{rule_id}/enabled")
def rule_enable(
    request: Request, user: SignedIn, slug: str, rule_id: int, form: Posted
) -> Response:
    project = scoped_project(request, user, slug, ALERTS_WRITE)
    rule = _rule_of(request, project, rule_id)
    enabled = text(form, "enabled") == "1"
    with write_transaction(engine_of(request)) as conn:
        alert_rules.update_rule(conn, rule.id, clock.now(), enabled=enabled)
    return done(f"/projects/{project.slug}/alerts", "rule-enabled" if enabled else "rule-disabled")


@router.post("/projects/{slug}/alerts/rules/{rule_id}/delete")
def rule_delete(request: Request, user: SignedIn, slug: str, rule_id: int) -> Response:
    project = scoped_project(request, user, slug, ALERTS_WRITE)
    rule = _rule_of(request, project, rule_id)
    with write_transaction(engine_of(request)) as conn:
        alert_rules.delete_rule(conn, rule.id)
    return done(f"/projects/{project.slug}/alerts", "rule-deleted")
