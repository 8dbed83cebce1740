"""What a firing's message says and where it links: the issue's summary for an issue,
the monitor's page for a cron monitor, the project's stream otherwise."""

from __future__ import annotations

from sqlalchemy import Engine

from faultbox.alerts.compose import compose
from faultbox.alerts.model import Firing
from faultbox.store import alert_rules
from faultbox.store.db import read_connection
from tests.integration.alerts.rules_support import T0, AlertStore

PUBLIC = "https://faultbox.example"


def _compose(store: AlertStore, firing: Firing) -> tuple[str, str, str]:
    with read_connection(store.engine) as conn:
        rule = alert_rules.get_rule(conn, firing.rule_id)
        assert rule is not None
        n = compose(conn, firing, rule, public_url=PUBLIC)
    return n.title, n.url, n.dedup_key


def test_messages_link_to_the_issue_the_monitor_or_the_stream(engine: Engine) -> None:
    store = AlertStore(engine)
    rule = store.rule("threshold", {"count": 1, "window": 60})
    issue = store.issue("ZeroDivisionError: division by zero", first_seen=T0)
    on_issue = Firing(f"issue:{issue}", 3, 1, issue, "3 events", rule_id=rule, firing_id=1)
    title, url, key = _compose(store, on_issue)
    assert (title, url) == (
        "ERR-1: ZeroDivisionError: division by zero",
        f"{PUBLIC}/issues/{issue}",
    )
    assert key == f"faultbox-{store.project_id}-{rule}-issue:{issue}"
    monitor = Firing("monitor:nightly-backup", 1, 0, None, "missed", rule_id=rule, firing_id=2)
    assert _compose(store, monitor)[1] == f"{PUBLIC}/projects/shop/monitors/nightly-backup"
    stream = Firing("stream", 9, 5, None, "9 events", rule_id=rule, firing_id=3)
    assert _compose(store, stream)[:2] == (
        "threshold rule: stream",
        f"{PUBLIC}/projects/shop/issues",
    )
