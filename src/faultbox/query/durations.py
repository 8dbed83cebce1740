"""Durations as people write them in a catalogue: "45 minutes", "2.5 hours", "3 days"."""

from __future__ import annotations

from datetime import UTC, datetime


def _unit(value: float, name: str) -> str:
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} {name}" if text == "1" else f"{text} {name}s"


def human_duration(seconds: float) -> str:
    """Seconds below a minute, minutes below an hour, hours (one decimal) below two
    days, then days (one decimal)."""
    seconds = max(seconds, 0.0)
    if seconds < 60:
        return _unit(round(seconds), "second")
    if seconds < 3600:
        return _unit(round(seconds / 60), "minute")
    if seconds < 48 * 3600:
        return _unit(seconds / 3600, "hour")
    return _unit(seconds / 86400, "day")


def relative(offset: float) -> str:
    """A signed offset as "35 minutes before" / "2 hours after" / "at the same time"."""
    if abs(offset) < 1:
        return "at the same time"
    return f"{human_duration(abs(offset))} {'before' if offset < 0 else 'after'}"


def day(ts: float | None) -> str:
    """YYYY-MM-DD (UTC), the catalogue's date format; "" for no time."""
    return "" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def minute(ts: float | None) -> str:
    """YYYY-MM-DD HH:MM UTC, for timelines read by people."""
    return "" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")
