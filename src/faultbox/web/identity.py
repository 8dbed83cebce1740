"""Who is signed in, and what their team roles let them do on each project."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from faultbox.accounts.scopes import ALL_SCOPES, ROLE_SCOPES
from faultbox.store.schema import projects, team_members
from faultbox.store.web_sessions import SessionUser

# Strongest first: a user in several teams owning one project gets the strongest role.
_RANK = {"owner": 0, "admin": 1, "member": 2, "viewer": 3}


@dataclass(frozen=True)
class WebUser:
    id: int
    email: str
    is_superuser: bool
    csrf_token: str
    session_id: int
    roles: Mapping[int, str] = field(default_factory=dict)  # project id -> role
    team_roles: Mapping[int, str] = field(default_factory=dict)  # team id -> role

    @property
    def project_ids(self) -> frozenset[int]:
        return frozenset(self.roles)

    def role(self, project_id: int) -> str | None:
        return self.roles.get(project_id)

    def may(self, project_id: int, scope: str) -> bool:
        """Whether the user's role on the project grants a Sentry-named scope."""
        if self.is_superuser:
            return True
        role = self.roles.get(project_id)
        return role is not None and scope in ROLE_SCOPES.get(role, frozenset())

    def may_in_team(self, team_id: int, scope: str) -> bool:
        if self.is_superuser:
            return True
        role = self.team_roles.get(team_id)
        return role is not None and scope in ROLE_SCOPES.get(role, frozenset())

    def scopes_for(self, project_id: int) -> frozenset[str]:
        if self.is_superuser:
            return frozenset(ALL_SCOPES)
        return ROLE_SCOPES.get(self.roles.get(project_id, ""), frozenset())


def load_web_user(conn: Connection, session: SessionUser) -> WebUser:
    team_roles: dict[int, str] = {
        int(r.team_id): r.role
        for r in conn.execute(
            select(team_members.c.team_id, team_members.c.role).where(
                team_members.c.user_id == session.user_id
            )
        )
    }
    roles: dict[int, str] = {}
    rows = conn.execute(select(projects.c.id, projects.c.team_id))
    for row in rows:
        if session.is_superuser:
            roles[int(row.id)] = "owner"
            continue
        role = team_roles.get(int(row.team_id))
        if role is not None:
            current = roles.get(int(row.id))
            if current is None or _RANK[role] < _RANK[current]:
                roles[int(row.id)] = role
    return WebUser(
        id=session.user_id,
        email=session.email,
        is_superuser=session.is_superuser,
        csrf_token=session.csrf_token,
        session_id=session.session_id,
        roles=roles,
        team_roles=team_roles,
    )
