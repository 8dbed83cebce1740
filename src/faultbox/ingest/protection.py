"""Admission of a request's events after authentication: the project's sampling, then
the key's limits and the project's spike cap. What is dropped is counted in outcomes.

Sampling goes first: a sampled-out event is never stored, so it must not use up the
quota that stored events need. Only events are sampled and limited (the categories of
``LIMITED_CATEGORIES``); check-ins, sessions and user feedback pass.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import Engine

from faultbox import clock
from faultbox.config import Settings
from faultbox.ingest import sampling
from faultbox.ingest.outcomes import OutcomeCounter
from faultbox.ingest.rate_limits import (
    DAY,
    MINUTE,
    Quota,
    RateLimited,
    WindowCounter,
    storage_uri,
)
from faultbox.ingest.spike import SpikeGuard, SpikePolicy
from faultbox.queue.base import Kind, NewMessage
from faultbox.store.projects import KeyInfo

EVENT_KINDS = frozenset((Kind.SENTRY_EVENT, Kind.NATIVE_ERROR))


@dataclass(frozen=True, slots=True)
class Admission:
    kept: list[NewMessage]  # in the request's order
    limited: RateLimited | None  # set when events were refused by a limit


class Protection:
    def __init__(self, settings: Settings, engine: Engine, outcomes: OutcomeCounter) -> None:
        self.settings = settings
        self.outcomes = outcomes
        self.counter = WindowCounter(
            storage_uri(settings.queue_url), f"{settings.queue_name}:limits"
        )
        self.spike = SpikeGuard(engine, SpikePolicy(floor=settings.spike_floor_per_minute))

    async def aclose(self) -> None:
        await self.counter.aclose()

    def quotas(self, key: KeyInfo, now: float) -> list[Quota]:
        per_minute = _effective(key.rate_limit_per_minute, self.settings.rate_limit_per_minute)
        per_day = _effective(key.quota_per_day, self.settings.quota_per_day)
        found: list[Quota] = []
        if per_day:
            found.append(Quota("key", key.public_key, per_day, DAY, "key_quota"))
        if per_minute:
            found.append(Quota("key", key.public_key, per_minute, MINUTE, "key_rate_limit"))
        if key.spike_protection:
            cap = self.spike.cap(key.project_id, now)
            found.append(Quota("project", str(key.project_id), cap, MINUTE, "spike_protection"))
        return found

    async def admit(
        self, key: KeyInfo, messages: list[NewMessage], category: str = "error"
    ) -> Admission:
        events = [m for m in messages if m.kind in EVENT_KINDS]
        if not events:
            return Admission(messages, None)
        dropped: set[int] = set()
        sampled_out = [m for m in events if not sampling.keep(m.event_id, key.sample_rate)]
        if sampled_out:
            self.outcomes.add(key.project_id, category, "filtered", "sample_rate", len(sampled_out))
            dropped.update(id(m) for m in sampled_out)
        cost = len(events) - len(sampled_out)
        limited: RateLimited | None = None
        if cost:
            now = clock.now()
            if key.spike_protection and self.spike.cached(key.project_id, now) is None:
                # The hourly read of the project's history goes to a thread: ingest's event
                # loop serves every other request meanwhile.
                await asyncio.to_thread(self.spike.cap, key.project_id, now)
            quota = await self.counter.take(self.quotas(key, now), cost, now)
            if quota is not None:
                limited = RateLimited(quota, now)
                self.outcomes.add(key.project_id, category, "rate_limited", quota.reason, cost)
                dropped.update(id(m) for m in events)
        kept = [m for m in messages if id(m) not in dropped]
        return Admission(kept, limited)


def _effective(own: int | None, default: int) -> int:
    """The key's own limit, else the server's default; 0 means none."""
    return default if own is None else own
