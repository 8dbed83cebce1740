"""What a condition measures and what a rule fires."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Measurement:
    """A subject whose condition is crossed now.

    Level conditions (threshold, spike, no-data) report every subject currently
    above; the evaluator fires on the crossing only. Occurrences (a new issue, a
    regression) carry ``occurrence``: each fires once, whatever the state.
    """

    subject: str  # "stream", "issue:12", "user:<key>", "project", "service:<name>"
    value: float
    threshold: float
    issue_id: int | None
    explanation: str
    occurrence: str | None = None


@dataclass(frozen=True, slots=True)
class Firing:
    subject: str
    value: float
    threshold: float
    issue_id: int | None
    explanation: str
    rule_id: int = 0
    severity: str = "P2"
    firing_id: int | None = None  # the alert_firings row, once recorded
