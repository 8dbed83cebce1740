"""After a batch is stored: record its releases, settle "resolve in the next release",
reopen fixed issues that regressed, and end ignores whose condition is met.

Runs in the digest's write transaction (``after_batch``), so a batch and the status
changes it causes commit together. The statement count does not grow with the
batch: one upsert for releases, one read of the touched issues that are fixed or
ignored (nearly always none), and reads and writes for the few that change.

Ignore-until is checked here on every event of an ignored issue (count, users and
time), and for the time condition also by ``unignore_expired``, which the digest
worker runs every minute so an issue ignored for an hour comes back even if it
stays quiet; reads never write.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection

from faultbox.lifecycle import hooks
from faultbox.lifecycle.ignore import IgnoreState, condition_met
from faultbox.lifecycle.regression import (
    Resolution,
    next_release_fix,
    regressing_event,
    stored_version,
)
from faultbox.lifecycle.releases import ReleaseInfo
from faultbox.lifecycle.status import FIXED, Status
from faultbox.model import Event
from faultbox.store.activity import Activity, record
from faultbox.store.releases import record_seen, release_times
from faultbox.store.reopen import (
    awaiting_next_release,
    expired_ignores,
    issues_in_status,
    set_issue_values,
)

_WATCHED = sorted({s.value for s in FIXED} | {Status.IGNORED.value})
_FIXED = sorted(s.value for s in FIXED)


@dataclass(slots=True)
class _Changes:
    """What one batch changes, written together at the end."""

    now: float
    values: list[tuple[int, dict[str, Any]]]
    log: list[Activity]

    def add(self, row: Any, values: dict[str, Any], **entry: Any) -> None:
        self.values.append((int(row.id), values))
        self.log.append(
            Activity(
                issue_id=int(row.id), project_id=int(row.project_id), created_at=self.now, **entry
            )
        )


def on_events(
    conn: Connection,
    events_by_issue: dict[int, list[Event]],
    new_issue_ids: set[int],
    now: float,
) -> None:
    new_releases = _record_releases(conn, events_by_issue)
    touched = [i for i in events_by_issue if i not in new_issue_ids]
    rows = {int(r.id): r for r in issues_in_status(conn, touched, _WATCHED)}
    if new_releases:
        projects = {pid for pid, _ in new_releases}
        for r in awaiting_next_release(conn, projects, _FIXED):
            rows.setdefault(int(r.id), r)
    if not rows:
        return
    new_by_project: dict[int, list[str]] = defaultdict(list)
    for pid, version in sorted(new_releases):
        new_by_project[pid].append(version)
    infos = _Infos(conn, rows.values(), events_by_issue, new_by_project)
    changes = _Changes(now, [], [])
    for row in rows.values():
        events = events_by_issue.get(int(row.id), [])
        if row.status == Status.IGNORED:
            _check_ignore(changes, row, now)
        else:
            _check_fixed(changes, row, events, new_by_project[int(row.project_id)], infos)
    set_issue_values(conn, changes.values)
    record(conn, changes.log)


def release_created(conn: Connection, project_id: int, version: str, now: float) -> None:
    """A release created through the API settles "resolve in the next release" as a
    release first seen in events does."""
    rows = awaiting_next_release(conn, [project_id], _FIXED)
    if not rows:
        return
    infos = _Infos(conn, rows, {}, {project_id: [version]})
    changes = _Changes(now, [], [])
    for row in rows:
        _check_fixed(changes, row, [], [version], infos)
    set_issue_values(conn, changes.values)
    record(conn, changes.log)


def unignore_expired(conn: Connection, now: float) -> int:
    """End the ignores whose time has come; returns how many. (The worker's sweep.)"""
    changes = _Changes(now, [], [])
    for row in expired_ignores(conn, now):
        _check_ignore(changes, row, now)
    set_issue_values(conn, changes.values)
    record(conn, changes.log)
    return len(changes.values)


def _record_releases(
    conn: Connection, events_by_issue: dict[int, list[Event]]
) -> set[tuple[int, str]]:
    first_seen: dict[tuple[int, str], float] = {}
    for events in events_by_issue.values():
        for e in events:
            version = stored_version(e.release)
            if version is not None:
                key = (e.project_id, version)
                first_seen[key] = min(first_seen.get(key, e.timestamp), e.timestamp)
    return record_seen(conn, first_seen)


class _Infos:
    """Creation and first-deploy times of the versions the checks may compare, read
    in one query per project, and only when some issue needs them."""

    def __init__(
        self,
        conn: Connection,
        rows: Iterable[Any],
        events_by_issue: dict[int, list[Event]],
        new_by_project: dict[int, list[str]],
    ) -> None:
        wanted: dict[int, set[str]] = defaultdict(set)
        for pid, versions in new_by_project.items():
            wanted[pid].update(versions)
        for row in rows:
            pid = int(row.project_id)
            if row.resolved_in_release:
                wanted[pid].add(row.resolved_in_release)
            for e in events_by_issue.get(int(row.id), []):
                version = stored_version(e.release)
                if version is not None:
                    wanted[pid].add(version)
        self._known = {pid: release_times(conn, pid, versions) for pid, versions in wanted.items()}

    def of(self, project_id: int) -> Any:
        known = self._known.get(project_id, {})

        def info(version: str) -> ReleaseInfo:
            created, deployed = known.get(version, (None, None))
            return ReleaseInfo(version, created, deployed)

        return info


def _check_ignore(changes: _Changes, row: Any, now: float) -> None:
    state = IgnoreState(
        row.ignore_until,
        row.ignore_until_count,
        row.ignore_until_users,
        int(row.times_seen),
        int(row.users_seen),
    )
    why = condition_met(state, now)
    if why is None:
        return
    changes.add(
        row,
        {
            "status": Status.DETECTED.value,
            "status_changed_at": changes.now,
            "ignore_until": None,
            "ignore_until_count": None,
            "ignore_until_users": None,
        },
        kind="unignored",
        field="status",
        old_value=Status.IGNORED.value,
        new_value=Status.DETECTED.value,
        note=why,
    )


def _check_fixed(
    changes: _Changes, row: Any, events: list[Event], new_releases: list[str], infos: _Infos
) -> None:
    info = infos.of(int(row.project_id))
    resolution = Resolution(
        row.resolved_at, row.resolved_in_release, bool(row.resolve_in_next_release)
    )
    values: dict[str, Any] = {}
    own = [v for e in sorted(events, key=lambda e: e.timestamp) if (v := stored_version(e.release))]
    fix = next_release_fix(resolution, [*new_releases, *own], info)
    if fix is not None:
        values = {"resolved_in_release": fix, "resolve_in_next_release": False}
        changes.add(
            row,
            values,
            kind="release",
            field="resolved_in_release",
            old_value=resolution.release,
            new_value=fix,
            note=f"resolve in the next release: {fix} is the first release after "
            f"{resolution.release or 'the one running at resolve time'}",
        )
        resolution = replace(resolution, release=fix, in_next_release=False)
    culprit = regressing_event(resolution, events, info)
    if culprit is None:
        return
    release = stored_version(culprit.release)
    changes.add(
        row,
        {
            "status": Status.DETECTED.value,
            "status_changed_at": changes.now,
            "is_regression": True,
            "regressed_at": changes.now,
            "acknowledged_at": None,
            "resolved_at": None,
            "resolved_in_release": None,
            "resolve_in_next_release": False,
        },
        kind="regression",
        field="release",
        old_value=resolution.release,
        new_value=release,
        note=_why(row.status, resolution, culprit),
    )
    hooks.notify(
        hooks.Regression(
            issue_id=int(row.id),
            project_id=int(row.project_id),
            event_id=culprit.event_id,
            release=release,
            resolved_in_release=resolution.release,
            at=changes.now,
        )
    )


def _why(status: str, resolution: Resolution, event: Event) -> str:
    if resolution.release is None:
        reason = "an event after it was resolved"
    else:
        reason = f"an event from {event.release}, newer than {resolution.release}"
    return f"{status} → detected: {reason} (event {event.event_id})"
