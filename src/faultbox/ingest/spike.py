"""Spike protection: a per-minute cap on a project's events that follows the project's
own history, so that a sudden storm (a deploy that fails every request) cannot flood the
store, while normal traffic and slow growth are never capped.

    cap = max(floor, factor × baseline)

``baseline`` is the project's accepted events per minute, averaged over the 24 hours
before the one just ended (hours h-25 .. h-2 of the current hour h). The hour just
ended is left out because other processes may still be flushing its outcomes: so every
process reads the same figures and computes the same cap for the whole hour, and the
cap can only move where the minute windows begin anew anyway.

A spike raises its own baseline only by what was accepted, spread over a day: a one-hour
storm at the cap lifts the next day's cap by at most factor/24 of it, whereas traffic
that stays high for a day becomes the new normal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Engine

from faultbox.store.db import read_connection
from faultbox.store.protection import accepted_events

HOUR = 3600


@dataclass(frozen=True, slots=True)
class SpikePolicy:
    floor: int = 1000  # events per minute any project may always send
    factor: float = 10.0  # times its usual rate
    hours: int = 24  # of history averaged


class SpikeGuard:
    def __init__(self, engine: Engine, policy: SpikePolicy | None = None) -> None:
        self.engine = engine
        self.policy = policy or SpikePolicy()
        self._caps: dict[int, tuple[int, int]] = {}  # project id → (hour, cap)

    def configure(self, policy: SpikePolicy) -> None:
        self.policy = policy
        self._caps.clear()

    def cached(self, project_id: int, now: float) -> int | None:
        """This hour's cap if it has been read, else None (``cap`` would read the db)."""
        cached = self._caps.get(project_id)
        return cached[1] if cached is not None and cached[0] == int(now // HOUR) else None

    def cap(self, project_id: int, now: float) -> int:
        """Events per minute the project may send in this hour (one read per hour)."""
        hour = int(now // HOUR)
        cached = self.cached(project_id, now)
        if cached is not None:
            return cached
        policy = self.policy
        with read_connection(self.engine) as conn:
            total = accepted_events(conn, [project_id], hour - 1 - policy.hours, hour - 1)
        baseline = total / (policy.hours * 60)
        cap = max(policy.floor, math.ceil(policy.factor * baseline))
        if len(self._caps) > 10_000:  # projects come and go; keep the cache bounded
            self._caps.clear()
        self._caps[project_id] = (hour, cap)
        return cap
