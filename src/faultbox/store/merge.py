"""Merge issues into one, and move fingerprints back out into an issue of their own.

Merging keeps every event and every counter: hashes, events, users, the per-hour
history and the tag counts move to the target, and the merged issues' ids keep
answering through ``issue_redirects``.  Unmerging moves the events of the chosen
hashes to a new issue whose counters are rebuilt from those events, and takes the
same amounts off the issue they leave.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, update

from faultbox.model import event_from_dict
from faultbox.store.batch import TagCount, add_hourly_counts, add_tag_counts
from faultbox.store.dialect import upsert
from faultbox.store.facets import event_facets
from faultbox.store.payload import unpack
from faultbox.store.schema import (
    events,
    issue_hashes,
    issue_hourly,
    issue_redirects,
    issue_tags,
    issue_users,
    issues,
    projects,
)
from faultbox.store.search_index import merge_documents, rebuild_documents

MAX_MERGE = 100  # issues in one merge request


class MergeError(ValueError):
    """The request cannot be carried out as asked (the message says why)."""


@dataclass(frozen=True, slots=True)
class UnmergeResult:
    new_issue_id: int
    moved_events: int


def _locked_issues(conn: Connection, project_id: int, ids: Sequence[int]) -> dict[int, Any]:
    # FOR UPDATE (ignored by SQLite, whose write transaction is already exclusive) makes
    # a concurrent digest batch wait, then retry against the merged state.
    rows = conn.execute(
        select(issues)
        .where(issues.c.id.in_(sorted(set(ids))), issues.c.project_id == project_id)
        .with_for_update()
    ).all()
    found = {int(r.id): r for r in rows}
    missing = sorted(set(ids) - set(found))
    if missing:
        raise MergeError(f"no issue {', '.join(map(str, missing))} in this project")
    return found


def busiest_issue(conn: Connection, ids: Sequence[int]) -> int:
    """The issue with the most events (the one kept by default, as in Sentry)."""
    rows = conn.execute(
        select(issues.c.id, issues.c.times_seen).where(issues.c.id.in_(sorted(set(ids))))
    )
    counts = {int(r.id): int(r.times_seen) for r in rows}
    return max(sorted(set(ids)), key=lambda i: (counts.get(i, -1), -i))


def merge_issues(
    conn: Connection, project_id: int, target_id: int, source_ids: Sequence[int]
) -> list[tuple[int, int]]:
    """Fold ``source_ids`` into ``target_id``; returns (id, short id) of each issue
    that was merged into it."""
    sources = sorted(set(source_ids) - {target_id})
    if not sources:
        raise MergeError("name at least two different issues to merge")
    if len(sources) + 1 > MAX_MERGE:
        raise MergeError(f"at most {MAX_MERGE} issues can be merged at once")
    rows = _locked_issues(conn, project_id, [target_id, *sources])
    for table in (issue_hashes, events):
        conn.execute(update(table).where(table.c.issue_id.in_(sources)).values(issue_id=target_id))
    _merge_users(conn, target_id, sources)
    _merge_hourly(conn, target_id, sources)
    _merge_tags(conn, target_id, sources)
    _merge_counters(conn, target_id, [rows[target_id], *(rows[i] for i in sources)])
    merge_documents(conn, target_id, sources)
    conn.execute(
        update(issue_redirects)
        .where(issue_redirects.c.target_id.in_(sources))
        .values(target_id=target_id)
    )
    now = time.time()
    conn.execute(
        issue_redirects.insert(),
        [
            {
                "issue_id": i,
                "project_id": project_id,
                "short_id": rows[i].short_id,
                "target_id": target_id,
                "created_at": now,
            }
            for i in sources
        ],
    )
    conn.execute(delete(issues).where(issues.c.id.in_(sources)))
    return [(i, int(rows[i].short_id)) for i in sources]


def _merge_users(conn: Connection, target_id: int, sources: list[int]) -> None:
    keys = conn.execute(
        select(issue_users.c.user_key).where(issue_users.c.issue_id.in_(sources)).distinct()
    ).scalars()
    params = [{"issue_id": target_id, "user_key": key} for key in keys]
    if params:
        conn.execute(upsert(conn, issue_users).on_conflict_do_nothing(), params)


def _merge_hourly(conn: Connection, target_id: int, sources: list[int]) -> None:
    rows = conn.execute(
        select(issue_hourly.c.hour, func.sum(issue_hourly.c.count))
        .where(issue_hourly.c.issue_id.in_(sources))
        .group_by(issue_hourly.c.hour)
    ).all()
    add_hourly_counts(conn, {(target_id, int(hour)): int(n) for hour, n in rows})


def _merge_tags(conn: Connection, target_id: int, sources: list[int]) -> None:
    c = issue_tags.c
    rows = conn.execute(
        select(
            c.key, c.value, func.sum(c.times_seen), func.min(c.first_seen), func.max(c.last_seen)
        )
        .where(c.issue_id.in_(sources))
        .group_by(c.key, c.value)
    ).all()
    add_tag_counts(
        conn, {(target_id, k, v): (int(n), float(f), float(la)) for k, v, n, f, la in rows}
    )


def _users_seen(conn: Connection, issue_id: int) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(issue_users).where(issue_users.c.issue_id == issue_id)
        ).scalar_one()
    )


def _merge_counters(conn: Connection, target_id: int, rows: list[Any]) -> None:
    earliest = min(rows, key=lambda r: r.first_seen)
    newest = max(rows, key=lambda r: r.last_seen)
    with_release = [r for r in rows if r.first_release]
    conn.execute(
        update(issues)
        .where(issues.c.id == target_id)
        .values(
            times_seen=sum(int(r.times_seen) for r in rows),
            users_seen=_users_seen(conn, target_id),
            first_seen=earliest.first_seen,
            last_seen=newest.last_seen,
            first_release=min(with_release, key=lambda r: r.first_seen).first_release
            if with_release
            else None,
            last_release=next(
                (
                    r.last_release
                    for r in sorted(rows, key=lambda r: -r.last_seen)
                    if r.last_release
                ),
                None,
            ),
            # The newest sighting names the issue, as the digest does for new events.
            title=newest.title,
            culprit=newest.culprit,
            level=newest.level,
        )
    )


# -- unmerge -----------------------------------------------------------------------


def unmerge_hashes(
    conn: Connection, project_id: int, issue_id: int, hashes: Sequence[str]
) -> UnmergeResult:
    """Move the events of ``hashes`` (and the hashes) out of the issue into a new one."""
    wanted = sorted(set(hashes))
    if not wanted:
        raise MergeError("name at least one hash to move out")
    source = _locked_issues(conn, project_id, [issue_id])[issue_id]
    owned = set(
        conn.execute(
            select(issue_hashes.c.hash).where(issue_hashes.c.issue_id == issue_id)
        ).scalars()
    )
    foreign = [h for h in wanted if h not in owned]
    if foreign:
        raise MergeError(f"hash {foreign[0]} does not belong to issue {issue_id}")
    if owned <= set(wanted):
        raise MergeError("at least one hash must stay with the issue")
    moved: list[Any] = list(
        conn.execute(
            select(events.c.id, events.c.timestamp, events.c.title, events.c.level)
            .add_columns(events.c.release, events.c.user_key, events.c.payload)
            .where(events.c.issue_id == issue_id, events.c.grouping_hash.in_(wanted))
            .order_by(events.c.timestamp)
        )
    )
    if not moved:
        raise MergeError("no stored event has these hashes: nothing to move")
    new_id = _new_issue_from(conn, source, moved)
    conn.execute(
        update(issue_hashes)
        .where(issue_hashes.c.issue_id == issue_id, issue_hashes.c.hash.in_(wanted))
        .values(issue_id=new_id)
    )
    moved_ids = [int(r.id) for r in moved]
    for start in range(0, len(moved_ids), 400):
        conn.execute(
            update(events)
            .where(events.c.id.in_(moved_ids[start : start + 400]))
            .values(issue_id=new_id)
        )
    _move_aggregates(conn, source, new_id, moved)
    # The source may keep text only the moved events had: both are read anew.
    rebuild_documents(conn, [issue_id, new_id])
    return UnmergeResult(new_issue_id=new_id, moved_events=len(moved))


def _culprit(payload: bytes) -> str | None:
    record = unpack(payload).get("grouping")
    culprit = record.get("culprit") if isinstance(record, dict) else None
    return culprit if isinstance(culprit, str) else None


def _new_issue_from(conn: Connection, source: Any, moved: list[Any]) -> int:
    counter = conn.execute(
        update(projects)
        .where(projects.c.id == source.project_id)
        .values(issue_counter=projects.c.issue_counter + 1)
        .returning(projects.c.issue_counter)
    ).scalar_one()
    newest, oldest = moved[-1], moved[0]
    releases = [r.release for r in moved if r.release]
    return int(
        conn.execute(
            issues.insert()
            .values(
                project_id=source.project_id,
                short_id=int(counter),
                title=newest.title,
                culprit=_culprit(newest.payload) or source.culprit,
                level=newest.level,
                status="detected",
                platform=source.platform,
                first_seen=oldest.timestamp,
                last_seen=newest.timestamp,
                times_seen=len(moved),
                users_seen=0,
                first_release=releases[0] if releases else None,
                last_release=releases[-1] if releases else None,
                grouping_version=source.grouping_version,
            )
            .returning(issues.c.id)
        ).scalar_one()
    )


def _move_aggregates(conn: Connection, source: Any, new_id: int, moved: list[Any]) -> None:
    hourly: dict[tuple[int, int], int] = defaultdict(int)
    new_tags: dict[tuple[int, str, str], TagCount] = {}
    taken: dict[tuple[str, str], int] = defaultdict(int)
    for row in moved:
        ts = float(row.timestamp)
        hourly[(new_id, int(ts // 3600))] += 1
        hourly[(source.id, int(ts // 3600))] -= 1
        for key, value in event_facets(event_from_dict(unpack(row.payload))):
            k = (key[:200], str(value)[:200])
            taken[k] += 1
            n, first, last = new_tags.get((new_id, *k), (0, ts, ts))
            new_tags[(new_id, *k)] = (n + 1, min(first, ts), max(last, ts))
    add_hourly_counts(conn, hourly)
    add_tag_counts(conn, new_tags)
    c = issue_tags.c
    conn.execute(
        update(issue_tags)
        .where(
            c.issue_id == source.id, c.key == bindparam("b_key"), c.value == bindparam("b_value")
        )
        .values(times_seen=c.times_seen - bindparam("b_n")),
        [{"b_key": k, "b_value": v, "b_n": n} for (k, v), n in sorted(taken.items())],
    )
    conn.execute(delete(issue_tags).where(c.issue_id == source.id, c.times_seen <= 0))
    conn.execute(
        delete(issue_hourly).where(issue_hourly.c.issue_id == source.id, issue_hourly.c.count <= 0)
    )
    _move_users(conn, source.id, new_id, {r.user_key for r in moved if r.user_key})
    _shrink_source(conn, source, moved)


def _move_users(conn: Connection, source_id: int, new_id: int, keys: set[str]) -> None:
    if keys:
        conn.execute(
            upsert(conn, issue_users).on_conflict_do_nothing(),
            [{"issue_id": new_id, "user_key": k} for k in sorted(keys)],
        )
        still_there = set(
            conn.execute(
                select(events.c.user_key)
                .where(events.c.issue_id == source_id, events.c.user_key.is_not(None))
                .distinct()
            ).scalars()
        )
        gone = sorted(keys - still_there)
        for start in range(0, len(gone), 400):
            conn.execute(
                delete(issue_users).where(
                    issue_users.c.issue_id == source_id,
                    issue_users.c.user_key.in_(gone[start : start + 400]),
                )
            )
    for issue_id in (source_id, new_id):
        conn.execute(
            update(issues)
            .where(issues.c.id == issue_id)
            .values(users_seen=_users_seen(conn, issue_id))
        )


def _shrink_source(conn: Connection, source: Any, moved: list[Any]) -> None:
    """Take the moved events off the source.  First/last seen move only when the
    moved events held them (older events may have been removed by retention)."""
    values: dict[str, Any] = {"times_seen": max(0, int(source.times_seen) - len(moved))}
    remaining = select(events.c.timestamp, events.c.title, events.c.level, events.c.payload).where(
        events.c.issue_id == source.id
    )
    if moved[0].timestamp <= source.first_seen:
        first = conn.execute(remaining.order_by(events.c.timestamp).limit(1)).first()
        if first is not None:
            values["first_seen"] = first.timestamp
    if moved[-1].timestamp >= source.last_seen:
        last = conn.execute(remaining.order_by(events.c.timestamp.desc()).limit(1)).first()
        if last is not None:
            values.update(
                last_seen=last.timestamp,
                title=last.title,
                level=last.level,
                culprit=_culprit(last.payload) or source.culprit,
            )
    conn.execute(update(issues).where(issues.c.id == source.id).values(**values))
