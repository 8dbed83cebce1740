"""Incidents on SQLite and PostgreSQL with a pinned clock: a P1 firing opens one and
pages with a signed link; acknowledging (once) stops it and tells the paged
channels; resolving the issue resolves it and its pages with the trigger's key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select, update

from faultbox import clock
from faultbox.alerts import ack_links, incidents
from faultbox.lifecycle.changes import IssueChange, change_issues
from faultbox.lifecycle.status import Status
from faultbox.store.activity import activity_of
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.incidents import ACKNOWLEDGED, OPEN, RESOLVED
from faultbox.store.schema import alert_deliveries, issues
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


def _paged(paging: Paging) -> tuple[int, int, int, int]:
    """A pager, a chat channel, a ticket and a digest email channel, all targeted by
    a P1 rule; one issue fired at T0. Returns (incident, pager, chat, issue)."""
    pager = paging.channel("on-call", "pagerduty", role="pager")
    chat = paging.channel("team chat", role="chat")
    digest = paging.channel("digest", role="digest_email")
    paging.paging_rule(targets={"P1": [pager, chat, digest]})
    issue = paging.issue()
    paging.fire(issue, T0)
    paging.mark_sent(T0 + 1)
    return paging.only_incident().id, pager, chat, issue


def _acknowledge(paging: Paging, incident_id: int, now: float, **kw: object) -> bool:
    with write_transaction(paging.engine) as conn:
        return incidents.acknowledge(conn, incident_id, now=now, **kw)  # type: ignore[arg-type]


def test_a_p1_firing_opens_an_incident_and_pages_with_a_signed_link(paging: Paging) -> None:
    incident_id, pager, chat, issue = _paged(paging)
    incident = paging.incident(incident_id)
    assert (incident.status, incident.severity, incident.issue_id) == (OPEN, "P1", issue)
    triggers = paging.deliveries(kind="trigger")
    assert {d["channel_id"] for d in triggers} >= {pager, chat}
    for delivery in triggers:
        message = notification_of(delivery)
        assert delivery["incident_id"] == incident_id
        assert message.dedup_key == incident.dedup_key
        token = message.ack_url.removeprefix(f"{PUBLIC_URL}/alerts/ack/")
        assert ack_links.verify(SECRET, token, T0) == incident_id
    assert [e["kind"] for e in paging.timeline(incident_id)] == ["opened"]
    with read_connection(paging.engine) as conn:
        log = [a for a in activity_of(conn, issue) if a["kind"] == "incident"]
    assert [(a["new_value"], a["email"]) for a in log] == [("open", None)]
    assert f"incident {incident_id} opened (P1" in log[0]["note"]


def test_below_p1_no_incident(paging: Paging) -> None:
    paging.channel("team chat", role="chat")
    paging.paging_rule(severity="P2")
    paging.fire(paging.issue(), T0)
    assert paging.deliveries(kind="trigger")
    assert all(d["incident_id"] is None for d in paging.deliveries())
    assert all(notification_of(d).ack_url == "" for d in paging.deliveries())


def test_acknowledge_stops_the_page_and_tells_the_paged_channels(paging: Paging) -> None:
    incident_id, pager, chat, issue = _paged(paging)
    alice = paging.user("Alice@Example.com")
    assert _acknowledge(paging, incident_id, T0 + 90, user_id=alice, via="api")
    incident = paging.incident(incident_id)
    assert (incident.status, incident.acknowledged_at, incident.acknowledged_by) == (
        ACKNOWLEDGED,
        T0 + 90,
        alice,
    )
    assert incident.next_escalation_at is None
    [event] = [e for e in paging.timeline(incident_id) if e["kind"] == "acknowledged"]
    assert event["detail"] == "acknowledged by alice@example.com via api"
    assert event["user_email"] == "alice@example.com"
    acks = paging.deliveries(kind="acknowledge")
    # The digest email never hears of it (it only sums up the day).
    assert sorted(d["channel_id"] for d in acks) == sorted([pager, chat])
    for delivery in acks:
        message = notification_of(delivery)
        assert delivery["idempotency_key"] == f"ack:{incident_id}"
        assert delivery["incident_id"] == incident_id
        assert message.kind == "acknowledge"
        assert message.dedup_key == incident.dedup_key
        assert message.ack_url == ""  # nothing left to acknowledge
        assert message.text == "Acknowledged by alice@example.com via api"
    with read_connection(paging.engine) as conn:
        acknowledged_at = conn.execute(
            select(issues.c.acknowledged_at).where(issues.c.id == issue)
        ).scalar()
        log = [a for a in activity_of(conn, issue) if a["kind"] == "incident"]
    assert acknowledged_at == T0 + 90
    assert [(a["old_value"], a["new_value"], a["email"]) for a in log][-1] == (
        "open",
        "acknowledged",
        "alice@example.com",
    )


def test_acknowledging_twice_changes_nothing_and_enqueues_nothing_again(paging: Paging) -> None:
    incident_id, *_ = _paged(paging)
    assert _acknowledge(paging, incident_id, T0 + 60, via="link")
    before = (paging.deliveries(), paging.timeline(incident_id))
    assert not _acknowledge(paging, incident_id, T0 + 120, via="dashboard")
    assert not _acknowledge(paging, incident_id, T0 + 120, via="link")
    assert (paging.deliveries(), paging.timeline(incident_id)) == before
    incident = paging.incident(incident_id)
    assert incident.acknowledged_at == T0 + 60
    [event] = [e for e in paging.timeline(incident_id) if e["kind"] == "acknowledged"]
    assert event["detail"] == "acknowledged via link"


def test_an_issue_already_acknowledged_keeps_its_time(paging: Paging) -> None:
    incident_id, _, _, issue = _paged(paging)
    paging.set_issue(issue, acknowledged_at=T0 - 5)
    assert _acknowledge(paging, incident_id, T0 + 60)
    with read_connection(paging.engine) as conn:
        assert (
            conn.execute(select(issues.c.acknowledged_at).where(issues.c.id == issue)).scalar()
            == T0 - 5
        )


def test_unknown_incident_is_not_acknowledged(paging: Paging) -> None:
    assert not _acknowledge(paging, 999_999, T0)
    with write_transaction(paging.engine) as conn:
        assert not incidents.resolve(conn, 999_999, now=T0)


def _resolve_issue(paging: Paging, issue: int, now: float) -> None:
    with write_transaction(paging.engine) as conn:
        refused = change_issues(
            conn, [issue], IssueChange(status=Status.RESOLVED), actor=None, now=now
        )
    assert refused == {}


def _resolve_resolved(paging: Paging, now: float) -> int:
    with write_transaction(paging.engine) as conn:
        return incidents.resolve_for_resolved_issues(conn, now, public_url=PUBLIC_URL)


def test_resolving_the_issue_resolves_the_incident_and_its_pages(paging: Paging) -> None:
    incident_id, pager, chat, issue = _paged(paging)
    assert _resolve_resolved(paging, T0 + 60) == 0  # the issue is still open
    assert paging.incident(incident_id).status == OPEN
    _resolve_issue(paging, issue, T0 + 100)
    assert _resolve_resolved(paging, T0 + 110) == 2
    incident = paging.incident(incident_id)
    assert (incident.status, incident.resolved_at, incident.next_escalation_at) == (
        RESOLVED,
        T0 + 110,
        None,
    )
    resolves = paging.deliveries(kind="resolve")
    assert sorted(d["channel_id"] for d in resolves) == sorted([pager, chat])
    for delivery in resolves:
        assert delivery["idempotency_key"] == f"resolve:{incident_id}"
        assert notification_of(delivery).dedup_key == incident.dedup_key
        assert notification_of(delivery).kind == "resolve"
    assert paging.timeline(incident_id)[-1]["detail"] == "resolved with its issue"
    # Run again (every few seconds): nothing more.
    assert _resolve_resolved(paging, T0 + 120) == 0
    assert len(paging.deliveries(kind="resolve")) == 2
    # Once resolved it cannot be acknowledged.
    assert not _acknowledge(paging, incident_id, T0 + 130)
    assert paging.deliveries(kind="acknowledge") == []


def test_an_acknowledged_incident_resolves_too(paging: Paging) -> None:
    incident_id, _, _, issue = _paged(paging)
    assert _acknowledge(paging, incident_id, T0 + 30)
    _resolve_issue(paging, issue, T0 + 100)
    assert _resolve_resolved(paging, T0 + 100) == 2
    with read_connection(paging.engine) as conn:
        log = [a for a in activity_of(conn, issue) if a["kind"] == "incident"]
    assert [(a["old_value"], a["new_value"]) for a in log] == [
        (None, "open"),
        ("open", "acknowledged"),
        ("acknowledged", "resolved"),
    ]


def test_resolve_by_hand_once(paging: Paging) -> None:
    incident_id, pager, chat, issue = _paged(paging)
    bob = paging.user("bob@example.com")
    with write_transaction(paging.engine) as conn:
        assert incidents.resolve(conn, incident_id, now=T0 + 5, user_id=bob, via="dashboard")
    with write_transaction(paging.engine) as conn:
        assert not incidents.resolve(conn, incident_id, now=T0 + 6, user_id=bob)
    assert len(paging.deliveries(kind="resolve")) == 2
    assert paging.timeline(incident_id)[-1]["detail"] == "resolved by bob@example.com via dashboard"
    # The issue itself is not resolved by resolving its page.
    with read_connection(paging.engine) as conn:
        status = conn.execute(select(issues.c.status).where(issues.c.id == issue)).scalar()
    assert status == "detected"


def test_after_resolution_a_new_firing_opens_a_new_incident(paging: Paging) -> None:
    incident_id, _, _, issue = _paged(paging)
    with write_transaction(paging.engine) as conn:
        incidents.resolve(conn, incident_id, now=T0 + 5)
    paging.evaluate(T0 + 10 * MIN)  # the window emptied: the rule's subject is quiet again
    paging.fire(issue, T0 + 20 * MIN)
    with read_connection(paging.engine) as conn:
        ids = conn.execute(select(issues.c.id)).scalars().all()
    assert ids == [issue]
    newest = max(d["incident_id"] for d in paging.deliveries(kind="trigger"))
    assert newest != incident_id
    assert paging.incident(newest).status == OPEN
    assert paging.incident(newest).dedup_key == paging.incident(incident_id).dedup_key


def test_pages_not_sent_yet_are_withdrawn_not_acknowledged(paging: Paging) -> None:
    """A trigger still waiting (a storm limit, a retry) would reach the pager after
    its acknowledgement and leave an alert nobody answers: it is withdrawn instead."""
    pager = paging.channel("on-call", "pagerduty", role="pager")
    chat = paging.channel("team chat", role="chat")
    paging.paging_rule(targets={"P1": [pager, chat]})
    paging.fire(paging.issue(), T0)
    incident_id = paging.only_incident().id
    with write_transaction(paging.engine) as conn:
        conn.execute(
            update(alert_deliveries)
            .where(alert_deliveries.c.channel_id == chat)
            .values(status="sent", sent_at=T0 + 1)
        )
    assert _acknowledge(paging, incident_id, T0 + 60)
    [withdrawn] = paging.deliveries(channel_id=pager, kind="trigger")
    assert withdrawn["status"] == "failed"
    assert withdrawn["response"] == "not sent: the incident was acknowledged first"
    assert [d["channel_id"] for d in paging.deliveries(kind="acknowledge")] == [chat]
    with write_transaction(paging.engine) as conn:
        assert incidents.resolve(conn, incident_id, now=T0 + 120)
    assert [d["channel_id"] for d in paging.deliveries(kind="resolve")] == [chat]
