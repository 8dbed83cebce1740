"""Typed values of the compared keys: severities, counts and times (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from faultbox.lifecycle.severity import SEVERITIES
from faultbox.query.search.terms import CountTerm, DateTerm, Op, SearchSyntaxError, SeverityTerm
from faultbox.query.timefmt import parse_time

_COUNT = re.compile(r"\d{1,18}")  # stays below 2**63
_RELATIVE = re.compile(r"([+-])(\d{1,7})([smhdw])")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_MAX_AGO = 100 * 366 * 86400.0
DAY = 86400.0


def severity_term(op: Op, value: str, negated: bool, shown: str) -> SeverityTerm:
    if value.upper() in SEVERITIES:
        return SeverityTerm(op, value.upper(), negated)
    if op is Op.EQ and value.lower() == "none":
        return SeverityTerm(op, "none", negated)
    raise SearchSyntaxError(
        f"bad severity {shown!r}: expected P0 to P3 (P0 most urgent), e.g. severity:P1,"
        " severity:<=P1, or severity:none"
    )


def count_term(key: str, op: Op, value: str, negated: bool, shown: str) -> CountTerm:
    if _COUNT.fullmatch(value) is None:
        raise SearchSyntaxError(
            f"bad comparison {shown!r}: expected a whole number, e.g. {key}:>100 or {key}:<=5"
        )
    return CountTerm(key, op, int(value), negated)


def date_term(key: str, op: Op, value: str, negated: bool, shown: str) -> DateTerm:
    relative = _RELATIVE.fullmatch(value)
    if relative is not None:
        if op is not Op.EQ:
            raise SearchSyntaxError(
                f"bad comparison {shown!r}: a relative time takes no >, <; {key}:-24h means"
                f" within the last 24 hours, {key}:+24h more than 24 hours ago"
            )
        if _seconds(value) > _MAX_AGO:
            raise SearchSyntaxError(f"bad comparison {shown!r}: at most 100 years back")
        return DateTerm(key, op, value, negated)
    try:
        parse_time(value)
    except (ValueError, OverflowError):
        raise SearchSyntaxError(
            f"bad comparison {shown!r}: expected -24h, +7d (units s, m, h, d, w) or a time"
            f" after >, >=, <, <= ({key}:>2026-11-01, {key}:<2026-11-01T12:00:00Z)"
        ) from None
    if op is Op.EQ and _DATE_ONLY.fullmatch(value) is None:
        raise SearchSyntaxError(
            f"bad comparison {shown!r}: put >, >=, <, <= before a time, or give a date"
            f" alone for that whole day ({key}:2026-11-01)"
        )
    return DateTerm(key, op, value, negated)


def _seconds(relative: str) -> float:
    match = _RELATIVE.fullmatch(relative)
    assert match is not None
    return int(match.group(2)) * float(_UNIT_SECONDS[match.group(3)])


@dataclass(frozen=True, slots=True)
class TimeRange:
    """``low <(=) t <(=) high``; None: unbounded on that side."""

    low: float | None = None
    low_inclusive: bool = True
    high: float | None = None
    high_inclusive: bool = False


def time_range(term: DateTerm, now: float) -> TimeRange:
    if _RELATIVE.fullmatch(term.text):
        cut = now - _seconds(term.text)
        return TimeRange(low=cut) if term.text[0] == "-" else TimeRange(high=cut)
    at = parse_time(term.text)
    return {
        Op.EQ: TimeRange(low=at, high=at + DAY),
        Op.GT: TimeRange(low=at, low_inclusive=False),
        Op.GE: TimeRange(low=at),
        Op.LT: TimeRange(high=at),
        Op.LE: TimeRange(high=at, high_inclusive=True),
    }[term.op]
