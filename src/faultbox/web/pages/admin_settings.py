"""Per-project settings in tabs: PII scrubbing, in-app rules, fingerprint rules and
severity rules (each with the API's dry run). ``project:write`` to change; everyone
who sees the project sees them read-only. Validation and storage are the services the
API calls (ScrubConfig, InAppRules, the rule parsers, the previews, the store)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from starlette.responses import Response

from faultbox.digest.grouping.in_app import InAppRules
from faultbox.digest.grouping.preview import preview_rules
from faultbox.digest.grouping.rules import parse_rules
from faultbox.lifecycle.severity import DEFAULT_BY_LEVEL, TARGET_SECONDS, parse_severity_rules
from faultbox.matchers import RuleSyntaxError
from faultbox.query.severity_preview import preview_severity
from faultbox.scrub_config import ScrubConfig
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.projects import (
    Project,
    set_fingerprint_rules,
    set_in_app_rules,
    set_scrub_config,
)
from faultbox.store.severity_rules import set_severity_rules, severity_rules_of
from faultbox.web.access import project_for, scoped_project
from faultbox.web.csrf import csrf_protect
from faultbox.web.identity import WebUser
from faultbox.web.pages.admin_common import MAX_RULES, done, notice, sentence
from faultbox.web.render import is_htmx, page
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

WRITE_SCOPE = "project:write"
TABS = (
    ("scrubbing", "PII scrubbing"),
    ("in-app", "In-app rules"),
    ("fingerprint", "Fingerprint rules"),
    ("severity", "Severity rules"),
    ("retention", "Retention"),  # its own page: admin_retention.py
)
_TAB_NAMES = {name for name, _ in TABS} - {"retention"}
MAX_LINES_FIELD = 50_000  # characters of a one-entry-per-line field


def _scrub_config(raw: str | None) -> ScrubConfig:
    return ScrubConfig.from_json(orjson.loads(raw)) if raw else ScrubConfig()


def _in_app(raw: str | None) -> InAppRules:
    return InAppRules.from_json(orjson.loads(raw)) if raw else InAppRules()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _rule_text(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _tab_values(request: Request, project: Project, tab: str) -> dict[str, Any]:
    if tab == "scrubbing":
        return {"scrub": _scrub_config(project.scrub_config)}
    if tab == "in-app":
        rules = _in_app(project.in_app_rules)
        return {"include": "\n".join(rules.include), "exclude": "\n".join(rules.exclude)}
    if tab == "fingerprint":
        return {"rules": project.fingerprint_rules or ""}
    with read_connection(engine_of(request)) as conn:
        text = severity_rules_of(conn, project.id) or ""
    return {
        "rules": text,
        "defaults": DEFAULT_BY_LEVEL,
        "targets": {k: int(v) // 60 for k, v in TARGET_SECONDS.items()},
    }


def _settings_page(
    request: Request,
    user: WebUser,
    slug: str,
    tab: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    values: dict[str, Any] | None = None,
) -> Response:
    if tab not in _TAB_NAMES:
        raise HTTPException(404, f"no settings tab {tab!r}")
    with read_connection(engine_of(request)) as conn:
        project = project_for(conn, user, slug)
    context: dict[str, Any] = {
        "nav": "admin",
        "project": project,
        "tabs": TABS,
        "tab": tab,
        "may_write": user.may(project.id, WRITE_SCOPE),
        "error": error,
        "notice": notice(request),
    }
    context.update(_tab_values(request, project, tab))
    context.update(values or {})
    return page(request, "admin/settings.html", context, user=user, status_code=status_code)


@router.get("/admin/projects/{slug}/settings")
def settings_index(request: Request, user: SignedIn, slug: str) -> Response:
    return _settings_page(request, user, slug, "scrubbing")


@router.get("/admin/projects/{slug}/settings/{tab}")
def settings_tab(request: Request, user: SignedIn, slug: str, tab: str) -> Response:
    return _settings_page(request, user, slug, tab)


def _saved(project: Project, tab: str) -> Response:
    return done(f"/admin/projects/{project.slug}/settings/{tab}", "saved")


@router.post("/admin/projects/{slug}/settings/scrubbing")
def save_scrubbing(
    request: Request,
    user: SignedIn,
    slug: str,
    enabled: Annotated[str, Form(max_length=10)] = "",
    extra_fields: Annotated[str, Form(max_length=MAX_LINES_FIELD)] = "",
    safe_fields: Annotated[str, Form(max_length=MAX_LINES_FIELD)] = "",
    scrub_credit_cards: Annotated[str, Form(max_length=10)] = "",
    scrub_ip_addresses: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    project = scoped_project(request, user, slug, WRITE_SCOPE)
    body = {
        "enabled": bool(enabled),
        "extra_fields": _lines(extra_fields),
        "safe_fields": _lines(safe_fields),
        "scrub_credit_cards": bool(scrub_credit_cards),
        "scrub_ip_addresses": bool(scrub_ip_addresses),
    }
    try:
        config = ScrubConfig.from_json(body)
    except ValueError as exc:
        return _settings_page(
            request,
            user,
            slug,
            "scrubbing",
            error=sentence(exc),
            status_code=400,
            values={"scrub": body},
        )
    with write_transaction(engine_of(request)) as conn:
        set_scrub_config(conn, project.id, orjson.dumps(config.to_json()).decode())
    return _saved(project, "scrubbing")


@router.post("/admin/projects/{slug}/settings/in-app")
def save_in_app(
    request: Request,
    user: SignedIn,
    slug: str,
    include: Annotated[str, Form(max_length=MAX_LINES_FIELD)] = "",
    exclude: Annotated[str, Form(max_length=MAX_LINES_FIELD)] = "",
) -> Response:
    project = scoped_project(request, user, slug, WRITE_SCOPE)
    try:
        rules = InAppRules.from_json({"include": _lines(include), "exclude": _lines(exclude)})
    except ValueError as exc:
        return _settings_page(
            request,
            user,
            slug,
            "in-app",
            error=sentence(exc),
            status_code=400,
            values={"include": include, "exclude": exclude},
        )
    with write_transaction(engine_of(request)) as conn:
        set_in_app_rules(conn, project.id, orjson.dumps(rules.to_json()).decode())
    return _saved(project, "in-app")


def _rules_error(text: str, parse: Any) -> str | None:
    if len(text) > MAX_RULES:
        return f"Rules are at most {MAX_RULES} characters."
    try:
        parse(text)
    except RuleSyntaxError as exc:
        return f"Rules: {exc}"
    return None


@router.post("/admin/projects/{slug}/settings/fingerprint")
def save_fingerprint(
    request: Request,
    user: SignedIn,
    slug: str,
    rules: Annotated[str, Form(max_length=MAX_RULES * 2)] = "",
) -> Response:
    project = scoped_project(request, user, slug, WRITE_SCOPE)
    text = _rule_text(rules)
    error = _rules_error(text, parse_rules)
    if error:
        return _settings_page(
            request,
            user,
            slug,
            "fingerprint",
            error=error,
            status_code=400,
            values={"rules": text},
        )
    with write_transaction(engine_of(request)) as conn:
        set_fingerprint_rules(conn, project.id, text if text.strip() else None)
    return _saved(project, "fingerprint")


@router.post("/admin/projects/{slug}/settings/severity")
def save_severity(
    request: Request,
    user: SignedIn,
    slug: str,
    rules: Annotated[str, Form(max_length=MAX_RULES * 2)] = "",
) -> Response:
    project = scoped_project(request, user, slug, WRITE_SCOPE)
    text = _rule_text(rules)
    error = _rules_error(text, parse_severity_rules)
    if error:
        return _settings_page(
            request, user, slug, "severity", error=error, status_code=400, values={"rules": text}
        )
    with write_transaction(engine_of(request)) as conn:
        set_severity_rules(conn, project.id, text)
    return _saved(project, "severity")


def _preview(
    request: Request, user: WebUser, slug: str, tab: str, text: str, parse: Any
) -> Response:
    """The dry run: an htmx fragment under the form, or the whole tab without htmx."""
    with read_connection(engine_of(request)) as conn:
        project = project_for(conn, user, slug)
        error = _rules_error(text, parse)
        result: dict[str, Any] | None = None
        if error is None:
            proposed = parse(text)
            if tab == "fingerprint":
                try:
                    current = parse_rules(project.fingerprint_rules or "")
                except RuleSyntaxError:
                    current = ()  # the digest ignores unparsable stored rules too
                in_app = _in_app(project.in_app_rules)
                result = preview_rules(conn, project.id, current, proposed, in_app)
            else:
                result = preview_severity(conn, project.id, proposed)
    values = {"preview": result, "preview_error": error, "rules": text}
    if is_htmx(request):  # htmx swaps only 2xx answers: the error is in the fragment
        return page(
            request,
            "admin/_preview.html",
            {"tab": tab, **values},
            user=user,
        )
    status_code = 400 if error else 200
    return _settings_page(request, user, slug, tab, status_code=status_code, values=values)


@router.post("/admin/projects/{slug}/settings/fingerprint/dry-run")
def dry_run_fingerprint(
    request: Request,
    user: SignedIn,
    slug: str,
    rules: Annotated[str, Form(max_length=MAX_RULES * 2)] = "",
) -> Response:
    return _preview(request, user, slug, "fingerprint", _rule_text(rules), parse_rules)


@router.post("/admin/projects/{slug}/settings/severity/dry-run")
def dry_run_severity(
    request: Request,
    user: SignedIn,
    slug: str,
    rules: Annotated[str, Form(max_length=MAX_RULES * 2)] = "",
) -> Response:
    return _preview(request, user, slug, "severity", _rule_text(rules), parse_severity_rules)
