"""A project's severity rule text (NULL: the level defaults)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from faultbox.store.schema import projects


def severity_rules_of(conn: Connection, project_id: int) -> str | None:
    text: str | None = conn.execute(
        select(projects.c.severity_rules).where(projects.c.id == project_id)
    ).scalar_one_or_none()
    return text


def set_severity_rules(conn: Connection, project_id: int, rules_text: str | None) -> None:
    """Store validated rule text; None (or blank) goes back to the defaults."""
    value = rules_text if rules_text and rules_text.strip() else None
    conn.execute(projects.update().where(projects.c.id == project_id).values(severity_rules=value))
