"""A named lease, so that a periodic job runs in one worker at a time however many
run: the first to take ``name`` holds it until ``until``, and renews it while alive."""

from __future__ import annotations

from sqlalchemy import Connection, delete

from faultbox.store.dialect import upsert
from faultbox.store.schema import job_leases


def take(conn: Connection, name: str, owner: str, now: float, seconds: float) -> bool:
    """True when ``owner`` holds the lease for the next ``seconds`` (taken or renewed)."""
    statement = upsert(conn, job_leases).values(name=name, owner=owner, until=now + seconds)
    # RETURNING, not rowcount: drivers disagree on rowcount for an upsert that skips.
    taken = conn.execute(
        statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"owner": owner, "until": now + seconds},
            where=(job_leases.c.until < now) | (job_leases.c.owner == owner),
        ).returning(job_leases.c.owner)
    )
    return taken.first() is not None


def give_up(conn: Connection, name: str, owner: str) -> None:
    conn.execute(delete(job_leases).where(job_leases.c.name == name, job_leases.c.owner == owner))
