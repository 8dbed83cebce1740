"""The instance's users as the admin pages list and change them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from faultbox.store.schema import team_members, teams, users, web_sessions


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    email: str
    is_superuser: bool
    is_active: bool
    created_at: float
    teams: tuple[tuple[str, str], ...]  # (team slug, role)


def list_users(conn: Connection) -> list[UserRow]:
    memberships: dict[int, list[tuple[str, str]]] = {}
    for r in conn.execute(
        select(team_members.c.user_id, teams.c.slug, team_members.c.role)
        .join(teams, teams.c.id == team_members.c.team_id)
        .order_by(teams.c.slug)
    ):
        memberships.setdefault(int(r.user_id), []).append((r.slug, r.role))
    rows = conn.execute(select(users).order_by(users.c.email))
    return [
        UserRow(
            int(r.id),
            r.email,
            bool(r.is_superuser),
            bool(r.is_active),
            float(r.created_at),
            tuple(memberships.get(int(r.id), ())),
        )
        for r in rows
    ]


def active_superusers(conn: Connection) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(users)
            .where(users.c.is_superuser.is_(True), users.c.is_active.is_(True))
        ).scalar_one()
    )


def set_user_active(conn: Connection, user_id: int, active: bool) -> None:
    conn.execute(users.update().where(users.c.id == user_id).values(is_active=active))
    if not active:
        conn.execute(web_sessions.delete().where(web_sessions.c.user_id == user_id))
