"""A cron or heartbeat monitor's failed run: a check-in with status ``error``, a run
missed (no check-in by the expected time plus the margin) or one that overran its
maximum runtime. Each failed run fires once (occurrence ``monitor:<slug>:<run>:<status>``).

Params: ``monitor`` (a slug; none = every monitor of the project), ``lookback``
(seconds, default a day: runs that failed longer ago, or before the rule existed,
do not fire). Evaluating first writes the runs that became missed or timed out by
``now`` (``lifecycle.monitors.mark_overdue``), so an alert and the monitor's page
tell the same story at the same moment.
"""

from __future__ import annotations

from sqlalchemy import Connection

from faultbox.alerts.model import Measurement
from faultbox.lifecycle.monitors import mark_overdue
from faultbox.schedules import clock_text
from faultbox.store.alert_rules import RuleRow
from faultbox.store.monitors import failed_checkins

LOOKBACK = 86400.0
_WHAT = {
    "error": "reported an error (run started {started})",
    "missed": "missed its check-in (expected {started})",
    "timeout": "ran past its maximum runtime (run started {started})",
}


def evaluate(conn: Connection, rule: RuleRow, now: float) -> list[Measurement]:
    mark_overdue(conn, now, rule.project_id)
    since = max(rule.created_at, now - float(rule.params.get("lookback", LOOKBACK)))
    slug = rule.params.get("monitor")
    found = []
    for monitor_slug, timezone, run in failed_checkins(
        conn, rule.project_id, since=since, slug=str(slug) if slug else None
    ):
        if run.finished_at is None or run.finished_at > now:
            continue
        found.append(
            Measurement(
                f"monitor:{monitor_slug}",
                1,
                0,
                None,
                f"monitor {monitor_slug} "
                + _WHAT[run.status].format(started=clock_text(run.started_at, timezone)),
                f"monitor:{monitor_slug}:{run.checkin_id}:{run.status}",
            )
        )
    return found
