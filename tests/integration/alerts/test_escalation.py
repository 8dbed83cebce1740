"""Escalation on SQLite and PostgreSQL with a pinned clock: level 1 exactly
``after_minutes`` after the page (not a second before), level 2 its own minutes after
level 1, nothing once acknowledged, nothing without levels; once per level however
often the job runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, update

from faultbox import clock
from faultbox.alerts import ack_links, incidents
from faultbox.store.alert_channels import update_channel
from faultbox.store.db import write_transaction
from faultbox.store.schema import alert_rules
from tests.integration.alerts.incident_support import (
    PUBLIC_URL,
    SECRET,
    Paging,
    notification_of,
)
from tests.integration.alerts.rules_support import MIN, T0


@pytest.fixture
def paging(engine: Engine) -> Iterator[Paging]:
    yield Paging(engine)
    clock.pin(None)


def _escalate(paging: Paging, now: float, **kw: object) -> int:
    with write_transaction(paging.engine) as conn:
        return incidents.escalate_due(conn, now, public_url=PUBLIC_URL, **kw)  # type: ignore[arg-type]


def _two_levels(paging: Paging) -> tuple[int, int, int, int]:
    """On-call paged at T0; the lead after 5 min, the manager 10 min after that."""
    on_call = paging.channel("on-call", "pagerduty", role="pager")
    lead = paging.channel("team lead", "pagerduty", role=None)
    manager = paging.channel("manager", role=None)
    paging.paging_rule(
        targets={"P1": [on_call]},
        escalation=[
            {"after_minutes": 5, "channels": [lead]},
            {"after_minutes": 10, "channels": [manager]},
        ],
    )
    paging.fire(paging.issue(), T0)
    paging.mark_sent(T0 + 1)
    return paging.only_incident().id, on_call, lead, manager


def test_level_one_fires_at_after_minutes_exactly(paging: Paging) -> None:
    incident_id, on_call, lead, _ = _two_levels(paging)
    assert paging.incident(incident_id).next_escalation_at == T0 + 5 * MIN
    assert _escalate(paging, T0 + 5 * MIN - 1) == 0
    assert paging.incident(incident_id).escalation_level == 0
    assert _escalate(paging, T0 + 5 * MIN) == 1
    incident = paging.incident(incident_id)
    assert (incident.escalation_level, incident.next_escalation_at) == (1, T0 + 15 * MIN)
    [page] = paging.deliveries(idempotency_key=f"escalate:{incident_id}:1")
    first = notification_of(paging.deliveries(channel_id=on_call)[0])
    message = notification_of(page)
    assert page["channel_id"] == lead
    assert (page["kind"], page["incident_id"]) == ("trigger", incident_id)
    assert (message.title, message.dedup_key, message.url) == (
        first.title,
        first.dedup_key,
        first.url,
    )
    assert message.text.startswith("Not acknowledged after 5 min: escalated to level 1.")
    # The first page's link still acknowledges (no fresh link without a key).
    assert message.ack_url == first.ack_url != ""
    [event] = [e for e in paging.timeline(incident_id) if e["kind"] == "escalated"]
    assert event["detail"] == "level 1: team lead"


def test_level_two_after_level_one_then_nothing_more(paging: Paging) -> None:
    incident_id, _, lead, manager = _two_levels(paging)
    assert _escalate(paging, T0 + 5 * MIN + 30) == 1  # the job ran 30 s late
    # Level 2's ten minutes count from when level 1 was paged.
    assert _escalate(paging, T0 + 15 * MIN + 29) == 0
    assert _escalate(paging, T0 + 15 * MIN + 30) == 1
    [page] = paging.deliveries(idempotency_key=f"escalate:{incident_id}:2")
    assert page["channel_id"] == manager
    incident = paging.incident(incident_id)
    assert (incident.escalation_level, incident.next_escalation_at) == (2, None)
    assert _escalate(paging, T0 + 100 * MIN) == 0
    assert [e["detail"] for e in paging.timeline(incident_id) if e["kind"] == "escalated"] == [
        "level 1: team lead",
        "level 2: manager",
    ]


def test_running_twice_at_the_same_time_escalates_once(paging: Paging) -> None:
    incident_id, *_ = _two_levels(paging)
    assert _escalate(paging, T0 + 5 * MIN) == 1
    assert _escalate(paging, T0 + 5 * MIN) == 0
    assert len(paging.deliveries(idempotency_key=f"escalate:{incident_id}:1")) == 1
    assert paging.incident(incident_id).escalation_level == 1


def test_acknowledgement_stops_escalation(paging: Paging) -> None:
    incident_id, *_ = _two_levels(paging)
    with write_transaction(paging.engine) as conn:
        assert incidents.acknowledge(conn, incident_id, now=T0 + 5 * MIN - 1, via="link")
    assert _escalate(paging, T0 + 5 * MIN) == 0
    assert _escalate(paging, T0 + 100 * MIN) == 0
    incident = paging.incident(incident_id)
    assert (incident.escalation_level, incident.next_escalation_at) == (0, None)
    assert [d for d in paging.deliveries() if d["idempotency_key"].startswith("escalate:")] == []


def test_acknowledging_after_level_one_tells_the_lead_too(paging: Paging) -> None:
    incident_id, on_call, lead, manager = _two_levels(paging)
    assert _escalate(paging, T0 + 5 * MIN) == 1
    paging.mark_sent(T0 + 5 * MIN + 1)
    with write_transaction(paging.engine) as conn:
        assert incidents.acknowledge(conn, incident_id, now=T0 + 6 * MIN, via="api")
    assert sorted(d["channel_id"] for d in paging.deliveries(kind="acknowledge")) == sorted(
        [on_call, lead]
    )
    assert _escalate(paging, T0 + 100 * MIN) == 0
    assert paging.deliveries(channel_id=manager) == []


def test_no_escalation_without_levels(paging: Paging) -> None:
    paging.channel("on-call", "pagerduty", role="pager")
    paging.paging_rule()
    paging.fire(paging.issue(), T0)
    incident = paging.only_incident()
    assert incident.next_escalation_at is None
    assert _escalate(paging, T0 + 10_000 * MIN) == 0
    assert paging.incident(incident.id).escalation_level == 0


def test_a_fresh_link_when_the_job_can_sign(paging: Paging) -> None:
    incident_id, *_ = _two_levels(paging)
    later = T0 + 5 * MIN
    assert (
        _escalate(paging, later, ack_url=lambda i: ack_links.url_for(PUBLIC_URL, SECRET, i, later))
        == 1
    )
    [page] = paging.deliveries(idempotency_key=f"escalate:{incident_id}:1")
    token = notification_of(page).ack_url.removeprefix(f"{PUBLIC_URL}/alerts/ack/")
    assert ack_links.verify(SECRET, token, later + 7 * 86400) == incident_id


def test_levels_removed_from_the_rule_since_stop_escalating(paging: Paging) -> None:
    incident_id, *_ = _two_levels(paging)
    with write_transaction(paging.engine) as conn:
        conn.execute(update(alert_rules).values(escalation=None))
    assert _escalate(paging, T0 + 5 * MIN) == 0
    incident = paging.incident(incident_id)
    assert (incident.escalation_level, incident.next_escalation_at) == (0, None)


def test_a_level_naming_a_disabled_or_foreign_channel_pages_nobody_but_says_so(
    paging: Paging,
) -> None:
    on_call = paging.channel("on-call", "pagerduty", role="pager")
    gone = paging.channel("gone", role=None)
    paging.paging_rule(
        targets={"P1": [on_call]},
        escalation=[{"after_minutes": 1, "channels": [gone, 987_654]}],
    )
    paging.fire(paging.issue(), T0)
    incident_id = paging.only_incident().id
    with write_transaction(paging.engine) as conn:
        update_channel(conn, gone, T0, enabled=False)
    assert _escalate(paging, T0 + MIN) == 0
    assert paging.incident(incident_id).escalation_level == 1
    assert paging.timeline(incident_id)[-1]["detail"] == "level 1: no enabled channel"
