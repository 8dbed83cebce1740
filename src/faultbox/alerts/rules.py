"""Check a rule before it is stored (the API and the dashboard call this): a known
condition with sensible parameters, a filter the issue search understands, a
severity, targets and quiet windows in the expected shapes. Raises ``ValueError``
with a message meant for the person writing the rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from faultbox.alerts.conditions import evaluators
from faultbox.lifecycle.severity import SEVERITIES
from faultbox.query.search import SearchQuery, SearchSyntaxError

# The numeric parameters each condition reads, and the smallest value each accepts.
_NUMBERS: dict[str, dict[str, float]] = {
    "new_issue": {"lookback": 1},
    "regression": {"lookback": 1},
    "threshold": {"count": 0, "window": 1, "issue_id": 1},
    "per_user": {"count": 0, "window": 1},
    "spike": {"window": 1, "days": 1, "k": 0, "min_count": 0},
    "no_data": {"period": 1, "periods": 1},
    "monitor": {"lookback": 1},
    "crash_free_rate": {"threshold": 0, "window": 60, "min_sessions": 1},
}
# Text parameters: a monitor's slug, a release or environment name (max length).
_TEXTS: dict[str, dict[str, int]] = {
    "monitor": {"monitor": 64},
    "crash_free_rate": {"environment": 64, "release": 200},
}
_CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "threshold": {"group_by": ("stream", "issue", "user")},
    "spike": {"baseline": ("seasonal", "flat")},
}


def parameters(condition: str) -> list[dict[str, Any]]:
    """The parameters a condition takes, for forms: name, type (number, text or
    choice), the smallest number, the longest text or the choices."""
    found: list[dict[str, Any]] = [
        {"name": name, "type": "number", "min": low}
        for name, low in _NUMBERS.get(condition, {}).items()
    ]
    found += [
        {"name": name, "type": "text", "max_length": size}
        for name, size in _TEXTS.get(condition, {}).items()
    ]
    found += [
        {"name": name, "type": "choice", "choices": list(options)}
        for name, options in _CHOICES.get(condition, {}).items()
    ]
    return found


def validate(
    condition: str,
    params: Mapping[str, Any],
    *,
    filter: str = "",
    severity: str | None = None,
    targets: Mapping[str, Sequence[int]] | None = None,
    quiet_windows: Sequence[Mapping[str, str]] = (),
    throttle_seconds: int = 0,
    escalation: Sequence[Mapping[str, Any]] = (),
) -> None:
    if condition not in evaluators():
        raise ValueError(f"unknown condition {condition!r}; one of {', '.join(evaluators())}")
    numbers, choices = _NUMBERS[condition], _CHOICES.get(condition, {})
    for key, value in params.items():
        if key in numbers:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key} must be a number")
            if value < numbers[key]:
                raise ValueError(f"{key} must be at least {numbers[key]:g}")
        elif key in choices:
            if value not in choices[key]:
                raise ValueError(f"{key} must be one of {', '.join(choices[key])}")
        elif key in _TEXTS.get(condition, {}):
            if not isinstance(value, str) or not 0 < len(value) <= _TEXTS[condition][key]:
                raise ValueError(f"{key} must be a text of 1–{_TEXTS[condition][key]} characters")
        else:
            raise ValueError(f"{condition} does not take {key!r}")
    if condition == "crash_free_rate" and float(params.get("threshold", 0)) > 100:
        raise ValueError("threshold is a percentage: at most 100")
    try:
        SearchQuery.parse(filter)
    except SearchSyntaxError as error:
        raise ValueError(f"filter: {error}") from error
    if severity is not None and severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}")
    for level, channels in (targets or {}).items():
        if level != "*" and level not in SEVERITIES:
            raise ValueError(f"targets: {level!r} is not a severity (or '*')")
        if not all(isinstance(c, int) and not isinstance(c, bool) for c in channels):
            raise ValueError("targets: channel ids must be integers")
    for window in quiet_windows:
        _quiet_window(window)
    if throttle_seconds < 0:
        raise ValueError("throttle_seconds must not be negative")
    _escalation(escalation)


MAX_ESCALATION_LEVELS = 5


def _escalation(levels: Sequence[Mapping[str, Any]]) -> None:
    """Who is paged next while an incident stays unacknowledged: at most 5 levels, each
    ``after_minutes`` (≥ 1) since the previous one, with at least one channel."""
    if len(levels) > MAX_ESCALATION_LEVELS:
        raise ValueError(f"escalation: at most {MAX_ESCALATION_LEVELS} levels")
    for number, level in enumerate(levels, 1):
        if not isinstance(level, Mapping) or set(level) - {"after_minutes", "channels"}:
            raise ValueError(f"escalation level {number}: only after_minutes and channels")
        after = level.get("after_minutes")
        if isinstance(after, bool) or not isinstance(after, int) or after < 1:
            raise ValueError(f"escalation level {number}: after_minutes must be an integer ≥ 1")
        channels = level.get("channels")
        if not isinstance(channels, list | tuple) or not channels:
            raise ValueError(f"escalation level {number}: channels must name at least one channel")
        if not all(isinstance(c, int) and not isinstance(c, bool) for c in channels):
            raise ValueError(f"escalation level {number}: channel ids must be integers")


def _quiet_window(window: Mapping[str, str]) -> None:
    for key in ("start", "end"):
        text = window.get(key, "")
        hours, _, minutes = text.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError(f"quiet window {key} must be HH:MM, not {text!r}")
    try:
        ZoneInfo(window.get("tz", "UTC"))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {window.get('tz')!r}") from error
