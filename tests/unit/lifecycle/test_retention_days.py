"""Retention's rules without a database: the days a setting may take, a project's
effective days, the level classes, and the report's JSON."""

from __future__ import annotations

import pytest

from faultbox.lifecycle.retention import (
    ClassFigures,
    DroppedMonth,
    ProjectFigures,
    RetentionDefaults,
    RetentionReport,
    effective_days,
    parse_days,
)
from faultbox.store.retention import ProjectRetention, level_class


@pytest.mark.parametrize("days", [None, 1, 90, 36500])
def test_whole_days_in_range_or_none(days: int | None) -> None:
    assert parse_days(days, "info_days") == days


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (0, "between 1 and 36500 days, got 0"),
        (-5, "between 1 and 36500"),
        (36501, "between 1 and 36500"),
        (True, "whole number of days, or null"),
        (1.5, "whole number of days"),
        ("90", "got '90'"),
        ([90], "whole number of days"),
        ("x" * 1000, "got 'xxxxxxx"),
    ],
)
def test_anything_else_is_refused_with_a_reason(value: object, reason: str) -> None:
    with pytest.raises(ValueError, match="^info_days must") as caught:
        parse_days(value, "info_days")
    assert reason in str(caught.value) and len(str(caught.value)) < 200


def test_a_projects_own_days_win_over_the_servers() -> None:
    defaults = RetentionDefaults(info_days=90, error_days=365)
    assert effective_days(ProjectRetention(1, "a", None, None), defaults) == {
        "info": 90,
        "error": 365,
    }
    assert effective_days(ProjectRetention(1, "a", 7, None), defaults) == {
        "info": 7,
        "error": 365,
    }


def test_levels_fall_in_two_classes_and_unknown_ones_are_kept_longer() -> None:
    assert [level_class(x) for x in ("debug", "info", "warning", "error", "fatal")] == [
        "info",
        "info",
        "error",
        "error",
        "error",
    ]
    assert level_class("critical") == "error"


def test_the_reports_json() -> None:
    report = RetentionReport(
        now=1_800_000_000.0,
        dry_run=True,
        projects=[
            ProjectFigures(
                1,
                "shop",
                {
                    "info": ClassFigures(90, False, 1_792_224_000.0, 4),
                    "error": ClassFigures(30, True, 1_797_408_000.0, 1),
                },
                user_reports=2,
            )
        ],
        dropped=[DroppedMonth("events_p202512", 1_764_547_200.0, 1_767_225_600.0, 9)],
    )
    assert report.events == 5
    assert report.to_json() == {
        "dry_run": True,
        "finished": True,
        "now": "2027-01-15T08:00:00Z",
        "events": 5,
        "projects": [
            {
                "project": "shop",
                "info": {
                    "levels": ["debug", "info"],
                    "days": 90,
                    "default": True,
                    "before": "2026-10-17T08:00:00Z",
                    "events": 4,
                },
                "error": {
                    "levels": ["warning", "error", "fatal"],
                    "days": 30,
                    "default": False,
                    "before": "2026-12-16T08:00:00Z",
                    "events": 1,
                },
                "user_reports": 2,
            }
        ],
        "partitions": {
            "dropped": [
                {
                    "name": "events_p202512",
                    "from": "2025-12-01T00:00:00Z",
                    "to": "2026-01-01T00:00:00Z",
                    "events": 9,
                }
            ],
            "created": [],
        },
    }
