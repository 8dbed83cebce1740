"""When an ignored issue stops being ignored.

The PATCH side stores absolute targets (``ignore_until`` a time, ``ignore_until_count``
the ``times_seen`` to reach, ``ignore_until_users`` the ``users_seen`` to reach), so the
check needs only the issue's current counters and the clock. Any one condition met
is enough, as in Sentry; an ignore with no condition lasts until a person ends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class IgnoreState:
    until: float | None
    until_count: int | None
    until_users: int | None
    times_seen: int
    users_seen: int


def condition_met(state: IgnoreState, now: float) -> str | None:
    """Which condition ended the ignore, for the activity note (None: still ignored).
    The note starts with the condition's name: ``time``, ``count`` or ``users``."""
    if state.until is not None and now >= state.until:
        return f"time: ignored until {_iso(state.until)}, which has passed"
    if state.until_count is not None and state.times_seen >= state.until_count:
        return f"count: {state.times_seen} events reached the {state.until_count} ignored until"
    if state.until_users is not None and state.users_seen >= state.until_users:
        return f"users: {state.users_seen} users reached the {state.until_users} ignored until"
    return None


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")
