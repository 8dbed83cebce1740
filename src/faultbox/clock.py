"""The one clock the lifecycle reads (overdue flags, ignore-until, MTTR): wall time,
unless a test pins it to replay a known timeline without sleeping."""

from __future__ import annotations

import time

_pinned: float | None = None


def now() -> float:
    return _pinned if _pinned is not None else time.time()


def pin(at: float | None) -> None:
    """Freeze the clock at ``at`` (epoch seconds); None lets it run again."""
    global _pinned
    _pinned = at


def advance(seconds: float) -> None:
    """Move a pinned clock forward."""
    if _pinned is None:
        raise RuntimeError("pin the clock before advancing it")
    pin(_pinned + seconds)
