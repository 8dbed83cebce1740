"""Read models for issues: the list with filters and keyset pagination, and the detail."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, case, exists, or_, select

from faultbox import clock
from faultbox.lifecycle.severity import SEVERITIES
from faultbox.lifecycle.status import OPEN, Status
from faultbox.query.cursor import BadCursor, decode_cursor_values, encode_cursor
from faultbox.query.markdown import render
from faultbox.query.overdue import overdue_clause, severity_json
from faultbox.query.patterns import patterns_of_issue
from faultbox.query.search import SearchQuery
from faultbox.query.timefmt import iso
from faultbox.store.issue_state import CATALOGUE_FIELDS, user_email
from faultbox.store.schema import issue_hourly, issue_redirects, issue_tags, issues, projects

# P0 first, an issue without severity after P3.
_SEVERITY_RANK = case(
    *((issues.c.severity == s, rank) for rank, s in enumerate(SEVERITIES)), else_=len(SEVERITIES)
)
# Each sort: (expression, descending) pairs, then the id (descending) breaks ties.
SORTS: dict[str, tuple[tuple[Any, bool], ...]] = {
    "last_seen": ((issues.c.last_seen, True),),
    "first_seen": ((issues.c.first_seen, True),),
    "times_seen": ((issues.c.times_seen, True),),
    "events": ((issues.c.times_seen, True),),  # Sentry's name for it
    "users": ((issues.c.users_seen, True),),
    "severity": ((_SEVERITY_RANK, False), (issues.c.last_seen, True)),
}
# Every lifecycle status, plus "unresolved": any open one (as in Sentry's is:unresolved).
STATUSES = ("unresolved", *(s.value for s in Status))
LEVELS = ("debug", "info", "warning", "error", "fatal")


@dataclass(frozen=True)
class IssueFilters:
    status: str | None = None
    level: str | None = None
    environment: str | None = None
    release: str | None = None
    service: str | None = None
    since: float | None = None
    until: float | None = None
    severity: str | None = None  # P0..P3
    overdue: bool | None = None  # past the response target, unacknowledged (at clock.now())
    search: SearchQuery | None = None  # the search language (query/search/), parsed


def _facet(key: str, value: str) -> Any:
    return exists().where(
        issue_tags.c.issue_id == issues.c.id, issue_tags.c.key == key, issue_tags.c.value == value
    )


def _filtered(query: Any, project_id: int, filters: IssueFilters, dialect: str) -> Any:
    query = query.where(issues.c.project_id == project_id)
    if filters.status == "unresolved":
        query = query.where(issues.c.status.in_(sorted(OPEN)))
    elif filters.status:
        query = query.where(issues.c.status == filters.status)
    if filters.level:
        query = query.where(issues.c.level == filters.level)
    if filters.severity:
        query = query.where(issues.c.severity == filters.severity)
    if filters.overdue is not None:
        query = query.where(overdue_clause(clock.now(), filters.overdue))
    for key in ("environment", "release", "service"):
        value = getattr(filters, key)
        if value:
            query = query.where(_facet(key, value))
    if filters.since is not None:
        query = query.where(issues.c.last_seen >= filters.since)
    if filters.until is not None:
        query = query.where(issues.c.first_seen <= filters.until)
    if filters.search is not None:
        query = query.where(*filters.search.conditions(dialect))
    return query


def matching_issue_ids(
    conn: Connection,
    project_id: int,
    filters: IssueFilters,
    *,
    ids: list[int] | None = None,
    limit: int = 1000,
) -> list[int]:
    """The ids of the project's issues that match (within ``ids`` when given)."""
    query = _filtered(select(issues.c.id), project_id, filters, conn.dialect.name)
    if ids is not None:
        query = query.where(issues.c.id.in_(sorted({i for i in ids if 0 < i < 2**63})))
    rows = conn.execute(query.order_by(issues.c.id).limit(limit)).scalars()
    return [int(i) for i in rows]


def list_issues(
    conn: Connection,
    project_id: int,
    filters: IssueFilters,
    *,
    sort: str = "last_seen",
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], str | None]:
    keys = SORTS[sort]
    labels = [f"sort_{n}" for n in range(len(keys))]
    query = _filtered(
        _issue_select().add_columns(
            *(e.label(name) for (e, _), name in zip(keys, labels, strict=True))
        ),
        project_id,
        filters,
        conn.dialect.name,
    )
    at = decode_cursor_values(cursor, len(keys)) if cursor else None
    rows: list[Any]
    if sort == "severity":
        rows = _by_severity(conn, query, at, limit + 1)
    else:
        if at is not None:
            query = query.where(_after(keys, *at))
        order = [e.desc() if descending else e.asc() for e, descending in keys]
        rows = list(conn.execute(query.order_by(*order, issues.c.id.desc()).limit(limit + 1)))
    page = [dict(r._mapping) for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        values = [last[name] for name in labels]
        next_cursor = encode_cursor(values[0] if len(values) == 1 else values, last["id"])
    return [issue_json(r) for r in page], next_cursor


def _by_severity(
    conn: Connection, query: Any, at: tuple[list[object], int] | None, wanted: int
) -> list[Any]:
    """The severity order read one severity at a time (P0 … P3, then none), each in
    last_seen order from ``ix_issues_project_id_severity_last_seen``: page 100 costs
    what page 1 does, where ordering by the rank expression would sort every issue
    of the project for each page."""
    c = issues.c
    first, after = 0, None
    if at is not None:
        (rank, last_seen), last_id = at
        if type(rank) is not int or not 0 <= rank <= len(SEVERITIES):
            raise BadCursor("malformed cursor; use the next_cursor value of a previous page")
        first, after = rank, (last_seen, last_id)
    rows: list[Any] = []
    for rank in range(first, len(SEVERITIES) + 1):
        bucket = query.where(
            c.severity == SEVERITIES[rank] if rank < len(SEVERITIES) else c.severity.is_(None)
        )
        if after is not None and rank == first:
            seen, last_id = after
            bucket = bucket.where(
                or_(c.last_seen < seen, and_(c.last_seen == seen, c.id < last_id))
            )
        order = (c.last_seen.desc(), c.id.desc())
        rows += conn.execute(bucket.order_by(*order).limit(wanted - len(rows))).all()
        if len(rows) >= wanted:
            break
    return rows


def _after(keys: tuple[tuple[Any, bool], ...], values: list[object], last_id: int) -> Any:
    """Keyset: the rows after the cursor's row in the sort order (lexicographic over
    the sort keys, then the id), whatever each key's direction."""
    branches = []
    for n in range(len(keys) + 1):
        equal = [e == v for (e, _), v in zip(keys[:n], values[:n], strict=True)]
        if n < len(keys):
            expression, descending = keys[n]
            beyond = expression < values[n] if descending else expression > values[n]
        else:
            beyond = issues.c.id < last_id
        branches.append(and_(*equal, beyond))
    return or_(*branches)


def _issue_select() -> Any:
    return select(issues, projects.c.slug.label("project_slug")).join(
        projects, projects.c.id == issues.c.project_id
    )


def issue_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "short_id": f"ERR-{row['short_id']}",
        "project": row["project_slug"],
        "title": row["title"],
        "culprit": row["culprit"],
        "level": row["level"],
        "status": row["status"],
        "platform": row["platform"],
        "first_seen": iso(row["first_seen"]),
        "last_seen": iso(row["last_seen"]),
        "count": row["times_seen"],
        "user_count": row["users_seen"],
        "first_release": row["first_release"],
        "last_release": row["last_release"],
        "grouping_version": row["grouping_version"],
        **_lifecycle_json(row),
        **severity_json(row, clock.now()),
    }


def _lifecycle_json(row: dict[str, Any]) -> dict[str, Any]:
    ignored = row["status"] == Status.IGNORED
    return {
        "status_changed_at": iso(row["status_changed_at"]),
        "assignee_id": row["assignee_id"],
        "acknowledged_at": iso(row["acknowledged_at"]),
        "resolved_at": iso(row["resolved_at"]),
        "resolved_in_release": row["resolved_in_release"],
        "resolve_in_next_release": bool(row["resolve_in_next_release"]),
        "is_regression": bool(row["is_regression"]),
        "regressed_at": iso(row["regressed_at"]),
        # Set: new events are counted but not stored (lifecycle/discard.py).
        "discarded_at": iso(row["discarded_at"]),
        "ignore": {
            "until": iso(row["ignore_until"]),
            "until_count": row["ignore_until_count"],
            "until_users": row["ignore_until_users"],
        }
        if ignored
        else None,
    }


def redirect_target(conn: Connection, issue_id: int) -> int | None:
    """The issue a merged issue went into (None when it was not merged away)."""
    target = conn.execute(
        select(issue_redirects.c.target_id).where(issue_redirects.c.issue_id == issue_id)
    ).scalar()
    return int(target) if target is not None else None


def get_issue(conn: Connection, issue_id: int) -> dict[str, Any] | None:
    row = conn.execute(_issue_select().where(issues.c.id == issue_id)).first()
    if row is None:
        return None
    data = issue_json(dict(row._mapping))
    data["project_id"] = row.project_id
    now_hour = int(time.time() // 3600)
    hourly = conn.execute(
        select(issue_hourly.c.hour, issue_hourly.c.count).where(
            issue_hourly.c.issue_id == issue_id, issue_hourly.c.hour > now_hour - 24 * 14
        )
    ).all()
    counts = {int(h): int(c) for h, c in hourly}
    data["stats"] = {
        "24h": [[iso(h * 3600), counts.get(h, 0)] for h in range(now_hour - 23, now_hour + 1)],
        "14d": _daily(counts, now_hour),
    }
    tags = conn.execute(
        select(issue_tags.c.key, issue_tags.c.value, issue_tags.c.times_seen)
        .where(issue_tags.c.issue_id == issue_id)
        .order_by(issue_tags.c.key, issue_tags.c.times_seen.desc())
    ).all()
    breakdown: dict[str, list[dict[str, Any]]] = {}
    for key, value, seen in tags:
        values = breakdown.setdefault(key, [])
        if len(values) < 10:
            values.append({"value": value, "count": seen})
    data["tags"] = breakdown
    data["assignee"] = user_email(conn, row.assignee_id)
    data["catalogue"] = {
        name: {"markdown": getattr(row, name), "html": render(getattr(row, name))}
        for name in CATALOGUE_FIELDS
    }
    data["patterns"] = patterns_of_issue(conn, issue_id)
    return data


def _daily(hourly: dict[int, int], now_hour: int) -> list[list[Any]]:
    today = now_hour // 24
    days = {d: 0 for d in range(today - 13, today + 1)}
    for hour, count in hourly.items():
        if hour // 24 in days:
            days[hour // 24] += count
    return [[iso(d * 86400), n] for d, n in days.items()]
