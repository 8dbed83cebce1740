"""Alert rules, channels and the delivery log (``/api/v1/.../alert-*``).

Read with ``alerts:read`` (or ``project:read``), change with ``alerts:write`` (or
``project:write``). Rules and channels of projects the token cannot see answer 404.
Channel secrets (webhook URLs, tokens) are accepted and never returned: every answer
carries only their hints ("…a1b2")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from faultbox import clock
from faultbox.alerts import channel_admin, dispatch, rule_admin
from faultbox.alerts.channel_admin import ChannelError
from faultbox.alerts.secrets import UnreadableSecrets
from faultbox.api.auth import Principal, authenticated, engine_of
from faultbox.api.projects import visible_project
from faultbox.config import Settings
from faultbox.query.cursor import BadCursor, decode_cursor, encode_cursor
from faultbox.query.timefmt import iso
from faultbox.store import alert_channels, alert_deliveries, alert_rules
from faultbox.store.alert_channels import ChannelRow
from faultbox.store.alert_rules import RuleRow
from faultbox.store.db import read_connection, write_transaction

router = APIRouter(prefix="/api/v1", tags=["alerts"])

MAX_BODY = 64 * 1024  # a rule or a channel is a few hundred bytes
RESPONSE_EXCERPT = 500  # characters of a service's answer shown in the delivery log


def require_any(*scopes: str) -> Callable[..., Principal]:
    def dependency(principal: Principal = Depends(authenticated)) -> Principal:  # noqa: B008
        if not principal.scopes & set(scopes):
            raise HTTPException(403, f"this token lacks the {' or '.join(map(repr, scopes))} scope")
        return principal

    return dependency


def limited_body(request: Request) -> None:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        raise HTTPException(413, f"request body over {MAX_BODY} bytes")


Reader = Annotated[Principal, Depends(require_any("alerts:read", "project:read"))]
Writer = Annotated[Principal, Depends(require_any("alerts:write", "project:write"))]
Limited = Depends(limited_body)

# -- bodies ---------------------------------------------------------------------------

Id = Annotated[int, Field(gt=0, lt=2**63)]
ChannelIds = Annotated[list[Id], Field(max_length=50)]
Short = Annotated[str, Field(max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuietWindow(_Strict):
    start: Short
    end: Short
    tz: Short = "UTC"


class EscalationLevel(_Strict):
    after_minutes: int
    channels: ChannelIds


Params = Annotated[
    dict[Short, int | float | Annotated[str, Field(max_length=500)]], Field(max_length=20)
]
Targets = Annotated[dict[Annotated[str, Field(max_length=8)], ChannelIds], Field(max_length=8)]


class RuleBody(_Strict):
    name: Annotated[str, Field(max_length=1000)]
    condition: Annotated[str, Field(max_length=64)]
    params: Params = Field(default_factory=dict)
    filter: Annotated[str, Field(max_length=4000)] = ""
    severity: Annotated[str, Field(max_length=8)] | None = None
    targets: Targets | None = None
    throttle_seconds: Annotated[int, Field(lt=2**31)] = 0
    quiet_windows: Annotated[list[QuietWindow], Field(max_length=20)] = Field(default_factory=list)
    escalation: Annotated[list[EscalationLevel], Field(max_length=20)] = Field(default_factory=list)
    enabled: bool = True


class RulePatch(_Strict):
    """Fields left out keep their value."""

    name: Annotated[str, Field(max_length=1000)] | None = None
    condition: Annotated[str, Field(max_length=64)] | None = None
    params: Params | None = None
    filter: Annotated[str, Field(max_length=4000)] | None = None
    severity: Annotated[str, Field(max_length=8)] | None = None
    targets: Targets | None = None
    throttle_seconds: Annotated[int, Field(lt=2**31)] | None = None
    quiet_windows: Annotated[list[QuietWindow], Field(max_length=20)] | None = None
    escalation: Annotated[list[EscalationLevel], Field(max_length=20)] | None = None
    enabled: bool | None = None


ConfigValue = (
    Annotated[str, Field(max_length=2000)]
    | Annotated[list[Annotated[str, Field(max_length=500)]], Field(max_length=50)]
)
Config = Annotated[dict[Short, ConfigValue], Field(max_length=30)]
# Values checked by _secrets, not by pydantic: its 422 would echo the secret back.
Secrets = Annotated[dict[Short, Any], Field(max_length=10)]
MAX_SECRET = 4000
StormLimit = Annotated[int, Field(lt=2**31)]


class ChannelBody(_Strict):
    name: Annotated[str, Field(max_length=1000)]
    kind: Short
    role: Annotated[str, Field(max_length=32)] | None = None
    config: Config = Field(default_factory=dict)
    secrets: Secrets = Field(default_factory=dict)
    storm_limit: StormLimit = 5
    storm_window_seconds: StormLimit = 300
    enabled: bool = True


class ChannelPatch(_Strict):
    """Fields left out keep their value; secrets left out stay sealed as they are, and
    a secret given as "" is cleared. ``role`` "" clears the role."""

    name: Annotated[str, Field(max_length=1000)] | None = None
    role: Annotated[str, Field(max_length=32)] | None = None
    config: Config | None = None
    secrets: Secrets | None = None
    storm_limit: StormLimit | None = None
    storm_window_seconds: StormLimit | None = None
    enabled: bool | None = None


# -- answers --------------------------------------------------------------------------


def rule_json(rule: RuleRow, last_fired_at: float | None = None) -> dict[str, Any]:
    view = rule_admin.view(rule, last_fired_at)
    return {**view, "created_at": iso(rule.created_at), "last_fired_at": iso(last_fired_at)}


def channel_json(channel: ChannelRow) -> dict[str, Any]:
    view = channel_admin.view(channel)
    return {
        **view,
        "created_at": iso(channel.created_at),
        "updated_at": iso(channel.updated_at),
    }


def firing_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "rule_id": row["rule_id"],
        "subject": row["subject"],
        "fired_at": iso(row["fired_at"]),
        "value": row["value"],
        "threshold": row["threshold"],
        "issue_id": row["issue_id"],
        "severity": row["severity"],
        "explanation": row["explanation"],
        "suppressed": row["suppressed"],
    }


def delivery_json(row: dict[str, Any], channel: ChannelRow | None) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "status": row["status"],
        "attempts": row["attempts"],
        "status_code": row["status_code"],
        "response": (row["response"] or "")[:RESPONSE_EXCERPT],
        "channel": {
            "id": row["channel_id"],
            "name": channel.name if channel else None,
            "kind": channel.kind if channel else None,
        },
        "firing_id": row["firing_id"],
        "incident_id": row["incident_id"],
        "issue_id": row["issue_id"],
        "reference": row["reference"],
        "link": row["link"],
        "created_at": iso(row["created_at"]),
        "next_attempt_at": iso(row["next_attempt_at"]),
        "sent_at": iso(row["sent_at"]),
    }


def _before_id(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        return decode_cursor(cursor)[1]
    except BadCursor as exc:
        raise HTTPException(400, str(exc)) from None


def _page(rows: list[dict[str, Any]], limit: int, sort: str) -> tuple[list[dict[str, Any]], Any]:
    page = rows[:limit]
    more = len(rows) > limit
    return page, encode_cursor(page[-1][sort], page[-1]["id"]) if more else None


# -- lookups: 404 for what the token cannot see -----------------------------------------


def _rule(conn: Connection, principal: Principal, rule_id: int) -> RuleRow:
    rule = alert_rules.get_rule(conn, rule_id)
    if rule is None or rule.project_id not in principal.project_ids:
        raise HTTPException(404, f"no alert rule {rule_id}")
    return rule


def _channel(conn: Connection, principal: Principal, channel_id: int) -> ChannelRow:
    channel = alert_channels.get_channel(conn, channel_id)
    if channel is None or channel.project_id not in principal.project_ids:
        raise HTTPException(404, f"no alert channel {channel_id}")
    return channel


def _secret_key(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return settings.secret_key.value


def _secrets(given: dict[str, Any] | None) -> dict[str, Any] | None:
    for name, value in (given or {}).items():
        if not isinstance(value, str):
            raise HTTPException(400, f"secrets.{name}: must be text")
        if len(value) > MAX_SECRET:
            raise HTTPException(400, f"secrets.{name}: at most {MAX_SECRET} characters")
    return given


def _problems(error: ChannelError) -> HTTPException:
    return HTTPException(400, {"message": str(error), "problems": error.problems})


# -- rules ------------------------------------------------------------------------------


@router.get("/projects/{slug}/alert-rules")
def rules_list(request: Request, slug: str, principal: Reader) -> dict[str, Any]:
    project = visible_project(request, principal, slug)
    with read_connection(engine_of(request)) as conn:
        rules = alert_rules.project_rules(conn, project.id)
        fired = alert_rules.last_fired(conn, project.id)
    return {"data": [rule_json(r, fired.get(r.id)) for r in rules], "next_cursor": None}


@router.post("/projects/{slug}/alert-rules", status_code=201, dependencies=[Limited])
def rule_create(request: Request, slug: str, principal: Writer, body: RuleBody) -> dict[str, Any]:
    project = visible_project(request, principal, slug)
    with write_transaction(engine_of(request)) as conn:
        try:
            rule_id = rule_admin.create(
                conn,
                project.id,
                body.model_dump(),
                now=clock.now(),
                created_by=principal.user_id,
            )
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        rule = alert_rules.get_rule(conn, rule_id)
    assert rule is not None
    return rule_json(rule)


@router.get("/alert-rules/{rule_id}")
def rule_detail(request: Request, rule_id: Id, principal: Reader) -> dict[str, Any]:
    with read_connection(engine_of(request)) as conn:
        rule = _rule(conn, principal, rule_id)
        fired = alert_rules.last_fired(conn, rule.project_id).get(rule.id)
    return rule_json(rule, fired)


@router.put("/alert-rules/{rule_id}", dependencies=[Limited])
def rule_change(
    request: Request, rule_id: Id, principal: Writer, body: RulePatch
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    with write_transaction(engine_of(request)) as conn:
        rule = _rule(conn, principal, rule_id)
        try:
            rule_admin.change(conn, rule, changes, now=clock.now())
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        changed = alert_rules.get_rule(conn, rule_id)
        fired = alert_rules.last_fired(conn, rule.project_id).get(rule.id)
    assert changed is not None
    return rule_json(changed, fired)


@router.delete("/alert-rules/{rule_id}", status_code=204)
def rule_delete(request: Request, rule_id: Id, principal: Writer) -> Response:
    with write_transaction(engine_of(request)) as conn:
        rule = _rule(conn, principal, rule_id)
        alert_rules.delete_rule(conn, rule.id)
    return Response(status_code=204)


@router.get("/alert-rules/{rule_id}/firings")
def rule_firings(
    request: Request,
    rule_id: Id,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Newest first."""
    before = _before_id(cursor)
    with read_connection(engine_of(request)) as conn:
        rule = _rule(conn, principal, rule_id)
        rows = alert_rules.firings_page(conn, rule.id, limit=limit + 1, before_id=before)
    page, next_cursor = _page(rows, limit, "fired_at")
    return {"data": [firing_json(r) for r in page], "next_cursor": next_cursor}


# -- channels ---------------------------------------------------------------------------


@router.get("/alert-channel-kinds")
def channel_kinds(principal: Reader) -> dict[str, Any]:
    """Each channel kind's settings: ``secret`` ones go in ``secrets`` and are never
    shown again."""
    return {"data": channel_admin.kinds()}


@router.get("/projects/{slug}/alert-channels")
def channels_list(request: Request, slug: str, principal: Reader) -> dict[str, Any]:
    project = visible_project(request, principal, slug)
    with read_connection(engine_of(request)) as conn:
        channels = alert_channels.project_channels(conn, project.id)
    return {"data": [channel_json(c) for c in channels], "next_cursor": None}


@router.post("/projects/{slug}/alert-channels", status_code=201, dependencies=[Limited])
def channel_create(
    request: Request, slug: str, principal: Writer, body: ChannelBody
) -> dict[str, Any]:
    project = visible_project(request, principal, slug)
    now = clock.now()
    with write_transaction(engine_of(request)) as conn:
        try:
            channel_id = channel_admin.create(
                conn,
                _secret_key(request),
                project_id=project.id,
                name=body.name,
                kind=body.kind,
                config=body.config,
                secrets=_secrets(body.secrets) or {},
                now=now,
                role=body.role or None,
                storm_limit=body.storm_limit,
                storm_window_seconds=body.storm_window_seconds,
                created_by=principal.user_id,
            )
        except ChannelError as error:
            raise _problems(error) from None
        if not body.enabled:
            alert_channels.update_channel(conn, channel_id, now, enabled=False)
        channel = alert_channels.get_channel(conn, channel_id)
    assert channel is not None
    return channel_json(channel)


@router.get("/alert-channels/{channel_id}")
def channel_detail(request: Request, channel_id: Id, principal: Reader) -> dict[str, Any]:
    with read_connection(engine_of(request)) as conn:
        return channel_json(_channel(conn, principal, channel_id))


@router.patch("/alert-channels/{channel_id}", dependencies=[Limited])
def channel_change(
    request: Request, channel_id: Id, principal: Writer, body: ChannelPatch
) -> dict[str, Any]:
    given = body.model_dump(exclude_unset=True)
    if "secrets" in given:
        given["secrets"] = _secrets(given["secrets"])
    with write_transaction(engine_of(request)) as conn:
        channel = _channel(conn, principal, channel_id)
        try:
            channel_admin.change(conn, _secret_key(request), channel, now=clock.now(), **given)
        except ChannelError as error:
            raise _problems(error) from None
        except UnreadableSecrets as error:
            raise HTTPException(400, f"secrets: {error}") from None
        changed = alert_channels.get_channel(conn, channel_id)
    assert changed is not None
    return channel_json(changed)


@router.delete("/alert-channels/{channel_id}", status_code=204)
def channel_delete(request: Request, channel_id: Id, principal: Writer) -> Response:
    """Refused (409) while a rule still names the channel: pages must not silently go
    nowhere. Its delivery records go with it."""
    with write_transaction(engine_of(request)) as conn:
        channel = _channel(conn, principal, channel_id)
        users = rule_admin.rules_naming(conn, channel)
        if users:
            names = ", ".join(repr(r.name) for r in users)
            raise HTTPException(409, f"rules still send to this channel: {names}")
        alert_channels.delete_channel(conn, channel.id)
    return Response(status_code=204)


@router.post("/alert-channels/{channel_id}/test")
def channel_test(request: Request, channel_id: Id, principal: Writer) -> dict[str, Any]:
    """Send a test notification now; the answer is what the service said (also kept
    in the delivery log)."""
    with read_connection(engine_of(request)) as conn:
        channel = _channel(conn, principal, channel_id)
    try:
        result = dispatch.send_test(
            engine_of(request), request.app.state.settings, channel.id, clock.now()
        )
    except LookupError:
        raise HTTPException(404, f"no alert channel {channel_id}") from None
    return {
        "ok": result.ok,
        "status_code": result.status_code,
        "response": result.response[:RESPONSE_EXCERPT],
        "permanent": result.permanent,
        "retry_after": result.retry_after,
        "channel": {"id": channel.id, "name": channel.name, "kind": channel.kind},
    }


# -- the delivery log -------------------------------------------------------------------


@router.get("/projects/{slug}/alert-deliveries")
def deliveries_list(
    request: Request,
    slug: str,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Newest first: each message to a channel with its status, attempts and the
    service's last answer."""
    project = visible_project(request, principal, slug)
    before = _before_id(cursor)
    with read_connection(engine_of(request)) as conn:
        rows = alert_deliveries.project_deliveries(
            conn, project.id, limit=limit + 1, before_id=before
        )
        page, next_cursor = _page(rows, limit, "created_at")
        channels = alert_channels.channels_by_id(conn, sorted({r["channel_id"] for r in page}))
    data = [delivery_json(r, channels.get(r["channel_id"])) for r in page]
    return {"data": data, "next_cursor": next_cursor}
