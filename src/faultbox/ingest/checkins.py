"""Check a cron monitor check-in (Sentry's ``check_in`` item or the native
``POST /api/v1/monitors/{slug}/checkins``) and reduce it to the fields the digest
reads. Anything else is a ``BadRequest`` naming the field."""

from __future__ import annotations

import re
import uuid
from typing import Any

from faultbox.ingest.errors import BadRequest
from faultbox.schedules import parse_schedule

STATUSES = ("in_progress", "ok", "error")
MAX_RUNTIME_MINUTES = 40_320  # Sentry's bound: 28 days
MAX_MARGIN_MINUTES = 40_320
_SLUG_RUNS = re.compile(r"[^a-z0-9_-]+")
_HEX32 = re.compile(r"[0-9a-f]{32}")


def slugify(value: object) -> str:
    """Sentry's monitor slug: lowercase, other characters as dashes, at most 50."""
    if not isinstance(value, str):
        raise BadRequest("monitor_slug must be a string")
    slug = _SLUG_RUNS.sub("-", value.strip().lower()).strip("-")[:50].strip("-")
    if not slug:
        raise BadRequest("monitor_slug must contain a letter or digit")
    return slug


def clean_check_in(payload: object, *, slug: str | None = None) -> dict[str, Any]:
    """The check-in as the digest reads it; ``slug`` (the native URL's) wins over the
    body's ``monitor_slug``; a missing ``check_in_id`` is made up (native only: the
    SDKs always send one)."""
    if not isinstance(payload, dict):
        raise BadRequest("check-in must be a JSON object")
    monitor_slug = slugify(slug if slug is not None else payload.get("monitor_slug"))
    status = payload.get("status")
    if status not in STATUSES:
        raise BadRequest(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    check_in_id = _check_in_id(payload.get("check_in_id"))
    duration = payload.get("duration")
    if duration is not None and (
        isinstance(duration, bool)
        or not isinstance(duration, int | float)
        or not 0 <= duration < 1e9
    ):
        raise BadRequest("duration must be a number of seconds (0 or more)")
    cleaned: dict[str, Any] = {
        "monitor_slug": monitor_slug,
        "check_in_id": check_in_id,
        "status": status,
        "duration": float(duration) if duration is not None else None,
        "environment": _text(payload.get("environment"), "environment", 64),
        "release": _text(payload.get("release"), "release", 200),
    }
    config = payload.get("monitor_config")
    if config is not None:
        cleaned["monitor_config"] = clean_monitor_config(config)
    return cleaned


def clean_monitor_config(config: object) -> dict[str, Any]:
    """Sentry's ``monitor_config``: schedule, checkin_margin and max_runtime (minutes),
    timezone. Stored with the monitor's column names."""
    if not isinstance(config, dict):
        raise BadRequest("monitor_config must be an object")
    schedule = config.get("schedule")
    if not isinstance(schedule, dict):
        raise BadRequest("monitor_config.schedule must be an object with type and value")
    try:
        kind, value, unit = schedule.get("type"), schedule.get("value"), schedule.get("unit")
        parsed = parse_schedule(kind, value, unit, config.get("timezone"))
    except ValueError as error:
        raise BadRequest(f"monitor_config: {error}") from None
    return {
        "schedule_type": parsed.type,
        "schedule": parsed.value,
        "timezone": parsed.timezone,
        "checkin_margin_minutes": _minutes(config, "checkin_margin", 1, MAX_MARGIN_MINUTES),
        "max_runtime_minutes": _minutes(config, "max_runtime", 30, MAX_RUNTIME_MINUTES),
    }


def _check_in_id(value: object) -> str:
    if value is None:
        return uuid.uuid4().hex
    text = value.replace("-", "").lower() if isinstance(value, str) else ""
    if _HEX32.fullmatch(text) is None:
        raise BadRequest("check_in_id must be a UUID")
    return text


def _text(value: object, name: str, limit: int) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    if len(value) > limit:
        raise BadRequest(f"{name} is longer than {limit} characters")
    return value


def _minutes(config: dict[str, Any], key: str, default: int, limit: int) -> int:
    value = config.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequest(f"monitor_config.{key} must be a whole number of minutes")
    if not 1 <= value <= limit or value != int(value):
        raise BadRequest(f"monitor_config.{key} must be a whole number from 1 to {limit} minutes")
    return int(value)
