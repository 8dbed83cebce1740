"""A person's change to an issue: validated against the workflow, written with one
activity entry per field that actually changed (who, what, when, old → new).

Used by ``PATCH /api/v1/issues/{id}``, the bulk update and the catalogue import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from faultbox.lifecycle.severity import SEVERITIES
from faultbox.lifecycle.status import FIXED, InvalidTransition, Status, check_transition
from faultbox.lifecycle.taxonomy import TAXONOMY_TYPES
from faultbox.store.activity import Activity, record
from faultbox.store.issue_state import (
    CATALOGUE_FIELDS,
    assignable_user,
    lock_issues,
    update_issue,
    user_email,
)

MAX_TEXT = 100_000  # a catalogue field: a long runbook, not a data dump


class ChangeRefused(ValueError):
    """The change cannot be made as asked (the message says why)."""


_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class Ignore:
    """Until when an ignored issue stays ignored: none set means forever."""

    until: float | None = None  # epoch seconds
    more_events: int | None = None  # N more events than now
    more_users: int | None = None  # N more users than now


@dataclass(frozen=True, slots=True)
class IssueChange:
    """Only the fields a caller set are changed (``_UNSET`` elsewhere)."""

    status: Status | None = None
    ignore: Ignore | None = None
    resolved_in_release: str | None = None
    resolve_in_next_release: bool = False
    severity: str | None = None
    taxonomy: str | None = None
    assignee: Any = _UNSET  # an email, a user id, or None to unassign
    catalogue: dict[str, str | None] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return (
            self.status is None
            and self.severity is None
            and self.taxonomy is None
            and self.assignee is _UNSET
            and not self.catalogue
        )


@dataclass(slots=True)
class _Pending:
    row: Any
    actor: int | None
    now: float
    values: dict[str, Any] = field(default_factory=dict)
    log: list[Activity] = field(default_factory=list)

    def note(
        self, kind: str, old: object, new: object, field_name: str | None = None, note: str = ""
    ) -> None:
        self.log.append(
            Activity(
                issue_id=int(self.row.id),
                project_id=int(self.row.project_id),
                kind=kind,
                created_at=self.now,
                user_id=self.actor,
                field=field_name,
                old_value=None if old is None else str(old),
                new_value=None if new is None else str(new),
                note=note or None,
            )
        )


def change_issues(
    conn: Connection,
    issue_ids: list[int],
    change: IssueChange,
    *,
    actor: int | None,
    now: float,
) -> dict[int, ChangeRefused | InvalidTransition]:
    """Apply ``change`` to each issue; returns why each issue that could not take it
    refused (the others are changed). One transaction: the caller's."""
    if change.is_empty():
        raise ChangeRefused("nothing to change")
    _validate(change)
    refused: dict[int, ChangeRefused | InvalidTransition] = {}
    for row in lock_issues(conn, issue_ids):
        pending = _Pending(row, actor, now)
        try:
            _apply(conn, pending, change)
        except (ChangeRefused, InvalidTransition) as exc:
            refused[int(row.id)] = exc
            continue
        if pending.values:
            if row.acknowledged_at is None and actor is not None:
                pending.values["acknowledged_at"] = now  # the first human action
            update_issue(conn, int(row.id), pending.values)
            record(conn, pending.log)
    return refused


def _validate(change: IssueChange) -> None:
    if change.severity is not None and change.severity not in SEVERITIES:
        raise ChangeRefused(f"severity must be one of {', '.join(SEVERITIES)}")
    if change.taxonomy is not None and change.taxonomy not in TAXONOMY_TYPES:
        raise ChangeRefused(f"taxonomy must be one of {', '.join(TAXONOMY_TYPES)}")
    if change.ignore is not None and change.status is not Status.IGNORED:
        raise ChangeRefused("ignore conditions go with status 'ignored'")
    if (change.resolved_in_release or change.resolve_in_next_release) and (
        change.status is not Status.RESOLVED
    ):
        raise ChangeRefused("a resolution release goes with status 'resolved'")
    if change.resolved_in_release and change.resolve_in_next_release:
        raise ChangeRefused("give resolved_in_release or resolve_in_next_release, not both")
    for name, text in change.catalogue.items():
        if name not in CATALOGUE_FIELDS:
            raise ChangeRefused(f"unknown catalogue field {name!r}")
        if text is not None and len(text) > MAX_TEXT:
            raise ChangeRefused(f"{name} is longer than {MAX_TEXT} characters")


def _apply(conn: Connection, p: _Pending, change: IssueChange) -> None:
    if change.status is not None:
        _status(p, change)
    if change.severity is not None and change.severity != p.row.severity:
        p.values.update(severity=change.severity, severity_reason="set by hand")
        p.note("severity", p.row.severity, change.severity, "severity")
    if change.taxonomy is not None and change.taxonomy != p.row.taxonomy:
        p.values.update(taxonomy=change.taxonomy, taxonomy_reason="set by hand")
        p.note("taxonomy", p.row.taxonomy, change.taxonomy, "taxonomy")
    if change.assignee is not _UNSET:
        _assignee(conn, p, change.assignee)
    for name, text in change.catalogue.items():
        new = text if text is None or text.strip() else None
        if new != getattr(p.row, name):
            p.values[name] = new
            p.note("catalogue", getattr(p.row, name), new, name)


def _assignee(conn: Connection, p: _Pending, who: str | int | None) -> None:
    if who is None:
        new_id, new_email = None, None
    else:
        found = assignable_user(conn, int(p.row.project_id), who)
        if found is None:
            raise ChangeRefused(f"{who!r} is not a member of this project's team")
        new_id, new_email = found
    if new_id != p.row.assignee_id:
        p.values["assignee_id"] = new_id
        p.note("assignee", user_email(conn, p.row.assignee_id), new_email, "assignee")


def _status(p: _Pending, change: IssueChange) -> None:
    old, new = Status(p.row.status), change.status
    assert new is not None
    check_transition(old, new)
    if new == old and new is not Status.IGNORED:
        return
    p.values.update(status=new.value, status_changed_at=p.now)
    note = ""
    if new is Status.RESOLVED:
        release = change.resolved_in_release
        if change.resolve_in_next_release:
            # The fix ships in the first release after the one running now; reopen.py
            # records which one that was when it is first seen.
            release = p.row.last_release
        p.values.update(
            resolved_at=p.now,
            resolved_in_release=release,
            resolve_in_next_release=change.resolve_in_next_release,
            is_regression=False,
        )
        if change.resolve_in_next_release:
            note = f"in the next release after {release or 'the current one'}"
        elif release:
            note = f"in release {release}"
    elif old in FIXED and new not in FIXED:
        p.values.update(resolved_at=None, resolved_in_release=None, resolve_in_next_release=False)
    if new is Status.IGNORED:
        note = _ignore(p, change.ignore or Ignore())
    elif old is Status.IGNORED:
        p.values.update(ignore_until=None, ignore_until_count=None, ignore_until_users=None)
    p.note("status", old.value, new.value, "status", note)


def _ignore(p: _Pending, ignore: Ignore) -> str:
    row = p.row
    for name, value in (("more_events", ignore.more_events), ("more_users", ignore.more_users)):
        if value is not None and value < 1:
            raise ChangeRefused(f"ignore.{name} must be at least 1")
    if ignore.until is not None and ignore.until <= p.now:
        raise ChangeRefused("ignore.until must be in the future")
    count = None if ignore.more_events is None else int(row.times_seen) + ignore.more_events
    users = None if ignore.more_users is None else int(row.users_seen) + ignore.more_users
    p.values.update(ignore_until=ignore.until, ignore_until_count=count, ignore_until_users=users)
    parts = []
    if ignore.until is not None:
        parts.append(f"until {datetime.fromtimestamp(ignore.until, UTC).isoformat()}")
    if count is not None:
        parts.append(f"until {ignore.more_events} more events")
    if users is not None:
        parts.append(f"until {ignore.more_users} more users")
    return ", ".join(parts) or "forever"
