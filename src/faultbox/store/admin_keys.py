"""A project's ingest keys as the admin pages list, add, revoke and rotate them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from faultbox.store.errors import NotFound
from faultbox.store.schema import project_keys


@dataclass(frozen=True, slots=True)
class ProjectKey:
    id: int
    public_key: str
    label: str
    is_active: bool
    created_at: float


def _key(row: object) -> ProjectKey:
    r = row._mapping  # type: ignore[attr-defined]
    return ProjectKey(
        int(r["id"]), r["public_key"], r["label"], bool(r["is_active"]), float(r["created_at"])
    )


def project_keys_of(conn: Connection, project_id: int) -> list[ProjectKey]:
    """Active keys first (the first one is the project's DSN), then revoked ones."""
    rows = conn.execute(
        select(project_keys)
        .where(project_keys.c.project_id == project_id)
        .order_by(project_keys.c.is_active.desc(), project_keys.c.id)
    )
    return [_key(r) for r in rows]


def project_key(conn: Connection, project_id: int, key_id: int) -> ProjectKey:
    row = conn.execute(
        select(project_keys).where(
            project_keys.c.id == key_id, project_keys.c.project_id == project_id
        )
    ).first()
    if row is None:
        raise NotFound(f"no key {key_id} in this project")
    return _key(row)


def set_key_active(conn: Connection, key_id: int, active: bool) -> None:
    conn.execute(project_keys.update().where(project_keys.c.id == key_id).values(is_active=active))
