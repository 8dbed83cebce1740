"""Evaluate every enabled rule at ``now``: fire once per crossing, apply the noise
control, record each firing (``alert_firings``) and return the ones to deliver.

A level condition (threshold, spike, no-data) fires when a subject crosses, then
stays quiet while it remains crossed; it can fire again once it has dropped back.
An occurrence (a new issue, a regression) fires once, deduplicated by its key. A
suppressed firing (throttled, quiet window, issue ignored or acknowledged) is
recorded with the reason and consumes the crossing: it is not sent later.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from faultbox.alerts import noise
from faultbox.alerts.conditions import evaluators
from faultbox.alerts.model import Firing, Measurement
from faultbox.alerts.routing import DEFAULT_SEVERITY
from faultbox.store import alert_rules as store
from faultbox.store.alert_rules import RuleRow

log = logging.getLogger(__name__)


def evaluate_rules(
    conn: Connection,
    now: float,
    *,
    project_id: int | None = None,
    kinds: Collection[str] | None = None,
) -> list[Firing]:
    fired: list[Firing] = []
    conditions = evaluators()
    for rule in store.enabled_rules(conn, project_id):
        if (kinds is not None and rule.condition not in kinds) or rule.condition not in conditions:
            continue
        try:
            with conn.begin_nested():  # a broken rule neither stops nor half-writes others
                measured = conditions[rule.condition](conn, rule, now)
                fired.extend(_apply(conn, rule, measured, now))
        except Exception:
            log.exception("alert rule %s (%s) failed to evaluate", rule.id, rule.name)
    return fired


def _apply(
    conn: Connection, rule: RuleRow, measured: list[Measurement], now: float
) -> list[Firing]:
    state = store.states(conn, rule.id)
    fired: list[Firing] = []
    crossed: set[str] = set()
    done = store.recorded_keys(conn, rule.id, [m.occurrence for m in measured if m.occurrence])
    for m in measured:
        current = state.get(m.subject)
        if m.occurrence is None:
            crossed.add(m.subject)
            if current is not None and current.active:
                continue
            key = f"{m.subject}@{now:.3f}"
        elif m.occurrence in done:
            continue
        else:
            key = m.occurrence
        last = current.last_fired_at if current is not None else None
        reason = _suppression(conn, rule, m, last, now)
        severity = rule.severity or noise.issue_severity(conn, m.issue_id) or DEFAULT_SEVERITY
        try:
            with conn.begin_nested():
                firing_id = store.record_firing(
                    conn,
                    rule_id=rule.id,
                    project_id=rule.project_id,
                    subject=m.subject,
                    fired_at=now,
                    value=m.value,
                    threshold=m.threshold,
                    issue_id=m.issue_id,
                    severity=severity,
                    explanation=m.explanation,
                    dedup_key=key,
                    suppressed=reason,
                )
        except IntegrityError:  # another evaluator recorded it first
            continue
        store.save_state(
            conn,
            rule.id,
            m.subject,
            exists=current is not None,
            active=m.occurrence is None,
            value=m.value,
            now=now,
            fired_at=None if reason else now,
        )
        state[m.subject] = store.StateRow(
            m.subject, m.occurrence is None, last if reason else now, m.value
        )
        if reason is None:
            fired.append(
                Firing(
                    m.subject,
                    m.value,
                    m.threshold,
                    m.issue_id,
                    m.explanation,
                    rule_id=rule.id,
                    severity=severity,
                    firing_id=firing_id,
                )
            )
    for subject, row in state.items():
        if row.active and subject not in crossed:
            store.save_state(conn, rule.id, subject, exists=True, active=False, value=None, now=now)
    return fired


def _suppression(
    conn: Connection, rule: RuleRow, m: Measurement, last_fired_at: float | None, now: float
) -> str | None:
    reason = noise.issue_suppression(conn, m.issue_id)
    if reason is not None:
        return reason
    if noise.throttled(last_fired_at, rule.throttle_seconds, now):
        return "throttled"
    if noise.in_quiet_window(rule.quiet_windows, now):
        return "quiet window"
    return None
