"""Create, change and show channels: settings validated, secrets sealed on the way in
and never returned (only a hint of each), so neither the API nor the dashboard can
show a webhook URL or token again once it is saved."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from faultbox.alerts.channels import CHANNELS, secret_keys, validate_config
from faultbox.alerts.secrets import hint, seal, unseal
from faultbox.store import alert_channels as store
from faultbox.store.alert_channels import ROLES, ChannelRow

MAX_NAME = 200


class ChannelError(ValueError):
    """Settings a channel cannot be saved with; ``problems`` holds one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _check_common(name: str, role: str | None, storm_limit: int, storm_window: int) -> list[str]:
    problems: list[str] = []
    if not name.strip():
        problems.append("name: required")
    elif len(name) > MAX_NAME:
        problems.append(f"name: at most {MAX_NAME} characters")
    if role is not None and role not in ROLES:
        problems.append(f"role: one of {', '.join(ROLES)}")
    if storm_limit < 1:
        problems.append("storm_limit: at least 1")
    if not 10 <= storm_window <= 86400:
        problems.append("storm_window_seconds: from 10 to 86400")
    return problems


def create(
    conn: Connection,
    secret_key: str,
    *,
    project_id: int,
    name: str,
    kind: str,
    config: Mapping[str, Any],
    secrets: Mapping[str, Any],
    now: float,
    role: str | None = None,
    storm_limit: int = 5,
    storm_window_seconds: int = 300,
    created_by: int | None = None,
) -> int:
    problems = _check_common(name, role, storm_limit, storm_window_seconds)
    problems += validate_config(kind, config, secrets)
    if problems:
        raise ChannelError(problems)
    kept = {k: v for k, v in secrets.items() if v not in (None, "")}
    try:
        with conn.begin_nested():
            return store.create_channel(
                conn,
                project_id=project_id,
                name=name.strip(),
                kind=kind,
                role=role,
                config=config,
                sealed_secrets=seal(secret_key, kept) if kept else None,
                secret_hints={k: hint(v) for k, v in kept.items()},
                storm_limit=storm_limit,
                storm_window_seconds=storm_window_seconds,
                created_by=created_by,
                now=now,
            )
    except IntegrityError:
        raise ChannelError([f"name: a channel named {name.strip()!r} exists"]) from None


def change(
    conn: Connection,
    secret_key: str,
    channel: ChannelRow,
    *,
    now: float,
    name: str | None = None,
    config: Mapping[str, Any] | None = None,
    secrets: Mapping[str, Any] | None = None,
    role: str | None = None,
    enabled: bool | None = None,
    storm_limit: int | None = None,
    storm_window_seconds: int | None = None,
) -> None:
    """Anything not given (None) is kept; an empty ``role`` clears it. Secrets not
    given keep their sealed value (an empty string clears one)."""
    new_name = channel.name if name is None else name
    new_role = channel.role if role is None else (role or None)
    limit = channel.storm_limit if storm_limit is None else storm_limit
    window = channel.storm_window_seconds if storm_window_seconds is None else storm_window_seconds
    new_config = channel.config if config is None else dict(config)
    merged = unseal(secret_key, channel.sealed_secrets)
    for key, value in (secrets or {}).items():
        if value in (None, ""):
            merged.pop(key, None)
        else:
            merged[key] = value
    problems = _check_common(new_name, new_role, limit, window)
    problems += validate_config(channel.kind, new_config, merged)
    if problems:
        raise ChannelError(problems)
    values: dict[str, Any] = {
        "name": new_name.strip(),
        "role": new_role,
        "config": new_config,
        "storm_limit": limit,
        "storm_window_seconds": window,
    }
    if enabled is not None:
        values["enabled"] = enabled
    if secrets is not None:
        values["sealed_secrets"] = seal(secret_key, merged) if merged else None
        values["secret_hints"] = {k: hint(v) for k, v in merged.items()}
    try:
        with conn.begin_nested():
            store.update_channel(conn, channel.id, now, **values)
    except IntegrityError:
        raise ChannelError([f"name: a channel named {new_name.strip()!r} exists"]) from None


def view(channel: ChannelRow) -> dict[str, Any]:
    """What the API and the dashboard show: settings, and only hints of the secrets."""
    return {
        "id": channel.id,
        "name": channel.name,
        "kind": channel.kind,
        "role": channel.role,
        "enabled": channel.enabled,
        "config": channel.config,
        "secrets": {k: channel.secret_hints.get(k) for k in sorted(secret_keys(channel.kind))},
        "storm_limit": channel.storm_limit,
        "storm_window_seconds": channel.storm_window_seconds,
        "created_at": channel.created_at,
        "updated_at": channel.updated_at,
    }


def kinds() -> dict[str, list[dict[str, Any]]]:
    """Each channel kind's settings, for forms and the API's documentation."""
    return {
        name: [
            {
                "name": k.name,
                "required": k.required,
                "secret": k.secret,
                "choices": list(k.choices),
                "help": k.help,
            }
            for k in channel.keys
        ]
        for name, channel in CHANNELS.items()
    }
