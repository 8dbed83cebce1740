"""Known error patterns (``PAT-001``): one diagnosis and prevention shared by many
issues. Linking and unlinking are changes to the issue, so each one lands in its
activity log (kind ``pattern``: new_value on link, old_value on unlink).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from faultbox.lifecycle.codes import pattern_code
from faultbox.store import patterns as store
from faultbox.store.activity import Activity, record

TITLE_MAX = 300  # patterns.title
TEXT_MAX = 100_000  # description, prevention, code example (Markdown)
TEXT_FIELDS = ("description", "prevention", "code_example")
_REF = re.compile(r"^(?:PAT-?)?0*([0-9]{1,9})$", re.I)


class PatternError(ValueError):
    """Bad input for a pattern (the message says which field and why)."""


def parse_pattern_ref(ref: str) -> int:
    """``PAT-7``, ``PAT-007``, ``pat-7`` or ``7`` → 7."""
    found = _REF.match(ref.strip())
    if found is None or int(found.group(1)) == 0:
        raise PatternError(f"not a pattern reference: {ref[:40]!r} (use PAT-<number>)")
    return int(found.group(1))


def clean_fields(body: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """The pattern columns to write from a request body (title required to create;
    the text fields may be null to clear them)."""
    values: dict[str, Any] = {}
    if "title" in body or creating:
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            raise PatternError("title: required, a non-empty string")
        if len(title.strip()) > TITLE_MAX:
            raise PatternError(f"title: at most {TITLE_MAX} characters")
        values["title"] = title.strip()
    for name in TEXT_FIELDS:
        if name not in body:
            continue
        value = body[name]
        if value is not None and not isinstance(value, str):
            raise PatternError(f"{name}: a string or null")
        if value is not None and len(value) > TEXT_MAX:
            raise PatternError(f"{name}: at most {TEXT_MAX} characters")
        values[name] = value if value and value.strip() else None
    return values


def link_issues(
    conn: Connection,
    pattern: Mapping[str, Any],
    project_of: Mapping[int, int],
    *,
    user_id: int | None,
    now: float,
) -> list[int]:
    """Link the issues (``project_of``: issue id → project id, already checked to be
    visible); returns the newly linked ids. Links that exist are left alone, unlogged."""
    new = store.link(conn, pattern["id"], list(project_of))
    code = pattern_code(pattern["number"])
    record(
        conn,
        [
            Activity(i, project_of[i], "pattern", now, user_id, "pattern", None, code, "linked")
            for i in new
        ],
    )
    return new


def unlink_issue(
    conn: Connection,
    pattern: Mapping[str, Any],
    issue_id: int,
    project_id: int,
    *,
    user_id: int | None,
    now: float,
) -> bool:
    if not store.unlink(conn, pattern["id"], issue_id):
        return False
    code = pattern_code(pattern["number"])
    record(
        conn,
        [
            Activity(
                issue_id, project_id, "pattern", now, user_id, "pattern", code, None, "unlinked"
            )
        ],
    )
    return True


def delete_pattern(
    conn: Connection, pattern: Mapping[str, Any], *, user_id: int | None, now: float
) -> Sequence[int]:
    """Delete it; every issue that was linked gets an unlink entry (even in projects
    the caller cannot see: the link is gone for them too). Returns those issue ids."""
    linked = store.linked_issues(conn, pattern["id"])
    code = pattern_code(pattern["number"])
    store.delete_pattern(conn, pattern["id"])
    record(
        conn,
        [
            Activity(
                r["id"], r["project_id"], "pattern", now, user_id, "pattern", code, None, "deleted"
            )
            for r in linked
        ],
    )
    return [r["id"] for r in linked]
