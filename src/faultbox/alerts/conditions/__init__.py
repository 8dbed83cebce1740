"""One module per condition kind; each ``evaluate(conn, rule, now)`` returns the
subjects whose condition is crossed at ``now`` (pure reads of the store, except that
``monitor`` first writes the runs that became missed or overran by ``now``)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection

from faultbox.alerts.model import Measurement
from faultbox.store.alert_rules import RuleRow

Evaluator = Callable[[Connection, RuleRow, float], list[Measurement]]


def evaluators() -> dict[str, Evaluator]:
    from faultbox.alerts.conditions import (
        crash_free_rate,
        monitor,
        new_issue,
        no_data,
        per_user,
        regression,
        spike,
        threshold,
    )

    return {
        "new_issue": new_issue.evaluate,
        "regression": regression.evaluate,
        "threshold": threshold.evaluate,
        "per_user": per_user.evaluate,
        "spike": spike.evaluate,
        "no_data": no_data.evaluate,
        "monitor": monitor.evaluate,
        "crash_free_rate": crash_free_rate.evaluate,
    }
