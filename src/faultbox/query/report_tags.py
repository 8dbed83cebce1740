"""Tag values over-represented in one issue compared with its whole project.

For a tag key ``k`` and value ``v`` (event tags and the facets the digest counts:
environment, release, service, level) the per-issue counts in ``issue_tags`` give

    issue share   = n(issue, k=v)   / n(issue, k=*)
    project share = n(project, k=v) / n(project, k=*)
    lift          = issue share / project share

where ``n(project, …)`` sums ``issue_tags`` over every issue of the project (this
one included) and ``k=*`` counts the events that carry the key at all. Dividing by
the events carrying the key, not by all events, keeps a key that only some events
have (``browser`` on a backend-and-frontend project) from looking over-represented
merely because this issue's events are the ones that carry it.

A value is reported when it was seen in at least :data:`MIN_EVENTS` of the issue's
events and in at least :data:`MIN_SHARE` of those carrying the key (minimum
support: a rare value's lift is noise), and its lift is at least :data:`MIN_LIFT`.
The :data:`LIMIT` best are returned, highest lift first, then most events.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select, tuple_

from faultbox.store.schema import issue_tags, issues

MIN_EVENTS = 5
MIN_SHARE = 0.2
MIN_LIFT = 1.5
LIMIT = 10
_MAX_PAIRS = 2000  # bounds the project lookup for an issue with very many tag values


def percent(share: float) -> str:
    """92% / 0.4% / 100%: whole percents, one decimal below 1%."""
    value = share * 100
    return f"{value:.1f}%" if 0 < value < 1 else f"{value:.0f}%"


def tag_outliers(conn: Connection, issue_id: int, project_id: int) -> list[dict[str, Any]]:
    t = issue_tags.c
    own = conn.execute(
        select(t.key, t.value, t.times_seen)
        .where(t.issue_id == issue_id)
        .order_by(t.times_seen.desc())
        .limit(_MAX_PAIRS)
    ).all()
    if not own:
        return []
    issue_key_totals: dict[str, int] = {}
    for key, _value, seen in own:
        issue_key_totals[key] = issue_key_totals.get(key, 0) + int(seen)
    candidates = [
        (key, value, int(seen))
        for key, value, seen in own
        if seen >= MIN_EVENTS and seen / issue_key_totals[key] >= MIN_SHARE
    ]
    if not candidates:
        return []
    in_project = issues.c.project_id == project_id
    joined = issue_tags.join(issues, issues.c.id == t.issue_id)
    value_rows = conn.execute(
        select(t.key, t.value, func.sum(t.times_seen))
        .select_from(joined)
        .where(in_project, tuple_(t.key, t.value).in_([(k, v) for k, v, _ in candidates]))
        .group_by(t.key, t.value)
    ).all()
    project_values = {(k, v): int(n) for k, v, n in value_rows}
    keys = sorted({k for k, _, _ in candidates})
    key_rows = conn.execute(
        select(t.key, func.sum(t.times_seen))
        .select_from(joined)
        .where(in_project, t.key.in_(keys))
        .group_by(t.key)
    ).all()
    project_key_totals = {k: int(n) for k, n in key_rows}
    found = []
    for key, value, seen in candidates:
        issue_share = seen / issue_key_totals[key]
        project_share = project_values[(key, value)] / project_key_totals[key]
        lift = issue_share / project_share
        if lift < MIN_LIFT:
            continue
        found.append(
            {
                "key": key,
                "value": value,
                "issue_count": seen,
                "issue_share": round(issue_share, 4),
                "project_count": project_values[(key, value)],
                "project_share": round(project_share, 4),
                "lift": round(lift, 2),
                "summary": (
                    f"{percent(issue_share)} of events: {key}={value} "
                    f"({percent(project_share)} in the project)"
                ),
            }
        )
    found.sort(key=lambda o: (-o["lift"], -o["issue_count"], o["key"], o["value"]))
    return found[:LIMIT]
