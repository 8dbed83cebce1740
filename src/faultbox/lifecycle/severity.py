"""Severity P0..P3: how fast someone must respond, derived when an issue is opened.

Response targets: P0 within 15 minutes, P1 within an hour, P2 within 4 hours, P3
within a day.  An open issue past its target that nobody has acknowledged is
**overdue**; the clock starts at first seen, or again at a regression.

Per-project severity rules, one per line, ``#`` comments, the matcher language
of fingerprint rules (``faultbox.matchers``), first match wins::

    level:fatal -> P0
    service:payments level:error -> P1
    error.type:TimeoutError -> P2

When no rule matches (or the project has none) the level decides.  The defaults
never page at P0: a single crash is not an outage, and which services justify a
15-minute response is the project's call (``level:fatal service:checkout -> P0``).
So fatal → P1, error → P2, warning, info and debug → P3.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from faultbox.lifecycle.status import OPEN
from faultbox.matchers import Matcher, RuleSyntaxError, Scanner, all_match, event_frames, rule_lines
from faultbox.model import Event

SEVERITIES = ("P0", "P1", "P2", "P3")
TARGET_SECONDS: Mapping[str, float] = {"P0": 15 * 60, "P1": 3600, "P2": 4 * 3600, "P3": 86400}
DEFAULT_BY_LEVEL: Mapping[str, str] = {
    "fatal": "P1",
    "error": "P2",
    "warning": "P3",
    "info": "P3",
    "debug": "P3",
}
_REASON_MAX = 300  # issues.severity_reason


class InvalidSeverity(ValueError):
    """A value that is not one of P0..P3 (the message lists them)."""


def parse_severity(value: object) -> str:
    """``"p1"`` → ``"P1"``; anything else that is not P0..P3 raises InvalidSeverity."""
    if isinstance(value, str) and value.strip().upper() in SEVERITIES:
        return value.strip().upper()
    raise InvalidSeverity(f"unknown severity {value!r}; one of {', '.join(SEVERITIES)}")


@dataclass(frozen=True, slots=True)
class SeverityRule:
    matchers: tuple[Matcher, ...]
    severity: str
    line: int = field(compare=False)
    text: str = field(compare=False)


def _rule(sc: Scanner) -> SeverityRule:
    matchers = sc.matchers("severity")
    if sc.at_end():
        raise sc.error("missing severity after '->' (one of P0, P1, P2, P3)")
    start = sc.i
    while sc.i < len(sc.s) and not sc.s[sc.i].isspace() and sc.s[sc.i] != "#":
        sc.i += 1
    try:
        severity = parse_severity(sc.s[start : sc.i])
    except InvalidSeverity as exc:
        raise sc.error(str(exc), start) from None
    if not sc.at_end():
        raise sc.error("one severity per rule; nothing may follow it")
    return SeverityRule(matchers, severity, sc.lineno, sc.s.strip())


def parse_severity_rules(text: str) -> tuple[SeverityRule, ...]:
    """Raises :class:`~faultbox.matchers.RuleSyntaxError` with line and column."""
    return tuple(_rule(sc) for sc in rule_lines(text))


def _clip(text: str) -> str:
    return text if len(text) <= _REASON_MAX else text[: _REASON_MAX - 1] + "…"


def derive_severity(event: Event, rules: Sequence[SeverityRule]) -> tuple[str, str]:
    """(severity, reason): the first matching project rule, else the level's default.
    The reason is what users see next to the severity, so it names the rule."""
    frames = event_frames(event)
    for rule in rules:
        if all_match(event, frames, rule.matchers):
            return rule.severity, _clip(f"project rule (line {rule.line}): {rule.text}")
    level = str(event.level)
    severity = DEFAULT_BY_LEVEL.get(level, "P2")
    return severity, f"default for level {level}: {severity}"


def overdue_at(severity: str | None, since: float) -> float | None:
    """When the response target runs out (None: no severity, so no target)."""
    target = TARGET_SECONDS.get(severity) if severity else None
    return since + target if target is not None else None


def is_overdue(
    severity: str | None, since: float, acknowledged_at: float | None, now: float
) -> bool:
    """Past the target and not acknowledged since the clock started (``since``: first
    seen, or the regression: an acknowledgement of the earlier life does not count)."""
    deadline = overdue_at(severity, since)
    if deadline is None or now <= deadline:
        return False
    return acknowledged_at is None or acknowledged_at < since


def clock_start(first_seen: float, regressed_at: float | None) -> float:
    """Where the response clock starts: the latest regression, else first seen."""
    return regressed_at if regressed_at is not None and regressed_at > first_seen else first_seen


def overdue_since(
    *,
    status: str,
    severity: str | None,
    first_seen: float,
    regressed_at: float | None,
    acknowledged_at: float | None,
    now: float,
) -> float | None:
    """When an issue became overdue (None: it is not). Only open issues can be: a
    resolved or ignored one is no longer waiting for a response."""
    if status not in OPEN:
        return None
    since = clock_start(first_seen, regressed_at)
    if not is_overdue(severity, since, acknowledged_at, now):
        return None
    return overdue_at(severity, since)


__all__ = [
    "DEFAULT_BY_LEVEL",
    "SEVERITIES",
    "TARGET_SECONDS",
    "InvalidSeverity",
    "RuleSyntaxError",
    "SeverityRule",
    "clock_start",
    "derive_severity",
    "is_overdue",
    "overdue_at",
    "overdue_since",
    "parse_severity",
    "parse_severity_rules",
]
