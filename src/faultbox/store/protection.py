"""Stored protection settings (key limits, project sampling and spike protection) and
the outcome figures protection reads and shows: accepted events (the spike baseline)
and dropped ones (by outcome and reason)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from faultbox.store.errors import NotFound
from faultbox.store.schema import outcomes, project_keys, projects

# Categories the limits apply to (ingest/rate_limits.py LIMITED_CATEGORIES).
EVENT_CATEGORIES = ("error", "default", "security")
# Outcomes that mean an item was not stored although it reached us (or, for
# client_discard, the SDK's own report of what it did not send, e.g. while rate limited).
DROP_OUTCOMES = ("rate_limited", "filtered", "rejected", "invalid", "client_discard")


@dataclass(frozen=True, slots=True)
class KeyLimits:
    id: int
    label: str
    public_key: str
    is_active: bool
    rate_limit_per_minute: int | None  # None: the server's default; 0: no limit
    quota_per_day: int | None


@dataclass(frozen=True, slots=True)
class ProjectProtection:
    sample_rate: float | None  # None: every event
    spike_protection: bool


def _key_limits(row: Any) -> KeyLimits:
    return KeyLimits(
        int(row.id),
        row.label,
        row.public_key,
        bool(row.is_active),
        row.rate_limit_per_minute,
        row.quota_per_day,
    )


def key_limits_of(conn: Connection, project_id: int) -> list[KeyLimits]:
    """The project's keys with their limits, active first (as the keys page lists them)."""
    k = project_keys.c
    rows = conn.execute(
        select(k.id, k.label, k.public_key, k.is_active, k.rate_limit_per_minute, k.quota_per_day)
        .where(k.project_id == project_id)
        .order_by(k.is_active.desc(), k.id)
    )
    return [_key_limits(r) for r in rows]


def key_limits(conn: Connection, project_id: int, key_id: int) -> KeyLimits:
    # Matched in Python among the project's few keys: any integer id is safe to ask for.
    for key in key_limits_of(conn, project_id):
        if key.id == key_id:
            return key
    raise NotFound(f"no key {key_id} in this project")


def set_key_limits(
    conn: Connection, key_id: int, *, per_minute: int | None, per_day: int | None
) -> None:
    conn.execute(
        project_keys.update()
        .where(project_keys.c.id == key_id)
        .values(rate_limit_per_minute=per_minute, quota_per_day=per_day)
    )


def project_protection(conn: Connection, project_id: int) -> ProjectProtection:
    row = conn.execute(
        select(projects.c.sample_rate, projects.c.spike_protection).where(
            projects.c.id == project_id
        )
    ).first()
    if row is None:
        raise NotFound(f"no project {project_id}")
    return ProjectProtection(row.sample_rate, bool(row.spike_protection))


def set_project_protection(
    conn: Connection, project_id: int, *, sample_rate: float | None, spike_protection: bool
) -> None:
    conn.execute(
        projects.update()
        .where(projects.c.id == project_id)
        .values(sample_rate=sample_rate, spike_protection=spike_protection)
    )


def accepted_events(
    conn: Connection, project_ids: Sequence[int], first_hour: int, end_hour: int | None = None
) -> int:
    """Events accepted at ingest in hours ``[first_hour, end_hour)``."""
    if not project_ids:
        return 0
    o = outcomes.c
    where = [
        o.project_id.in_(project_ids),
        o.outcome == "accepted",
        o.category.in_(EVENT_CATEGORIES),
        o.hour >= first_hour,
    ]
    if end_hour is not None:
        where.append(o.hour < end_hour)
    total = conn.execute(select(func.coalesce(func.sum(o.quantity), 0)).where(*where))
    return int(total.scalar_one())


def dropped_items(
    conn: Connection, project_ids: Sequence[int], first_hour: int
) -> list[dict[str, Any]]:
    """What was not stored since ``first_hour``, by category, outcome and reason, the
    largest first."""
    if not project_ids:
        return []
    o = outcomes.c
    quantity = func.sum(o.quantity).label("quantity")
    rows = conn.execute(
        select(o.category, o.outcome, o.reason, quantity)
        .where(
            o.project_id.in_(project_ids),
            o.outcome.in_(DROP_OUTCOMES),
            o.hour >= first_hour,
        )
        .group_by(o.category, o.outcome, o.reason)
        .order_by(quantity.desc(), o.category, o.outcome, o.reason)
    )
    # PostgreSQL sums BIGINT into NUMERIC; the API wants plain integers.
    return [
        {"category": r.category, "outcome": r.outcome, "reason": r.reason, "quantity": int(r[3])}
        for r in rows
    ]
