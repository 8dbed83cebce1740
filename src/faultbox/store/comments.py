"""Comments on an issue (Markdown)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select, update

from faultbox.store.schema import issue_comments, users


def add_comment(conn: Connection, issue_id: int, user_id: int, body: str, now: float) -> int:
    return int(
        conn.execute(
            issue_comments.insert()
            .values(issue_id=issue_id, user_id=user_id, body=body, created_at=now, updated_at=now)
            .returning(issue_comments.c.id)
        ).scalar_one()
    )


def comments_of(conn: Connection, issue_id: int) -> list[dict[str, Any]]:
    c = issue_comments.c
    rows = conn.execute(
        select(c.id, c.issue_id, c.user_id, c.body, c.created_at, c.updated_at, users.c.email)
        .outerjoin(users, users.c.id == c.user_id)
        .where(c.issue_id == issue_id)
        .order_by(c.created_at, c.id)
    )
    return [dict(r._mapping) for r in rows]


def get_comment(conn: Connection, comment_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(issue_comments).where(issue_comments.c.id == comment_id)).first()
    return dict(row._mapping) if row is not None else None


def edit_comment(conn: Connection, comment_id: int, body: str, now: float) -> None:
    conn.execute(
        update(issue_comments)
        .where(issue_comments.c.id == comment_id)
        .values(body=body, updated_at=now)
    )


def delete_comment(conn: Connection, comment_id: int) -> None:
    conn.execute(delete(issue_comments).where(issue_comments.c.id == comment_id))
