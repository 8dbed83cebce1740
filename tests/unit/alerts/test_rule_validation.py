"""A rule is checked before it is stored, with messages for the person writing it."""

from __future__ import annotations

from typing import Any

import pytest

from faultbox.alerts.rules import validate


def test_valid_rules() -> None:
    validate("threshold", {"count": 5, "window": 60}, filter="service:payments level:error")
    validate("per_user", {"count": 10, "window": 3600})
    validate("spike", {"window": 3600, "days": 7, "k": 3, "min_count": 10, "baseline": "flat"})
    validate("no_data", {"period": 600, "periods": 3}, filter="service:payments")
    validate(
        "new_issue",
        {},
        severity="P1",
        targets={"P1": [1, 2], "*": [3]},
        quiet_windows=[{"start": "22:00", "end": "07:00", "tz": "Europe/Paris"}],
        throttle_seconds=1800,
    )


@pytest.mark.parametrize(
    ("condition", "params", "options", "message"),
    [
        ("nope", {}, {}, "unknown condition"),
        ("threshold", {"count": -1}, {}, "count must be at least 0"),
        ("threshold", {"count": "5"}, {}, "count must be a number"),
        ("threshold", {"group_by": "team"}, {}, "group_by must be one of"),
        ("spike", {"baseline": "weekly"}, {}, "baseline must be one of"),
        ("no_data", {"period": 0}, {}, "period must be at least 1"),
        ("new_issue", {"count": 3}, {}, "does not take 'count'"),
        ("threshold", {}, {"filter": "is:bogus"}, "filter:"),
        ("threshold", {}, {"severity": "P9"}, "severity must be"),
        ("threshold", {}, {"targets": {"high": [1]}}, "not a severity"),
        ("threshold", {}, {"targets": {"P1": ["slack"]}}, "channel ids"),
        ("threshold", {}, {"quiet_windows": [{"start": "25:00", "end": "07:00"}]}, "HH:MM"),
        (
            "threshold",
            {},
            {"quiet_windows": [{"start": "22:00", "end": "07:00", "tz": "Mars/Olympus"}]},
            "unknown time zone",
        ),
        ("threshold", {}, {"throttle_seconds": -5}, "must not be negative"),
    ],
)
def test_invalid_rules(
    condition: str, params: dict[str, Any], options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        validate(condition, params, **options)
