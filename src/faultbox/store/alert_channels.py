"""Configured alert channels (alerts/channel_admin.py seals their secrets first)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, select, update

from faultbox.store.schema import alert_channels

ROLES = ("pager", "chat", "digest_email", "ticket")


@dataclass(frozen=True, slots=True)
class ChannelRow:
    id: int
    project_id: int
    name: str
    kind: str
    role: str | None
    config: dict[str, Any]
    sealed_secrets: str | None
    secret_hints: dict[str, str]
    enabled: bool
    storm_limit: int
    storm_window_seconds: int
    created_at: float
    updated_at: float


def create_channel(
    conn: Connection,
    *,
    project_id: int,
    name: str,
    kind: str,
    config: Mapping[str, Any],
    sealed_secrets: str | None,
    secret_hints: Mapping[str, str],
    now: float,
    role: str | None = None,
    enabled: bool = True,
    storm_limit: int = 5,
    storm_window_seconds: int = 300,
    created_by: int | None = None,
) -> int:
    result = conn.execute(
        alert_channels.insert().values(
            project_id=project_id,
            name=name,
            kind=kind,
            role=role,
            config=json.dumps(dict(config)),
            sealed_secrets=sealed_secrets,
            secret_hints=json.dumps(dict(secret_hints)),
            enabled=enabled,
            storm_limit=storm_limit,
            storm_window_seconds=storm_window_seconds,
            created_by=created_by,
            created_at=now,
            updated_at=now,
        )
    )
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def update_channel(conn: Connection, channel_id: int, now: float, **values: Any) -> None:
    """``values``: name, role, enabled, storm_limit, storm_window_seconds, config (a
    mapping), sealed_secrets, secret_hints (a mapping)."""
    for key in ("config", "secret_hints"):
        if key in values:
            values[key] = json.dumps(dict(values[key]))
    conn.execute(
        update(alert_channels)
        .where(alert_channels.c.id == channel_id)
        .values(updated_at=now, **values)
    )


def delete_channel(conn: Connection, channel_id: int) -> bool:
    deleted = conn.execute(delete(alert_channels).where(alert_channels.c.id == channel_id))
    return deleted.rowcount > 0


def get_channel(conn: Connection, channel_id: int) -> ChannelRow | None:
    row = conn.execute(select(alert_channels).where(alert_channels.c.id == channel_id)).first()
    return _channel(row._mapping) if row is not None else None


def project_channels(conn: Connection, project_id: int) -> list[ChannelRow]:
    rows = conn.execute(
        select(alert_channels)
        .where(alert_channels.c.project_id == project_id)
        .order_by(alert_channels.c.name)
    )
    return [_channel(r._mapping) for r in rows]


def channels_by_id(conn: Connection, ids: list[int]) -> dict[int, ChannelRow]:
    if not ids:
        return {}
    rows = conn.execute(select(alert_channels).where(alert_channels.c.id.in_(ids)))
    return {int(r.id): _channel(r._mapping) for r in rows}


def _channel(row: RowMapping) -> ChannelRow:
    return ChannelRow(
        id=int(row["id"]),
        project_id=int(row["project_id"]),
        name=row["name"],
        kind=row["kind"],
        role=row["role"],
        config=json.loads(row["config"] or "{}"),
        sealed_secrets=row["sealed_secrets"],
        secret_hints=json.loads(row["secret_hints"] or "{}"),
        enabled=bool(row["enabled"]),
        storm_limit=int(row["storm_limit"]),
        storm_window_seconds=int(row["storm_window_seconds"]),
        created_at=float(row["created_at"]),
        updated_at=float(row["updated_at"]),
    )
