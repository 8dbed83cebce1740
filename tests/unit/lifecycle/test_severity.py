"""Severity rules (parser errors with line numbers), derivation and overdue arithmetic."""

from __future__ import annotations

from typing import Any

import pytest

from faultbox import clock
from faultbox.lifecycle.severity import (
    DEFAULT_BY_LEVEL,
    SEVERITIES,
    TARGET_SECONDS,
    InvalidSeverity,
    RuleSyntaxError,
    derive_severity,
    is_overdue,
    overdue_at,
    overdue_since,
    parse_severity,
    parse_severity_rules,
)
from faultbox.model import Event, ExceptionValue, Frame, Level

RULES = """\
# payments pages someone at once
level:fatal -> P0
service:payments level:error -> P1   # a trailing comment
error.type:TimeoutError -> P2
module:shop.reports.* !environment:production -> p3
"""


def event(**kw: Any) -> Event:
    return Event(event_id="0" * 32, project_id=1, timestamp=1.0, received_at=1.0, **kw)


def exc(type_: str, *frames: Frame) -> ExceptionValue:
    return ExceptionValue(type=type_, value="boom", frames=frames)


def test_rules_parse_with_lines_and_canonical_severity() -> None:
    rules = parse_severity_rules(RULES)
    assert [(r.line, r.severity) for r in rules] == [(2, "P0"), (3, "P1"), (4, "P2"), (5, "P3")]
    assert rules[1].text == "service:payments level:error -> P1   # a trailing comment"
    assert [m.key for m in rules[3].matchers] == ["module", "environment"]
    assert rules[3].matchers[1].negated
    assert parse_severity_rules("") == () == parse_severity_rules("# only\n\n   \n")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("level:fatal -> P0\nlevle:error -> P1", 2, "unknown matcher 'levle'"),
        ("level:fatal  # P0", 1, "missing '->' between matchers and severity"),
        ("level:fatal P0", 1, "unknown matcher 'P0'"),
        ("\n\nlevel:fatal ->", 3, "missing severity after '->'"),
        ("level:fatal -> P5", 1, "unknown severity 'P5'"),
        ("level:fatal -> high", 1, "unknown severity 'high'"),
        ("level:fatal -> P0 P1", 1, "one severity per rule"),
        ("-> P0", 1, "no matchers before '->'"),
        ('message:"unterminated -> P0', 1, "unterminated quote"),
        ("level: -> P0", 1, "missing value for matcher 'level'"),
        ("#ok\nlevel:fatal -> P0\n" + "x" * 1001, 3, "line too long"),
    ],
)
def test_rule_errors_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(RuleSyntaxError) as info:
        parse_severity_rules(text)
    assert info.value.line == line
    assert f"line {line}, column" in str(info.value) and message in str(info.value)


def test_too_many_rules() -> None:
    with pytest.raises(RuleSyntaxError, match="line 201.*too many rules"):
        parse_severity_rules("level:error -> P2\n" * 201)


def test_first_matching_rule_wins_and_is_named() -> None:
    rules = parse_severity_rules(RULES)
    fatal_payments = event(level=Level.FATAL, service="payments")
    assert derive_severity(fatal_payments, rules) == (
        "P0",
        "project rule (line 2): level:fatal -> P0",
    )
    assert derive_severity(event(level=Level.ERROR, service="Payments"), rules)[0] == "P1"
    timeout = event(exceptions=(exc("TimeoutError"),), service="search")
    assert derive_severity(timeout, rules) == (
        "P2",
        "project rule (line 4): error.type:TimeoutError -> P2",
    )
    report = event(
        level=Level.WARNING,
        environment="staging",
        exceptions=(exc("ValueError", Frame(module="shop.reports.pdf", function="render")),),
    )
    assert derive_severity(report, rules)[0] == "P3"


def test_no_rule_or_no_match_falls_back_to_the_level() -> None:
    rules = parse_severity_rules("service:payments -> P0")
    assert derive_severity(event(level=Level.FATAL), ()) == ("P1", "default for level fatal: P1")
    assert derive_severity(event(level=Level.ERROR), rules) == ("P2", "default for level error: P2")
    for level in ("warning", "info", "debug"):
        assert derive_severity(event(level=Level(level)), rules)[0] == "P3"
    assert set(DEFAULT_BY_LEVEL.values()) <= set(SEVERITIES) - {"P0"}  # defaults never page


def test_long_rule_text_is_clipped_in_the_reason() -> None:
    rules = parse_severity_rules(f'message:"{"x" * 400}*" -> P1')
    severity, reason = derive_severity(event(message="x" * 500), rules)
    assert severity == "P1" and len(reason) == 300 and reason.endswith("…")


def test_parse_severity_values() -> None:
    assert [parse_severity(v) for v in ("P0", "p1", " P2 ", "p3")] == ["P0", "P1", "P2", "P3"]
    for bad in ("P4", "", "high", None, 1, "PP1"):
        with pytest.raises(InvalidSeverity, match="one of P0, P1, P2, P3"):
            parse_severity(bad)


def test_targets() -> None:
    assert TARGET_SECONDS == {"P0": 900, "P1": 3600, "P2": 14400, "P3": 86400}
    assert overdue_at("P0", 1000.0) == 1900.0
    assert overdue_at(None, 1000.0) is None


@pytest.fixture
def pinned() -> Any:
    clock.pin(1_700_000_000.0)
    yield clock
    clock.pin(None)


def test_overdue_flips_when_the_pinned_clock_passes_the_target(pinned: Any) -> None:
    first_seen = clock.now()
    for severity, target in TARGET_SECONDS.items():
        clock.pin(first_seen + target)
        assert not is_overdue(severity, first_seen, None, clock.now())  # at the target: not yet
        clock.advance(1)
        assert is_overdue(severity, first_seen, None, clock.now())
    assert not is_overdue(None, first_seen, None, clock.now() + 10**9)


def test_acknowledgement_stops_the_clock_until_a_regression(pinned: Any) -> None:
    first_seen = clock.now()
    acknowledged = first_seen + 60
    later = first_seen + 2 * 3600
    assert not is_overdue("P1", first_seen, acknowledged, later)
    # After a regression the clock restarts; the old acknowledgement does not count.
    regressed = first_seen + 86400
    assert not is_overdue("P1", regressed, acknowledged, regressed + 3600)
    assert is_overdue("P1", regressed, acknowledged, regressed + 3601)
    assert not is_overdue("P1", regressed, regressed + 10, regressed + 3601)


def test_overdue_since_only_for_open_issues() -> None:
    row: dict[str, Any] = {
        "severity": "P0",
        "first_seen": 1000.0,
        "regressed_at": None,
        "acknowledged_at": None,
    }
    assert overdue_since(status="detected", now=1901.0, **row) == 1900.0
    assert overdue_since(status="investigating", now=1900.0, **row) is None
    for status in ("resolved", "ignored", "closed", "verified", "recurring"):
        assert overdue_since(status=status, now=10**9, **row) is None
    regressed = {**row, "regressed_at": 5000.0}
    assert overdue_since(status="detected", now=5899.0, **regressed) is None
    assert overdue_since(status="detected", now=5901.0, **regressed) == 5900.0
