"""A page's whole life through the real dispatcher, a live server and validating fakes
(SQLite and PostgreSQL, pinned clock): a P1 firing pages PagerDuty and Slack (with an
Acknowledge button); unacknowledged after 5 minutes it escalates to the lead's
PagerDuty; the Slack button's link acknowledges it (both pagers acknowledged); the
issue resolved through the API resolves both pages — all with one dedup key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from faultbox import clock
from faultbox.alerts import incidents
from faultbox.alerts.dispatch import Dispatcher
from faultbox.store.db import write_transaction
from tests.fakes.services import FakeService, pagerduty, serve, slack
from tests.integration.alerts.incident_support import Paging, quiet_server
from tests.integration.alerts.rules_support import MIN, T0
from tests.support import LiveServer

ON_CALL_KEY = "R0123456789abcdef0123456789abcde"
LEAD_KEY = "Rfedcba9876543210fedcba987654321"


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    clock.pin(T0)
    with quiet_server(tmp_path, database_url) as live:
        yield live
    clock.pin(None)


@pytest.fixture
def pd() -> Iterator[FakeService]:
    with serve(FakeService(pagerduty)) as service:
        yield service


@pytest.fixture
def chat() -> Iterator[FakeService]:
    with serve(FakeService(slack)) as service:
        yield service


def _events(pd: FakeService, routing_key: str) -> list[tuple[str, str]]:
    return [
        (body["event_action"], body["dedup_key"])
        for body in (r.json() for r in pd.requests)
        if body["routing_key"] == routing_key
    ]


def test_trigger_escalate_acknowledge_by_link_resolve_with_one_dedup_key(
    server: LiveServer, pd: FakeService, chat: FakeService
) -> None:
    secret = server.settings.secret_key.value
    paging = Paging(server.engine, server.project.id, secret=secret, public_url=server.url)
    dispatcher = Dispatcher(server.engine, server.settings, owner="e2e")
    events_url = {"events_url": f"{pd.url}/v2/enqueue"}
    paging.channel(
        "on-call",
        "pagerduty",
        role="pager",
        config=events_url,
        secrets={"routing_key": ON_CALL_KEY},
    )
    lead = paging.channel(
        "team lead", "pagerduty", role=None, config=events_url, secrets={"routing_key": LEAD_KEY}
    )
    paging.channel(
        "team chat", "slack", role="chat", secrets={"webhook_url": f"{chat.url}/services/T/B/x"}
    )
    paging.paging_rule(escalation=[{"after_minutes": 5, "channels": [lead]}])
    issue = paging.issue("checkout fails")

    # 1. The firing pages the on-call PagerDuty and Slack.
    paging.fire(issue, T0)
    assert dispatcher.run_once(T0) == 2
    incident = paging.only_incident()
    key = incident.dedup_key
    assert _events(pd, ON_CALL_KEY) == [("trigger", key)]
    assert all(a[0] == 202 for a in pd.answers) and chat.answers[-1][0] == 200
    [message] = [r.json() for r in chat.requests]
    [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
    ack_link = next(e["url"] for e in actions["elements"] if e["text"]["text"] == "Acknowledge")
    assert ack_link.startswith(f"{server.url}/alerts/ack/")

    # 2. Nobody acknowledged in 5 minutes: the lead is paged with the same key.
    with write_transaction(server.engine) as conn:
        assert incidents.escalate_due(conn, T0 + 5 * MIN - 1, public_url=server.url) == 0
    with write_transaction(server.engine) as conn:
        assert incidents.escalate_due(conn, T0 + 5 * MIN, public_url=server.url) == 1
    assert dispatcher.run_once(T0 + 5 * MIN) == 1
    assert _events(pd, LEAD_KEY) == [("trigger", key)]

    # 3. The Slack button's link: looking at it does nothing, its button acknowledges.
    clock.pin(T0 + 6 * MIN)
    with httpx.Client(timeout=20) as browser:
        assert "data-ack-form" in browser.get(ack_link).text
        assert dispatcher.run_once(T0 + 6 * MIN) == 0
        assert browser.post(ack_link).status_code == 200
    assert dispatcher.run_once(T0 + 6 * MIN) == 3  # both pagers and Slack
    assert _events(pd, ON_CALL_KEY) == [("trigger", key), ("acknowledge", key)]
    assert _events(pd, LEAD_KEY) == [("trigger", key), ("acknowledge", key)]
    assert chat.requests[-1].json()["text"].startswith("Acknowledged: ")

    # 4. The issue resolved through the API: its incident and both pages resolve.
    clock.pin(T0 + 30 * MIN)
    resolved = httpx.patch(
        f"{server.url}/api/v1/issues/{issue}",
        json={"status": "resolved"},
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=20,
    )
    assert resolved.status_code == 200, resolved.text
    with write_transaction(server.engine) as conn:
        assert incidents.resolve_for_resolved_issues(conn, T0 + 30 * MIN, public_url="") == 3
    assert dispatcher.run_once(T0 + 30 * MIN) == 3
    assert _events(pd, ON_CALL_KEY) == [("trigger", key), ("acknowledge", key), ("resolve", key)]
    assert _events(pd, LEAD_KEY) == [("trigger", key), ("acknowledge", key), ("resolve", key)]
    assert all(a[0] == 202 for a in pd.answers)
    assert chat.requests[-1].json()["text"].startswith("Resolved: ")
    assert paging.incident(incident.id).status == "resolved"
    timeline = [(e["kind"], e["channel_name"]) for e in paging.timeline(incident.id)]
    assert timeline[0] == ("opened", None)
    paged = [channel for kind, channel in timeline if kind == "paged"]
    assert sorted(paged) == ["on-call", "team chat", "team lead"]
    kinds = [k for k, _ in timeline]
    assert kinds.index("escalated") < kinds.index("acknowledged") < kinds.index("resolved")
    assert kinds.count("acknowledged on") == 3 and kinds.count("resolved on") == 3
    # Nothing more to send, ever.
    with write_transaction(server.engine) as conn:
        assert incidents.resolve_for_resolved_issues(conn, T0 + 60 * MIN, public_url="") == 0
        assert incidents.escalate_due(conn, T0 + 60 * MIN, public_url="") == 0
    assert dispatcher.run_once(T0 + 60 * MIN) == 0
