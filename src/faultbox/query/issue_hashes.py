"""The fingerprints (hashes) filed under an issue: what a user picks to unmerge."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from faultbox.query.timefmt import iso
from faultbox.store.payload import unpack
from faultbox.store.schema import events, issue_hashes

MAX_HASHES = 200


def issue_hashes_summary(conn: Connection, issue_id: int) -> list[dict[str, Any]]:
    """Each hash with its algorithm version, event count, last sighting and the
    components of its latest event (as recorded at digest time), busiest first."""
    hashes = conn.execute(
        select(issue_hashes.c.hash, issue_hashes.c.grouping_version).where(
            issue_hashes.c.issue_id == issue_id
        )
    ).all()
    counts = {
        row.grouping_hash: (int(row.n), float(row.last))
        for row in conn.execute(
            select(
                events.c.grouping_hash,
                func.count().label("n"),
                func.max(events.c.timestamp).label("last"),
            )
            .where(events.c.issue_id == issue_id)
            .group_by(events.c.grouping_hash)
        )
    }
    ordered = sorted(hashes, key=lambda h: (-counts.get(h.hash, (0, 0.0))[0], h.hash))
    out = []
    for row in ordered[:MAX_HASHES]:
        n, last = counts.get(row.hash, (0, None))
        item: dict[str, Any] = {
            "hash": row.hash,
            "grouping_version": row.grouping_version,
            "event_count": n,
            "last_seen": iso(last) if last is not None else None,
            "latest_event": None,
        }
        if n:
            item["latest_event"] = _latest_event(conn, issue_id, row.hash)
        out.append(item)
    return out


def _latest_event(conn: Connection, issue_id: int, digest: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(events.c.event_id, events.c.title, events.c.payload)
        .where(events.c.issue_id == issue_id, events.c.grouping_hash == digest)
        .order_by(events.c.timestamp.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    record = unpack(row.payload).get("grouping")
    components = record.get("components") if isinstance(record, dict) else None
    return {"event_id": row.event_id, "title": row.title, "components": components}
