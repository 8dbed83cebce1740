"""First start: an admin user and a demo project when there are none."""

from __future__ import annotations

import os
import secrets

from sqlalchemy import Engine

from faultbox.accounts.passwords import hash_password
from faultbox.config import Settings
from faultbox.query.dsn import dsn_for
from faultbox.store.accounts import DEFAULT_TEAM, add_member, count_users, create_user, ensure_team
from faultbox.store.db import read_connection, serialize, write_transaction
from faultbox.store.projects import any_project, create_project, list_projects

ADMIN_EMAIL = "admin@faultbox.local"
PASSWORD_FILE = "initial_admin_password"


def bootstrap(engine: Engine, settings: Settings) -> list[str]:
    """Create what is missing; return the lines to print (login and DSN)."""
    lines: list[str] = []
    password_path = settings.data_dir / PASSWORD_FILE
    with write_transaction(engine) as conn:
        # N servers starting together: one creates, the others then find it all there.
        serialize(conn, "faultbox-bootstrap")
        team_id = ensure_team(conn, DEFAULT_TEAM, "Default")
        if count_users(conn) == 0:
            email = os.environ.get("FAULTBOX_ADMIN_EMAIL", ADMIN_EMAIL)
            password = os.environ.get("FAULTBOX_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
            user = create_user(
                conn, email=email, password_hash=hash_password(password), is_superuser=True
            )
            add_member(conn, team_id=team_id, user_id=user.id, role="owner")
            fd = os.open(password_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(f"{email}\n{password}\n")
        if not any_project(conn):
            create_project(conn, name="demo", team_id=team_id)
    if password_path.exists():
        email, password = password_path.read_text().split("\n")[:2]
        lines.append(
            f"Admin login: {email} / {password}   (kept in {password_path}; delete it once noted)"
        )
    with read_connection(engine) as conn:
        projects = list_projects(conn)
    for project in projects[:5]:
        lines.append(f"DSN for project '{project.slug}': {dsn_for(settings.public_url, project)}")
    return lines
