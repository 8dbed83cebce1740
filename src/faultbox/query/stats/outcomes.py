"""What happened to the events sent in a window: how many were accepted, and which
were dropped, by outcome and reason (rate limits, spike protection, sampling, discarded
issues, a full queue, and what SDKs report they did not send)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from faultbox.query.stats.window import Window
from faultbox.store.protection import EVENT_CATEGORIES, accepted_events, dropped_items

HOUR = 3600


def outcome_summary(conn: Connection, project_ids: Sequence[int], window: Window) -> dict[str, Any]:
    # Outcomes are counted by the hour: the window starts at its first whole hour.
    first_hour = int(window.start // HOUR)
    dropped = dropped_items(conn, project_ids, first_hour)
    return {
        **window.json(),
        "accepted": accepted_events(conn, project_ids, first_hour),
        # Events that reached the server and were not stored (SDK reports aside).
        "dropped_total": sum(
            d["quantity"]
            for d in dropped
            if d["category"] in EVENT_CATEGORIES and d["outcome"] != "client_discard"
        ),
        "dropped": dropped,
    }
