"""Teams and their members as the admin pages list and change them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, func, select
from sqlalchemy.exc import IntegrityError

from faultbox.store.errors import AlreadyExists, NotFound
from faultbox.store.schema import projects, team_members, teams, users


@dataclass(frozen=True, slots=True)
class Team:
    id: int
    slug: str
    name: str
    members: int
    projects: int


@dataclass(frozen=True, slots=True)
class Member:
    user_id: int
    email: str
    role: str
    is_active: bool


def _team_query() -> Select[Any]:
    n_members = (
        select(func.count())
        .select_from(team_members)
        .where(team_members.c.team_id == teams.c.id)
        .scalar_subquery()
    )
    n_projects = (
        select(func.count())
        .select_from(projects)
        .where(projects.c.team_id == teams.c.id)
        .scalar_subquery()
    )
    return select(
        teams.c.id,
        teams.c.slug,
        teams.c.name,
        n_members.label("members"),
        n_projects.label("projects"),
    )


def _team(row: object) -> Team:
    r = row._mapping  # type: ignore[attr-defined]
    return Team(int(r["id"]), r["slug"], r["name"], int(r["members"]), int(r["projects"]))


def list_teams(conn: Connection, team_ids: set[int] | None = None) -> list[Team]:
    """Every team, or those in ``team_ids``, by name."""
    query = _team_query().order_by(teams.c.name, teams.c.id)
    if team_ids is not None:
        query = query.where(teams.c.id.in_(sorted(team_ids)))
    return [_team(r) for r in conn.execute(query)]


def get_team(conn: Connection, slug: str) -> Team:
    row = conn.execute(_team_query().where(teams.c.slug == slug)).first()
    if row is None:
        raise NotFound(f"no team {slug!r}")
    return _team(row)


def create_team(conn: Connection, *, slug: str, name: str) -> int:
    try:
        with conn.begin_nested():
            result = conn.execute(
                teams.insert().values(slug=slug, name=name, created_at=time.time())
            )
    except IntegrityError:
        raise AlreadyExists(f"a team with slug {slug!r} already exists") from None
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def team_members_of(conn: Connection, team_id: int) -> list[Member]:
    rows = conn.execute(
        select(users.c.id, users.c.email, users.c.is_active, team_members.c.role)
        .join(users, users.c.id == team_members.c.user_id)
        .where(team_members.c.team_id == team_id)
        .order_by(users.c.email)
    )
    return [Member(int(r.id), r.email, r.role, bool(r.is_active)) for r in rows]


def member_role(conn: Connection, team_id: int, user_id: int) -> str | None:
    role: str | None = conn.execute(
        select(team_members.c.role).where(
            team_members.c.team_id == team_id, team_members.c.user_id == user_id
        )
    ).scalar_one_or_none()
    return role


def owner_count(conn: Connection, team_id: int) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(team_members)
            .where(team_members.c.team_id == team_id, team_members.c.role == "owner")
        ).scalar_one()
    )


def set_member_role(conn: Connection, team_id: int, user_id: int, role: str) -> None:
    conn.execute(
        team_members.update()
        .where(team_members.c.team_id == team_id, team_members.c.user_id == user_id)
        .values(role=role)
    )


def remove_member(conn: Connection, team_id: int, user_id: int) -> None:
    conn.execute(
        team_members.delete().where(
            team_members.c.team_id == team_id, team_members.c.user_id == user_id
        )
    )
