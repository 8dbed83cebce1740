"""Noise control: quiet windows, the per rule and subject throttle, and suppression
while an issue is ignored or acknowledged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from faultbox.lifecycle.status import Status
from faultbox.store.schema import issues


def _clock_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def in_quiet_window(windows: Sequence[Mapping[str, str]], now: float) -> bool:
    """``[{"start": "22:00", "end": "07:00", "tz": "Europe/Paris"}]``: local times of
    day, ``start`` included and ``end`` excluded; a window past midnight wraps."""
    for window in windows:
        zone = ZoneInfo(window.get("tz", "UTC"))
        local = datetime.fromtimestamp(now, tz=UTC).astimezone(zone).time()
        start, end = _clock_time(window["start"]), _clock_time(window["end"])
        inside = start <= local < end if start <= end else (local >= start or local < end)
        if inside:
            return True
    return False


def throttled(last_fired_at: float | None, throttle_seconds: int, now: float) -> bool:
    return last_fired_at is not None and now - last_fired_at < throttle_seconds


def issue_suppression(conn: Connection, issue_id: int | None) -> str | None:
    if issue_id is None:
        return None
    row = conn.execute(
        select(issues.c.status, issues.c.acknowledged_at).where(issues.c.id == issue_id)
    ).first()
    if row is None:
        return None
    if row.status == Status.IGNORED.value:
        return "issue ignored"
    if row.acknowledged_at is not None:
        return "issue acknowledged"
    return None


def issue_severity(conn: Connection, issue_id: int | None) -> str | None:
    if issue_id is None:
        return None
    found = conn.execute(select(issues.c.severity).where(issues.c.id == issue_id)).scalar()
    return str(found) if found else None
