"""Users, teams, memberships and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from faultbox.store.errors import AlreadyExists, NotFound
from faultbox.store.schema import api_tokens, projects, team_members, teams, users

DEFAULT_TEAM = "default"
TOKEN_PREFIX = "fbt_"


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    is_superuser: bool
    password_hash: str
    is_active: bool = True


@dataclass(frozen=True, slots=True)
class TokenOwner:
    token_id: int
    user_id: int
    is_superuser: bool
    scopes: frozenset[str]


def ensure_team(conn: Connection, slug: str, name: str | None = None) -> int:
    row = conn.execute(select(teams.c.id).where(teams.c.slug == slug)).first()
    if row:
        return int(row.id)
    result = conn.execute(
        teams.insert().values(slug=slug, name=name or slug, created_at=time.time())
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def create_user(conn: Connection, *, email: str, password_hash: str, is_superuser: bool) -> User:
    try:
        result = conn.execute(
            users.insert().values(
                email=email.lower(),
                password_hash=password_hash,
                is_superuser=is_superuser,
                is_active=True,
                created_at=time.time(),
            )
        )
    except IntegrityError:
        raise AlreadyExists(f"a user with email {email!r} already exists") from None
    user_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    return User(user_id, email.lower(), is_superuser, password_hash)


def add_member(conn: Connection, *, team_id: int, user_id: int, role: str) -> None:
    existing = conn.execute(
        select(team_members.c.role).where(
            team_members.c.team_id == team_id, team_members.c.user_id == user_id
        )
    ).first()
    if existing:
        conn.execute(
            team_members.update()
            .where(team_members.c.team_id == team_id, team_members.c.user_id == user_id)
            .values(role=role)
        )
    else:
        conn.execute(team_members.insert().values(team_id=team_id, user_id=user_id, role=role))


def get_user_by_email(conn: Connection, email: str) -> User:
    row = conn.execute(select(users).where(users.c.email == email.lower())).first()
    if row is None:
        raise NotFound(f"no user with email {email!r}")
    return User(
        int(row.id), row.email, bool(row.is_superuser), row.password_hash, bool(row.is_active)
    )


def get_user(conn: Connection, user_id: int) -> User:
    row = conn.execute(select(users).where(users.c.id == user_id)).first()
    if row is None:
        raise NotFound(f"no user with id {user_id}")
    return User(
        int(row.id), row.email, bool(row.is_superuser), row.password_hash, bool(row.is_active)
    )


def set_password_hash(conn: Connection, user_id: int, password_hash: str) -> None:
    conn.execute(users.update().where(users.c.id == user_id).values(password_hash=password_hash))


def count_users(conn: Connection) -> int:
    return len(conn.execute(select(users.c.id).limit(1)).all())


def user_roles(conn: Connection, user_id: int) -> list[str]:
    rows = conn.execute(select(team_members.c.role).where(team_members.c.user_id == user_id))
    return [r.role for r in rows]


def hash_token(token: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough (no salt needed).
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(conn: Connection, *, user_id: int, scopes: list[str], label: str = "") -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    conn.execute(
        api_tokens.insert().values(
            user_id=user_id,
            token_hash=hash_token(token),
            scopes=" ".join(scopes),
            label=label,
            created_at=time.time(),
        )
    )
    return token


def token_owner(conn: Connection, token: str) -> TokenOwner | None:
    row = conn.execute(
        select(api_tokens.c.id, api_tokens.c.user_id, api_tokens.c.scopes, users.c.is_superuser)
        .join(users, users.c.id == api_tokens.c.user_id)
        .where(api_tokens.c.token_hash == hash_token(token), users.c.is_active.is_(True))
    ).first()
    if row is None:
        return None
    return TokenOwner(
        int(row.id), int(row.user_id), bool(row.is_superuser), frozenset(row.scopes.split())
    )


def project_members(conn: Connection, project_id: int) -> list[tuple[int, str]]:
    """(id, email) of the active users of the project's team: who an issue can go to."""
    rows = conn.execute(
        select(users.c.id, users.c.email)
        .join(team_members, team_members.c.user_id == users.c.id)
        .join(projects, projects.c.team_id == team_members.c.team_id)
        .where(projects.c.id == project_id, users.c.is_active.is_(True))
        .order_by(users.c.email)
    )
    return [(int(r.id), r.email) for r in rows]
