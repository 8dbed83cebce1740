"""Commenting on an issue, with its activity-log entry (the API and the dashboard)."""

from __future__ import annotations

from sqlalchemy import Connection

from faultbox.store.activity import Activity, record
from faultbox.store.comments import add_comment


class EmptyComment(ValueError):
    pass


def comment_on(
    conn: Connection, issue_id: int, project_id: int, *, user_id: int, body: str, now: float
) -> int:
    if not body.strip():
        raise EmptyComment("a comment needs some text")
    comment_id = add_comment(conn, issue_id, user_id, body, now)
    record(
        conn,
        [
            Activity(
                issue_id, project_id, "comment", now, user_id=user_id, new_value=str(comment_id)
            )
        ],
    )
    return comment_id
