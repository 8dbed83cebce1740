"""Outcome counters: what happened to every item, per project, hour and reason."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, func, select

from faultbox.store.dialect import upsert
from faultbox.store.schema import outcomes

OutcomeKey = tuple[int, int, str, str, str]  # project_id, hour, category, outcome, reason


def add_outcomes(conn: Connection, counts: Mapping[OutcomeKey, int]) -> None:
    if not counts:
        return
    stmt = upsert(conn, outcomes)
    stmt = stmt.on_conflict_do_update(
        index_elements=["project_id", "hour", "category", "outcome", "reason"],
        set_={"quantity": outcomes.c.quantity + stmt.excluded.quantity},
    )
    conn.execute(
        stmt,
        [
            {"project_id": p, "hour": h, "category": c, "outcome": o, "reason": r, "quantity": n}
            for (p, h, c, o, r), n in sorted(counts.items())
        ],
    )


def outcome_totals(conn: Connection, project_id: int) -> list[dict[str, object]]:
    rows = conn.execute(
        select(
            outcomes.c.category,
            outcomes.c.outcome,
            outcomes.c.reason,
            func.sum(outcomes.c.quantity).label("quantity"),
        )
        .where(outcomes.c.project_id == project_id)
        .group_by(outcomes.c.category, outcomes.c.outcome, outcomes.c.reason)
        .order_by(outcomes.c.category, outcomes.c.outcome, outcomes.c.reason)
    )
    # PostgreSQL sums BIGINT into NUMERIC; the API wants plain integers.
    return [{**r._mapping, "quantity": int(r.quantity)} for r in rows]
