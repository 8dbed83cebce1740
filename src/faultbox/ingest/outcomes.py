"""In-memory outcome counters at the edge, flushed to the store in the background.

Counting must not cost ingest a database write per request, so the edge only
bumps a dict; the app's housekeeping task swaps it out and upserts the totals.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from faultbox.store.outcomes import OutcomeKey

# Envelope item type → Relay data category.
CATEGORY_OF_ITEM: dict[str, str] = {
    "event": "error",
    "transaction": "transaction",
    "attachment": "attachment",
    "session": "session",
    "sessions": "session",
    "user_report": "user_report_v2",
    "feedback": "feedback",
    "check_in": "monitor",
    "span": "span",
    "log": "log_item",
    "profile": "profile",
    "profile_chunk": "profile_chunk",
    "replay_event": "replay",
    "replay_recording": "replay",
    "replay_video": "replay",
    "client_report": "internal",
}


class OutcomeCounter:
    def __init__(self) -> None:
        self._counts: Counter[OutcomeKey] = Counter()
        # Since start, by (category, outcome, reason): never drained, read by /metrics.
        self._totals: Counter[tuple[str, str, str]] = Counter()
        self._lock = threading.Lock()

    def add(
        self, project_id: int, category: str, outcome: str, reason: str = "", quantity: int = 1
    ) -> None:
        if quantity <= 0:
            return
        key = (project_id, int(time.time() // 3600), category[:32], outcome, reason[:64])
        with self._lock:
            self._counts[key] += quantity
            self._totals[key[2:]] += quantity

    def drain(self) -> dict[OutcomeKey, int]:
        with self._lock:
            counts, self._counts = self._counts, Counter()
        return dict(counts)

    def totals(self) -> dict[tuple[str, str, str], int]:
        with self._lock:
            return dict(self._totals)

    def restore(self, counts: dict[OutcomeKey, int]) -> None:
        """Put counts back after a failed flush so none are lost."""
        with self._lock:
            self._counts.update(counts)
