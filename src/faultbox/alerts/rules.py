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
}
_CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "threshold": {"group_by": ("stream", "issue", "user")},
    "spike": {"baseline": ("seasonal", "flat")},
}


def validate(
    condition: str,
    params: Mapping[str, Any],
    *,
    filter: str = "",
    severity: str | None = None,
    targets: Mapping[str, Sequence[int]] | None = None,
    quiet_windows: Sequence[Mapping[str, str]] = (),
    throttle_seconds: int = 0,
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
        else:
            raise ValueError(f"{condition} does not take {key!r}")
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
