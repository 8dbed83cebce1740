"""Release health: the share of crash-free sessions over a window falls below a
threshold (Sentry's "crash-free sessions": ``1 - crashed / started``).

Params: ``threshold`` (percent, fires when the rate is strictly below it),
``window`` (seconds; sessions counted in the minutes of ``(now - window, now]``,
default an hour), ``min_sessions`` (at least this many started sessions, default
1: a rate over three sessions says little), optional ``environment`` and
``release``. A level condition: it fires when the rate drops below, stays quiet
while it remains there, and can fire again once it has recovered. Sessions come
from the SDKs' ``session``/``sessions`` items (see ``ingest/sessions.py``).
"""

from __future__ import annotations

from sqlalchemy import Connection

from faultbox.alerts.model import Measurement
from faultbox.store.alert_rules import RuleRow
from faultbox.store.session_counts import session_totals

WINDOW = 3600.0


def evaluate(conn: Connection, rule: RuleRow, now: float) -> list[Measurement]:
    params = rule.params
    threshold = float(params.get("threshold", 99.0))
    window = float(params.get("window", WINDOW))
    environment, release = params.get("environment"), params.get("release")
    totals = session_totals(
        conn,
        rule.project_id,
        since=now - window,
        until=now,
        environment=str(environment) if environment else None,
        release=str(release) if release else None,
    )
    if totals.started < max(1, int(params.get("min_sessions", 1))):
        return []
    rate = 100.0 * (1 - min(totals.crashed, totals.started) / totals.started)
    if rate >= threshold:
        return []
    scope = "".join(
        f" {k} {v}" for k, v in (("release", release), ("environment", environment)) if v
    )
    subject = f"release:{release}" if release else "project"
    return [
        Measurement(
            subject,
            round(rate, 4),
            threshold,
            None,
            f"crash-free sessions {rate:.2f}% < {threshold:g}% "
            f"({totals.crashed} crashed of {totals.started} in {window:g}s{scope})",
        )
    ]
