"""Per-project sampling: keep a share of the events, decided by the event id.

The decision hashes the id instead of drawing a random number, so an SDK that resends
an event (after a lost answer) gets the same decision, and every server process behind
a load balancer decides the same way. Ids are hashed because clients may choose
non-random ids (the native API's ``eventId``), whose digits would not spread evenly.
"""

from __future__ import annotations

import hashlib

_SPACE = float(2**64)


def keep(event_id: str, sample_rate: float | None) -> bool:
    """True if the event is kept at ``sample_rate`` (None or 1.0: every event)."""
    if sample_rate is None or sample_rate >= 1.0:
        return True
    if sample_rate <= 0.0:
        return False
    digest = hashlib.blake2b(event_id.lower().encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SPACE < sample_rate
