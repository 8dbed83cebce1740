"""A project's alert channels: the list (kind, role, enabled, hints of the sealed
secrets), a create form per kind (its settings from ``channel_admin.kinds()``; secret
settings are password inputs, never filled in), edit, delete and "Send test
notification" (an htmx fragment with what the service answered). Checked and sealed by
the same service as the API (alerts/channel_admin.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from faultbox import clock
from faultbox.alerts import channel_admin, dispatch, rule_admin
from faultbox.alerts.channel_admin import ChannelError
from faultbox.alerts.secrets import UnreadableSecrets
from faultbox.config import Settings
from faultbox.store import alert_channels
from faultbox.store.alert_channels import ROLES, ChannelRow
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.projects import Project
from faultbox.web.access import project_for, scoped_project
from faultbox.web.csrf import csrf_protect
from faultbox.web.identity import WebUser
from faultbox.web.pages.admin_common import done
from faultbox.web.pages.alert_common import ALERTS_WRITE, checked, notice, posted_form, text
from faultbox.web.render import is_htmx, page
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

Posted = Annotated[FormData, Depends(posted_form)]
RESPONSE_SHOWN = 300  # characters of a service's answer on the page


def _settings() -> dict[str, list[dict[str, Any]]]:
    return channel_admin.kinds()


def _config_text(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _channels_page(
    request: Request,
    user: WebUser,
    slug: str,
    *,
    error: str | None = None,
    problems: list[str] | None = None,
    open_kind: str | None = None,
    typed: dict[str, Any] | None = None,
    test_result: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    with read_connection(engine_of(request)) as conn:
        project = project_for(conn, user, slug)
        channels = alert_channels.project_channels(conn, project.id)
    context = {
        "nav": "alerts",
        "tab": "channels",
        "project": project,
        "channels": [channel_admin.view(c) for c in channels],
        "kinds": _settings(),
        "roles": ROLES,
        "may_write": user.may(project.id, ALERTS_WRITE),
        "error": error,
        "problems": problems or [],
        "open_kind": open_kind,
        "typed": typed or {},
        "test_result": test_result,
        "notice": notice(request),
    }
    return page(request, "alerts/channels.html", context, user=user, status_code=status_code)


def _edit_page(
    request: Request,
    user: WebUser,
    project: Project,
    channel: ChannelRow,
    *,
    error: str | None = None,
    problems: list[str] | None = None,
    typed: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    view = channel_admin.view(channel)
    values = typed or {
        "name": channel.name,
        "role": channel.role or "",
        "enabled": channel.enabled,
        "storm_limit": channel.storm_limit,
        "storm_window_seconds": channel.storm_window_seconds,
        "config": {k: _config_text(v) for k, v in channel.config.items()},
    }
    context = {
        "nav": "alerts",
        "tab": "channels",
        "project": project,
        "channel": view,
        "settings": _settings().get(channel.kind, []),
        "roles": ROLES,
        "typed": values,
        "may_write": user.may(project.id, ALERTS_WRITE),
        "error": error,
        "problems": problems or [],
        "notice": notice(request),
    }
    return page(request, "alerts/channel_edit.html", context, user=user, status_code=status_code)


@router.get("/projects/{slug}/alerts/channels")
def channels_list(request: Request, user: SignedIn, slug: str) -> Response:
    return _channels_page(request, user, slug)


def _channel_of(request: Request, project: Project, channel_id: int) -> ChannelRow:
    with read_connection(engine_of(request)) as conn:
        channel = alert_channels.get_channel(conn, channel_id)
    if channel is None or channel.project_id != project.id:
        raise HTTPException(404, "no such channel in this project")
    return channel


def _integer(form: FormData, name: str, default: int) -> int:
    raw = text(form, name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ChannelError([f"{name}: a whole number, not {raw[:40]!r}"]) from None


def _config_and_secrets(form: FormData, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The kind's settings from the form; empty ones are left out (an empty secret on
    the edit form keeps the stored one). Unknown kinds have no settings (the service
    says the kind is unknown)."""
    config: dict[str, Any] = {}
    secrets: dict[str, Any] = {}
    for key in _settings().get(kind, []):
        if key["secret"]:
            value = form.get(f"secret.{key['name']}")
            if isinstance(value, str) and value:
                secrets[key["name"]] = value
        elif value := text(form, f"config.{key['name']}"):
            config[key["name"]] = value
    return config, secrets


def _typed(form: FormData, kind: str) -> dict[str, Any]:
    """What was typed, to fill the form again after a problem: never the secrets."""
    return {
        "name": text(form, "name"),
        "role": text(form, "role"),
        "enabled": checked(form, "enabled"),
        "storm_limit": text(form, "storm_limit"),
        "storm_window_seconds": text(form, "storm_window_seconds"),
        "config": {k["name"]: text(form, f"config.{k['name']}") for k in _settings().get(kind, [])},
    }


@router.get("/projects/{slug}/alerts/channels/{channel_id}")
def channel_edit(request: Request, user: SignedIn, slug: str, channel_id: int) -> Response:
    with read_connection(engine_of(request)) as conn:
        project = project_for(conn, user, slug)
    return _edit_page(request, user, project, _channel_of(request, project, channel_id))


@router.post("/projects/{slug}/alerts/channels")
def channel_create(request: Request, user: SignedIn, slug: str, form: Posted) -> Response:
    project = scoped_project(request, user, slug, ALERTS_WRITE)
    kind = text(form, "kind")
    settings: Settings = request.app.state.settings
    try:
        config, secrets = _config_and_secrets(form, kind)
        with write_transaction(engine_of(request)) as conn:
            channel_admin.create(
                conn,
                settings.secret_key.value,
                project_id=project.id,
                name=text(form, "name"),
                kind=kind,
                config=config,
                secrets=secrets,
                now=clock.now(),
                role=text(form, "role") or None,
                storm_limit=_integer(form, "storm_limit", 5),
                storm_window_seconds=_integer(form, "storm_window_seconds", 300),
                created_by=user.id,
            )
    except ChannelError as error:
        return _channels_page(
            request,
            user,
            slug,
            error="The channel was not saved:",
            problems=error.problems,
            open_kind=kind,
            typed=_typed(form, kind),
            status_code=400,
        )
    return done(f"/projects/{project.slug}/alerts/channels", "channel-created")


@router.post("/projects/{slug}/alerts/channels/{channel_id}")
def channel_save(
    request: Request, user: SignedIn, slug: str, channel_id: int, form: Posted
) -> Response:
    project = scoped_project(request, user, slug, ALERTS_WRITE)
    channel = _channel_of(request, project, channel_id)
    settings: Settings = request.app.state.settings
    try:
        config, secrets = _config_and_secrets(form, channel.kind)
        for key in _settings().get(channel.kind, []):
            if key["secret"] and checked(form, f"clear.{key['name']}"):
                secrets[key["name"]] = ""  # the service clears it
        with write_transaction(engine_of(request)) as conn:
            channel_admin.change(
                conn,
                settings.secret_key.value,
                channel,
                now=clock.now(),
                name=text(form, "name"),
                config=config,
                secrets=secrets,
                role=text(form, "role"),
                enabled=checked(form, "enabled"),
                storm_limit=_integer(form, "storm_limit", channel.storm_limit),
                storm_window_seconds=_integer(
                    form, "storm_window_seconds", channel.storm_window_seconds
                ),
            )
    except ChannelError as error:
        return _edit_page(
            request,
            user,
            project,
            channel,
            error="The channel was not saved:",
            problems=error.problems,
            typed=_typed(form, channel.kind),
            status_code=400,
        )
    except UnreadableSecrets as error:
        return _edit_page(request, user, project, channel, error=str(error), status_code=400)
    return done(f"/projects/{project.slug}/alerts/channels", "channel-saved")


@router.post("/projects/{slug}/alerts/channels/{channel_id}/delete")
def channel_delete(request: Request, user: SignedIn, slug: str, channel_id: int) -> Response:
    project = scoped_project(request, user, slug, ALERTS_WRITE)
    channel = _channel_of(request, project, channel_id)
    with write_transaction(engine_of(request)) as conn:
        users = rule_admin.rules_naming(conn, channel)
        if not users:
            alert_channels.delete_channel(conn, channel.id)
    if users:
        names = ", ".join(repr(r.name) for r in users)
        return _channels_page(
            request,
            user,
            slug,
            error=f"{channel.name} is not deleted: rules still send to it ({names}).",
            status_code=409,
        )
    return done(f"/projects/{project.slug}/alerts/channels", "channel-deleted")


@router.post("/projects/{slug}/alerts/channels/{channel_id}/test")
def channel_test(request: Request, user: SignedIn, slug: str, channel_id: int) -> Response:
    """Send a test notification now and show what the service answered."""
    project = scoped_project(request, user, slug, ALERTS_WRITE)
    channel = _channel_of(request, project, channel_id)
    result = dispatch.send_test(
        engine_of(request), request.app.state.settings, channel.id, clock.now()
    )
    outcome = {
        "channel_id": channel.id,
        "ok": result.ok,
        "status_code": result.status_code,
        "response": result.response[:RESPONSE_SHOWN],
    }
    if is_htmx(request):
        return page(request, "alerts/_test_result.html", {"result": outcome}, user=user)
    return _channels_page(request, user, slug, test_result=outcome)
