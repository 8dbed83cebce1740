"""The stats window, trend verdicts, shares and exception types from titles."""

from __future__ import annotations

import re

import pytest

from faultbox.query.stats.response_times import ACTIVITY_KINDS
from faultbox.query.stats.top import exception_type
from faultbox.query.stats.window import BadStatsRequest, parse_window, share, trend
from faultbox.store import activity


def test_periods_parse_to_seconds_and_windows_end_now() -> None:
    assert parse_window("24h", 1000.0).seconds == 86400
    assert parse_window("30d", 0).seconds == 30 * 86400
    window = parse_window("2w", 10 * 86400.0)
    assert (window.start, window.previous_start, window.end) == (
        -4 * 86400,
        -18 * 86400,
        10 * 86400,
    )
    assert parse_window("365d", 0).seconds == 365 * 86400


@pytest.mark.parametrize("period", ["", "30", "d", "0h", "1.5d", "30 d", "366d", "53w", "99999h"])
def test_bad_periods_name_the_format(period: str) -> None:
    with pytest.raises(BadStatsRequest, match="like 24h, 30d or 4w"):
        parse_window(period, 0)


def test_trends_say_which_way_is_better() -> None:
    assert trend(12, 10, lower_is_better=True) == {
        "value": 12,
        "previous": 10,
        "change_pct": 20.0,
        "direction": "up",
        "assessment": "worsening",
    }
    assert trend(12, 10, lower_is_better=False)["assessment"] == "improving"
    assert trend(5, 10, lower_is_better=True)["assessment"] == "improving"
    stable = trend(102, 100, lower_is_better=True)  # within 5%: noise
    assert (stable["change_pct"], stable["direction"], stable["assessment"]) == (
        2.0,
        "stable",
        "unchanged",
    )
    assert trend(0, 0, lower_is_better=True)["direction"] == "stable"
    from_zero = trend(3, 0, lower_is_better=True)
    assert (from_zero["change_pct"], from_zero["direction"]) == (None, "up")
    unknown = trend(None, 3600.0, lower_is_better=True)
    assert (unknown["direction"], unknown["assessment"]) == (None, None)


def test_shares_round_down_so_disjoint_parts_stay_within_100() -> None:
    assert [share(1, 3)] * 3 == [33.33] * 3
    assert share(2, 3) == 66.66
    assert share(5, 0) == 0.0
    assert share(7, 7) == 100.0


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("ValueError: invalid literal for int()", "ValueError"),
        ("java.lang.NullPointerException: null", "java.lang.NullPointerException"),
        ("*errors.errorString: EOF", "*errors.errorString"),
        ("Illuminate\\Database\\QueryException: SQLSTATE", "Illuminate\\Database\\QueryException"),
        ("TypeError", "TypeError"),  # an exception without a value
        ("Payment failed: card declined", None),  # a message
        ("Cache warmed up", None),
        ("<unlabeled event>", None),
        ("", None),
    ],
)
def test_exception_type_is_the_title_head(title: str, kind: str | None) -> None:
    assert exception_type(title) == kind


def test_the_stats_know_every_kind_the_activity_log_documents() -> None:
    # detection_times reads the log by kind (for the index): a new kind must be listed.
    documented = re.findall(r"^``(\w+)``", activity.__doc__ or "", re.M)
    assert len(documented) > 10
    assert set(documented) == set(ACTIVITY_KINDS)
