"""Mean time to resolve and to detect, from the activity log: the durations that
end in the current window and in the one before it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, exists, func, null, or_, select, union_all

from faultbox.lifecycle.status import FIXED, Status
from faultbox.query.stats.window import Window
from faultbox.store.schema import issue_activity, issues

_FIXED = frozenset(s.value for s in FIXED)
# Every kind the log holds (store/activity.py fixes them). Listing them lets the
# (project_id, kind, created_at) index read just the window's entries.
ACTIVITY_KINDS = (
    "created",
    "status",
    "severity",
    "taxonomy",
    "assignee",
    "catalogue",
    "release",
    "regression",
    "unignored",
    "comment",
    "merge",
    "unmerge",
    "pattern",
    "incident",
    "discard",
)


@dataclass(slots=True)
class Durations:
    """Seconds, by the window the duration ended in."""

    current: list[float] = field(default_factory=list)
    previous: list[float] = field(default_factory=list)

    def add(self, window: Window, ended: float, seconds: float) -> None:
        if window.start <= ended < window.end:
            self.current.append(max(0.0, seconds))
        elif window.previous_start <= ended < window.start:
            self.previous.append(max(0.0, seconds))


def resolution_times(conn: Connection, project_ids: Sequence[int], window: Window) -> Durations:
    """From the start of each resolved cycle to its resolution (a status change to
    resolved), for the resolutions in either window. A cycle starts at the issue's
    first_seen, or at the latest regression (or reopening of a fixed issue by hand)
    before the resolution."""
    r = issue_activity.alias("r")
    x = issue_activity.alias("x")
    reopened = or_(
        x.c.kind == "regression",
        and_(x.c.kind == "status", x.c.old_value.in_(_FIXED), x.c.new_value.not_in(_FIXED)),
    )
    last_reopening = (
        select(func.max(x.c.created_at))
        .where(x.c.issue_id == r.c.issue_id, x.c.created_at < r.c.created_at, reopened)
        .scalar_subquery()
    )
    rows = conn.execute(
        select(r.c.created_at, func.coalesce(last_reopening, issues.c.first_seen))
        .join(issues, issues.c.id == r.c.issue_id)
        .where(
            r.c.project_id.in_(project_ids),
            r.c.kind == "status",
            r.c.new_value == Status.RESOLVED.value,
            r.c.created_at >= window.previous_start,
            r.c.created_at < window.end,
        )
    )
    durations = Durations()
    for resolved, started in rows:
        durations.add(window, resolved, resolved - started)
    return durations


def detection_times(conn: Connection, project_ids: Sequence[int], window: Window) -> Durations:
    """From first_seen to the first human action on the issue: its first activity
    entry made by a user, or acknowledged_at if earlier (or if the log has none),
    for the issues first acted on in either window."""
    a = issue_activity.c
    i = issues.c
    # The windows' user entries, read through the (project_id, kind, created_at) index.
    first_entry = (
        select(a.issue_id, func.min(a.created_at).label("at"))
        .where(
            a.project_id.in_(project_ids),
            a.kind.in_(ACTIVITY_KINDS),
            a.created_at >= window.previous_start,
            a.created_at < window.end,
            a.user_id.is_not(None),
        )
        .group_by(a.issue_id)
        .cte("first_entry")
    )
    x = issue_activity.alias("x")
    not_acted_before = ~exists().where(
        x.c.issue_id == i.id, x.c.created_at < window.previous_start, x.c.user_id.is_not(None)
    )
    with_entry = (
        select(i.first_seen, i.acknowledged_at, first_entry.c.at)
        .join(first_entry, first_entry.c.issue_id == i.id)
        .where(not_acted_before)
    )
    # Acknowledged in the windows without a user entry there (imported data, say).
    acknowledged_only = select(i.first_seen, i.acknowledged_at, null()).where(
        i.project_id.in_(project_ids),
        i.acknowledged_at >= window.previous_start,
        i.acknowledged_at < window.end,
        i.id.not_in(select(first_entry.c.issue_id)),
        not_acted_before,
    )
    durations = Durations()
    for first_seen, acknowledged, entry in conn.execute(union_all(with_entry, acknowledged_only)):
        acted = min(t for t in (acknowledged, entry) if t is not None)
        durations.add(window, acted, acted - first_seen)
    return durations
