"""Write one digested batch in one transaction, with set-based statements.

Idempotent on (project, event_id): duplicates (a replay after a crash, or an SDK
that resent) are skipped before any counter moves, so replaying a batch changes
nothing.  The number of statements is constant per batch, not per event.

Events of a discarded issue (``issues.discarded_at``) move its counters (times seen,
last seen, users, hourly and tag counts) but are not stored and do not reach the
lifecycle (no regression, no alert); they are counted as outcome filtered/discarded.
Having no row, such an event resent by its SDK is counted again.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Connection, Float, String, and_, bindparam, case, select, update

from faultbox.model import Event, Grouping
from faultbox.store.dialect import upsert
from faultbox.store.facets import event_facets
from faultbox.store.outcomes import OutcomeKey, add_outcomes
from faultbox.store.schema import (
    events,
    issue_hashes,
    issue_hourly,
    issue_tags,
    issue_users,
    issues,
    projects,
)
from faultbox.store.search_index import add_texts
from faultbox.store.search_text import event_texts

_CHUNK = 400  # stays below SQLite's bound-parameter limit
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ProcessedEvent:
    event: Event
    grouping: Grouping
    payload: bytes  # compressed normalized JSON (store.payload.pack)
    # Its hash under the project's previous grouping algorithm, during a transition.
    secondary_hash: str | None = None


@dataclass(slots=True)
class BatchResult:
    stored: int = 0
    duplicates: int = 0
    discarded: int = 0  # counted on a discarded issue, not stored
    new_issue_ids: list[int] = field(default_factory=list)
    # The stored (not duplicate) events of each issue, for the lifecycle's checks.
    events_by_issue: dict[int, list[Event]] = field(default_factory=dict)


def _chunks(items: list[T], size: int = _CHUNK) -> Iterable[list[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def store_batch(conn: Connection, batch: list[ProcessedEvent]) -> BatchResult:
    result = BatchResult()
    fresh = _drop_duplicates(conn, batch)
    result.duplicates = len(batch) - len(fresh)
    if not fresh:
        return result
    issue_of_hash = _resolve_issues(conn, fresh, result)
    discarded = _discarded(conn, set(issue_of_hash.values()))
    kept = [p for p in fresh if _issue_of(p, issue_of_hash) not in discarded]
    if kept:
        _insert_events(conn, kept, issue_of_hash)
    by_issue: dict[int, list[Event]] = defaultdict(list)
    for p in fresh:
        by_issue[issue_of_hash[(p.event.project_id, p.grouping.hash)]].append(p.event)
    new_users = _record_users(conn, by_issue)
    _update_issue_counters(conn, by_issue, new_users, fresh, issue_of_hash)
    _upsert_hourly(conn, by_issue)
    _upsert_tags(conn, by_issue)
    _index_text(conn, kept, issue_of_hash, result.new_issue_ids)
    _count_discarded(conn, [p for p in fresh if _issue_of(p, issue_of_hash) in discarded])
    result.stored = len(kept)
    result.discarded = len(fresh) - len(kept)
    result.events_by_issue = {i: evs for i, evs in by_issue.items() if i not in discarded}
    return result


def _issue_of(p: ProcessedEvent, issue_of_hash: dict[tuple[int, str], int]) -> int:
    return issue_of_hash[(p.event.project_id, p.grouping.hash)]


def _discarded(conn: Connection, issue_ids: set[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(sorted(issue_ids)):
        rows = conn.execute(
            select(issues.c.id).where(issues.c.id.in_(chunk), issues.c.discarded_at.is_not(None))
        )
        found.update(int(r.id) for r in rows)
    return found


def _count_discarded(conn: Connection, dropped: list[ProcessedEvent]) -> None:
    hour = int(time.time() // 3600)  # outcomes are by the hour they happened (as at ingest)
    counts: dict[OutcomeKey, int] = defaultdict(int)
    for p in dropped:
        counts[(p.event.project_id, hour, "error", "filtered", "discarded")] += 1
    add_outcomes(conn, counts)


def _insert_events(
    conn: Connection, batch: list[ProcessedEvent], issue_of_hash: dict[tuple[int, str], int]
) -> None:
    conn.execute(
        events.insert(),
        [
            {
                "project_id": p.event.project_id,
                "event_id": p.event.event_id,
                "issue_id": issue_of_hash[(p.event.project_id, p.grouping.hash)],
                "timestamp": p.event.timestamp,
                "received_at": p.event.received_at,
                "level": p.event.level.value,
                "platform": p.event.platform[:64],
                "release": (p.event.release or None) and p.event.release[:250],
                "environment": (p.event.environment or None) and p.event.environment[:64],
                "service": (p.event.service or None) and p.event.service[:200],
                "user_key": (p.event.user_key or None) and p.event.user_key[:300],
                "title": p.grouping.title[:512],
                "grouping_hash": p.grouping.hash,
                "payload": p.payload,
            }
            for p in batch
        ],
    )


def _drop_duplicates(conn: Connection, batch: list[ProcessedEvent]) -> list[ProcessedEvent]:
    seen: set[tuple[int, str]] = set()
    unique: list[ProcessedEvent] = []
    for p in batch:
        key = (p.event.project_id, p.event.event_id)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    ids_by_project: dict[int, list[str]] = defaultdict(list)
    for project_id, event_id in seen:
        ids_by_project[project_id].append(event_id)
    stored: set[tuple[int, str]] = set()
    for project_id, ids in ids_by_project.items():
        for chunk in _chunks(ids):
            rows = conn.execute(
                select(events.c.event_id).where(
                    events.c.project_id == project_id, events.c.event_id.in_(chunk)
                )
            )
            stored.update((project_id, r.event_id) for r in rows)
    return [p for p in unique if (p.event.project_id, p.event.event_id) not in stored]


def _lookup_hashes(conn: Connection, project_id: int, hashes: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(hashes):
        rows = conn.execute(
            select(issue_hashes.c.hash, issue_hashes.c.issue_id).where(
                issue_hashes.c.project_id == project_id, issue_hashes.c.hash.in_(chunk)
            )
        )
        found.update((r.hash, int(r.issue_id)) for r in rows)
    return found


def _resolve_issues(
    conn: Connection, batch: list[ProcessedEvent], result: BatchResult
) -> dict[tuple[int, str], int]:
    first_of_hash: dict[tuple[int, str], ProcessedEvent] = {}
    for p in batch:
        first_of_hash.setdefault((p.event.project_id, p.grouping.hash), p)
    found: dict[tuple[int, str], int] = {}
    hashes_by_project: dict[int, list[str]] = defaultdict(list)
    for project_id, digest in first_of_hash:
        hashes_by_project[project_id].append(digest)
    for project_id, hashes in sorted(hashes_by_project.items()):
        for digest, issue_id in _lookup_hashes(conn, project_id, hashes).items():
            found[(project_id, digest)] = issue_id
    _adopt_secondary_hashes(conn, first_of_hash, found)
    missing = [key for key in first_of_hash if key not in found]
    new_by_project: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for key in missing:
        new_by_project[key[0]].append(key)
    for project_id, keys in sorted(new_by_project.items()):
        counter = conn.execute(
            update(projects)
            .where(projects.c.id == project_id)
            .values(issue_counter=projects.c.issue_counter + len(keys))
            .returning(projects.c.issue_counter)
        ).scalar_one()
        first_short_id = int(counter) - len(keys) + 1
        for offset, key in enumerate(keys):
            p = first_of_hash[key]
            issue_id = conn.execute(
                issues.insert()
                .values(
                    project_id=project_id,
                    short_id=first_short_id + offset,
                    title=p.grouping.title[:512],
                    culprit=p.grouping.culprit and p.grouping.culprit[:512],
                    level=p.event.level.value,
                    status="detected",
                    platform=p.event.platform[:64],
                    first_seen=p.event.timestamp,
                    last_seen=p.event.timestamp,
                    times_seen=0,
                    users_seen=0,
                    first_release=p.event.release and p.event.release[:250],
                    last_release=p.event.release and p.event.release[:250],
                    grouping_version=p.grouping.version,
                )
                .returning(issues.c.id)
            ).scalar_one()
            conn.execute(
                issue_hashes.insert().values(
                    project_id=project_id,
                    hash=key[1],
                    grouping_version=p.grouping.version,
                    issue_id=issue_id,
                )
            )
            found[key] = int(issue_id)
            result.new_issue_ids.append(int(issue_id))
    return found


def _adopt_secondary_hashes(
    conn: Connection,
    first_of_hash: dict[tuple[int, str], ProcessedEvent],
    found: dict[tuple[int, str], int],
) -> None:
    """During a grouping upgrade, a new hash whose old-algorithm hash names an issue
    joins that issue (and is recorded, so later events find it directly)."""
    wanted: dict[int, dict[str, list[tuple[int, str]]]] = defaultdict(dict)
    for key, p in first_of_hash.items():
        if key not in found and p.secondary_hash:
            wanted[key[0]].setdefault(p.secondary_hash, []).append(key)
    adopted = []
    for project_id, by_old in wanted.items():
        for old_hash, issue_id in _lookup_hashes(conn, project_id, list(by_old)).items():
            for key in by_old[old_hash]:
                found[key] = issue_id
                adopted.append(
                    {
                        "project_id": project_id,
                        "hash": key[1],
                        "grouping_version": first_of_hash[key].grouping.version,
                        "issue_id": issue_id,
                    }
                )
    if adopted:
        conn.execute(issue_hashes.insert(), adopted)


def _record_users(conn: Connection, by_issue: dict[int, list[Event]]) -> dict[int, int]:
    pairs = {
        (issue_id, e.user_key[:300])
        for issue_id, evs in by_issue.items()
        for e in evs
        if e.user_key
    }
    if not pairs:
        return {}
    stmt = (
        upsert(conn, issue_users)
        .on_conflict_do_nothing()
        .returning(issue_users.c.issue_id, sort_by_parameter_order=False)
    )
    new: dict[int, int] = defaultdict(int)
    rows = conn.execute(stmt, [{"issue_id": i, "user_key": k} for i, k in sorted(pairs)])
    for row in rows:
        new[int(row.issue_id)] += 1
    return new


def _update_issue_counters(
    conn: Connection,
    by_issue: dict[int, list[Event]],
    new_users: dict[int, int],
    batch: list[ProcessedEvent],
    issue_of_hash: dict[tuple[int, str], int],
) -> None:
    latest_grouping: dict[int, Grouping] = {}
    for p in sorted(batch, key=lambda p: p.event.timestamp):
        latest_grouping[issue_of_hash[(p.event.project_id, p.grouping.hash)]] = p.grouping
    params = []
    # In id order: workers committing batches side by side then lock the issues they
    # share in the same order, instead of deadlocking (seen with 2+ workers on PostgreSQL).
    for issue_id, evs in sorted(by_issue.items()):
        newest = max(evs, key=lambda e: e.timestamp)
        with_release = sorted((e for e in evs if e.release), key=lambda e: e.timestamp)
        releases = [e.release for e in with_release if e.release]
        params.append(
            {
                "b_id": issue_id,
                "b_n": len(evs),
                "b_users": new_users.get(issue_id, 0),
                "b_first": min(e.timestamp for e in evs),
                "b_last": newest.timestamp,
                "b_first_release": releases[0][:250] if releases else None,
                "b_last_release": releases[-1][:250] if releases else None,
                "b_release_ts": with_release[-1].timestamp if with_release else 0.0,
                "b_title": latest_grouping[issue_id].title[:512],
                "b_culprit": (latest_grouping[issue_id].culprit or "")[:512] or None,
                "b_level": newest.level.value,
            }
        )
    c = issues.c
    # Typed parameters: PostgreSQL cannot infer a type for "$1 IS NULL" on its own.
    first_release = bindparam("b_first_release", type_=String)
    last_release = bindparam("b_last_release", type_=String)
    first = bindparam("b_first", type_=Float)
    last = bindparam("b_last", type_=Float)
    release_ts = bindparam("b_release_ts", type_=Float)
    # Title, culprit, level and last release follow the newest event; a late event
    # older than the issue's last_seen changes counters only.  (SET sees old values.)
    newer = last >= c.last_seen
    conn.execute(
        update(issues)
        .where(c.id == bindparam("b_id"))
        .values(
            times_seen=c.times_seen + bindparam("b_n"),
            users_seen=c.users_seen + bindparam("b_users"),
            first_seen=case((c.first_seen > first, first), else_=c.first_seen),
            last_seen=case((c.last_seen < last, last), else_=c.last_seen),
            first_release=case((c.first_release.is_(None), first_release), else_=c.first_release),
            last_release=case(
                (and_(last_release.is_not(None), release_ts >= c.last_seen), last_release),
                else_=c.last_release,
            ),
            title=case((newer, bindparam("b_title", type_=String)), else_=c.title),
            culprit=case((newer, bindparam("b_culprit", type_=String)), else_=c.culprit),
            level=case((newer, bindparam("b_level", type_=String)), else_=c.level),
        ),
        params,
    )


def _upsert_hourly(conn: Connection, by_issue: dict[int, list[Event]]) -> None:
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for issue_id, evs in by_issue.items():
        for e in evs:
            counts[(issue_id, int(e.timestamp // 3600))] += 1
    add_hourly_counts(conn, counts)


def add_hourly_counts(conn: Connection, counts: dict[tuple[int, int], int]) -> None:
    """Add ``{(issue_id, hour): n}`` to the per-hour history (n may be negative)."""
    if not counts:
        return
    stmt = upsert(conn, issue_hourly)
    stmt = stmt.on_conflict_do_update(
        index_elements=["issue_id", "hour"],
        set_={"count": issue_hourly.c.count + stmt.excluded.count},
    )
    conn.execute(
        stmt, [{"issue_id": i, "hour": h, "count": n} for (i, h), n in sorted(counts.items())]
    )


def _index_text(
    conn: Connection,
    batch: list[ProcessedEvent],
    issue_of_hash: dict[tuple[int, str], int],
    new_issue_ids: list[int],
) -> None:
    texts: dict[int, list[str]] = defaultdict(list)
    for p in batch:
        issue_id = issue_of_hash[(p.event.project_id, p.grouping.hash)]
        g = p.grouping
        texts[issue_id].extend(event_texts(p.event, g.title, g.culprit, event_facets(p.event)))
    add_texts(conn, texts, new_issue_ids)


def _upsert_tags(conn: Connection, by_issue: dict[int, list[Event]]) -> None:
    agg: dict[tuple[int, str, str], TagCount] = {}
    for issue_id, evs in by_issue.items():
        for e in evs:
            for key, value in event_facets(e):
                k = (issue_id, key[:200], str(value)[:200])
                cur = agg.get(k)
                agg[k] = (
                    (1, e.timestamp, e.timestamp)
                    if cur is None
                    else (cur[0] + 1, min(cur[1], e.timestamp), max(cur[2], e.timestamp))
                )
    add_tag_counts(conn, agg)


TagCount = tuple[int, float, float]  # times seen, first seen, last seen


def add_tag_counts(conn: Connection, agg: dict[tuple[int, str, str], TagCount]) -> None:
    """Add ``{(issue_id, key, value): (n, first, last)}`` to the per-issue tag counts."""
    if not agg:
        return
    stmt = upsert(conn, issue_tags)
    c = issue_tags.c
    stmt = stmt.on_conflict_do_update(
        index_elements=["issue_id", "key", "value"],
        set_={
            "times_seen": c.times_seen + stmt.excluded.times_seen,
            "first_seen": case(
                (c.first_seen > stmt.excluded.first_seen, stmt.excluded.first_seen),
                else_=c.first_seen,
            ),
            "last_seen": case(
                (c.last_seen < stmt.excluded.last_seen, stmt.excluded.last_seen),
                else_=c.last_seen,
            ),
        },
    )
    conn.execute(
        stmt,
        [
            {
                "issue_id": i,
                "key": k,
                "value": v,
                "times_seen": int(n),
                "first_seen": first,
                "last_seen": last,
            }
            for (i, k, v), (n, first, last) in sorted(agg.items())
        ],
    )
