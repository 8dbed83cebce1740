"""Public key → project, cached: the only store lookup on the hot path."""

from __future__ import annotations

import time

from sqlalchemy import Engine

from faultbox.store.db import read_connection
from faultbox.store.projects import KeyInfo, key_lookup

_TTL = 10.0  # a revoked key stops working within this many seconds


class KeyCache:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cache: dict[str, tuple[float, KeyInfo | None]] = {}

    def lookup(self, public_key: str) -> KeyInfo | None:
        now = time.monotonic()
        hit = self._cache.get(public_key)
        if hit is not None and hit[0] > now:
            return hit[1]
        with read_connection(self.engine) as conn:
            info = key_lookup(conn, public_key)
        if len(self._cache) > 10_000:  # unknown keys must not grow the cache forever
            self._cache.clear()
        self._cache[public_key] = (now + _TTL, info)
        return info

    def invalidate(self) -> None:
        self._cache.clear()
