"""When a cron or heartbeat monitor expects its next check-in.

A schedule is Sentry's: a crontab (five fields, or a nickname such as ``@daily``)
read in the monitor's time zone, or an interval (``10 minute``) counted from the
last check-in. Crontabs go through ``cronsim`` (Healthchecks.io's parser): across a
daylight-saving change a time that does not exist runs at the first minute after
the gap and a time that happens twice runs once, as cron does.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

SCHEDULE_TYPES = ("crontab", "interval")
INTERVAL_UNITS = ("minute", "hour", "day", "week", "month", "year")
_NICKNAMES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_SECONDS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
_MAX_INTERVAL = 10_000  # more than enough for any unit; keeps month arithmetic bounded


@dataclass(frozen=True, slots=True)
class Schedule:
    type: str  # crontab, interval
    value: str  # "0 * * * *" (nicknames expanded) or "10 minute"
    timezone: str = "UTC"

    def next_after(self, at: float) -> float:
        """The first expected time strictly after ``at`` (epoch seconds).

        A crontab's next tick after ``at``; an interval's ``at`` plus one interval
        (months and years keep the day of month, clamped to the month's last day)."""
        zone = ZoneInfo(self.timezone)
        if self.type == "crontab":
            start = datetime.fromtimestamp(at, zone)
            return next(CronSim(self.value, start)).timestamp()
        count_text, _, unit = self.value.partition(" ")
        count = int(count_text)
        if unit in _SECONDS:
            return at + count * _SECONDS[unit]
        months = count * (12 if unit == "year" else 1)
        local = datetime.fromtimestamp(at, zone)
        year, month = divmod(local.month - 1 + months, 12)
        year += local.year
        day = min(local.day, calendar.monthrange(year, month + 1)[1])
        return local.replace(year=year, month=month + 1, day=day).timestamp()

    def describe(self) -> str:
        if self.type == "interval":
            count, _, unit = self.value.partition(" ")
            return f"every {count} {unit}{'' if count == '1' else 's'}"
        zone = "" if self.timezone == "UTC" else f" ({self.timezone})"
        return f"{self.value}{zone}"


def parse_schedule(
    kind: object, value: object, unit: object = None, timezone: object = None
) -> Schedule:
    """Check a schedule as Sentry's ``monitor_config`` gives it; ``ValueError`` says
    what is wrong. An interval's value is a count with ``unit`` beside it, or the
    stored ``"<count> <unit>"`` text."""
    zone = "UTC" if timezone is None or timezone == "" else timezone
    if not isinstance(zone, str):
        raise ValueError("timezone must be a string such as 'Europe/Berlin'")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {zone!r}") from None
    if kind == "crontab":
        return Schedule("crontab", _crontab(value), zone)
    if kind == "interval":
        return Schedule("interval", _interval(value, unit), zone)
    raise ValueError(f"schedule type must be one of {', '.join(SCHEDULE_TYPES)}")


def _crontab(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a crontab schedule needs a value such as '0 * * * *'")
    text = " ".join(value.split())
    text = _NICKNAMES.get(text.lower(), text)
    if len(text.split(" ")) != 5:
        raise ValueError(f"crontab {value!r} must have five fields (minute hour day month weekday)")
    try:
        next(CronSim(text, datetime(2000, 1, 1, tzinfo=UTC)))
    except (CronSimError, StopIteration) as error:
        raise ValueError(f"crontab {value!r}: {error}") from None
    return text


def _interval(value: object, unit: object) -> str:
    if isinstance(value, str) and unit is None:
        count_text, _, unit = value.partition(" ")
        value = int(count_text) if count_text.isdigit() else value
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _MAX_INTERVAL:
        raise ValueError(f"an interval schedule's value must be a whole number 1–{_MAX_INTERVAL}")
    if unit not in INTERVAL_UNITS:
        raise ValueError(f"interval unit must be one of {', '.join(INTERVAL_UNITS)}")
    return f"{value} {unit}"


def clock_text(at: float | None, timezone: str = "UTC") -> str:
    """A moment in the monitor's zone, for pages and explanations."""
    if at is None:
        return "—"
    local = datetime.fromtimestamp(at, ZoneInfo(timezone))
    return local.strftime("%Y-%m-%d %H:%M %Z")
