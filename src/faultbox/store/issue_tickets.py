"""The ticket each ticket channel opened for an issue (alerts/dispatch.py records it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update

from faultbox.store.dialect import upsert
from faultbox.store.schema import issue_tickets


@dataclass(frozen=True, slots=True)
class TicketRow:
    issue_id: int
    channel_id: int
    provider: str
    reference: str
    url: str
    state: str  # open, closed


def ticket_for(conn: Connection, issue_id: int, channel_id: int) -> TicketRow | None:
    row = conn.execute(
        select(issue_tickets).where(
            issue_tickets.c.issue_id == issue_id, issue_tickets.c.channel_id == channel_id
        )
    ).first()
    if row is None:
        return None
    return _ticket(row)


def record_ticket(
    conn: Connection,
    *,
    issue_id: int,
    channel_id: int,
    provider: str,
    reference: str,
    url: str,
    state: str,
    now: float,
) -> None:
    statement = upsert(conn, issue_tickets).values(
        issue_id=issue_id,
        channel_id=channel_id,
        provider=provider,
        reference=reference,
        url=url,
        state=state,
        created_at=now,
        updated_at=now,
    )
    changes = {"reference": reference, "state": state, "updated_at": now}
    if url:  # a comment's answer may carry no link (GitLab's notes): keep the known one
        changes["url"] = url
    conn.execute(
        statement.on_conflict_do_update(index_elements=["issue_id", "channel_id"], set_=changes)
    )


def set_state(conn: Connection, issue_id: int, channel_id: int, state: str, now: float) -> None:
    conn.execute(
        update(issue_tickets)
        .where(issue_tickets.c.issue_id == issue_id, issue_tickets.c.channel_id == channel_id)
        .values(state=state, updated_at=now)
    )


def tickets_of_issue(conn: Connection, issue_id: int) -> list[TicketRow]:
    rows = conn.execute(
        select(issue_tickets)
        .where(issue_tickets.c.issue_id == issue_id)
        .order_by(issue_tickets.c.id)
    )
    return [_ticket(r) for r in rows]


def _ticket(row: Any) -> TicketRow:
    return TicketRow(row.issue_id, row.channel_id, row.provider, row.reference, row.url, row.state)
