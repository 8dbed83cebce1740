"""Tickets follow their issue, on SQLite and PostgreSQL with a pinned clock: a firing to a
ticket channel opens a ticket carrying the issue's report, recorded for the issue; the
issue resolved closes it (one resolve delivery, however often the sweep runs); resolved
again after a regression, the new ticket is closed again. (Comments on a ticket that
fires again: test_ticket_channels.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from faultbox import clock
from faultbox.alerts import outbox
from faultbox.alerts.channels import Notification
from faultbox.alerts.tickets import close_for_resolved_issues
from faultbox.store import alert_channels, issue_tickets
from faultbox.store.activity import Activity, record
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.schema import alert_deliveries
from tests.fakes.services import FakeService, serve
from tests.fakes.tickets import GitHubFake, GitLabFake
from tests.integration.alerts.delivery_support import DeliveryWorld
from tests.integration.alerts.rules_support import MIN, T0

TOKEN = "ghp_lifecycleTOKEN0123456789"
PUBLIC = "https://faultbox.example"


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[DeliveryWorld]:
    yield DeliveryWorld(engine, tmp_path, alert_max_attempts=3)
    clock.pin(None)


@pytest.fixture
def github() -> Iterator[tuple[FakeService, GitHubFake]]:
    fake = GitHubFake(token=TOKEN)
    with serve(FakeService(fake)) as service:
        yield service, fake


def _ticket_channel(world: DeliveryWorld, service: FakeService, name: str = "GitHub") -> int:
    return world.channel(
        "github",
        {"repository": "acme/shop", "api_url": service.url, "labels": "faultbox"},
        {"token": TOKEN},
        role="ticket",
        name=name,
    )


def _sweep(world: DeliveryWorld, now: float) -> int:
    with write_transaction(world.engine) as conn:
        return close_for_resolved_issues(conn, now, public_url=PUBLIC)


def _tickets(world: DeliveryWorld, issue_id: int) -> list[issue_tickets.TicketRow]:
    with read_connection(world.engine) as conn:
        return issue_tickets.tickets_of_issue(conn, issue_id)


def test_a_ticket_opens_with_the_report_and_closes_with_the_issue(
    world: DeliveryWorld, github: tuple[FakeService, GitHubFake]
) -> None:
    service, fake = github
    channel_id = _ticket_channel(world, service)
    world.rule("new_issue", severity="P2", targets={"*": [channel_id]}, now=T0 - MIN)
    issue = world.issue("KeyError: 'sku'", first_seen=T0 - 5)
    assert len(world.fire(T0)) == 1
    assert world.dispatch(T0) == 1
    [created] = fake.tickets.values()
    assert created.title.endswith("KeyError: 'sku'") and created.labels == ["faultbox"]
    assert f"{PUBLIC}/issues/{issue}" in created.body
    assert "## Where it happens" in created.body and "## Activity" in created.body  # report
    [ticket] = _tickets(world, issue)
    assert (ticket.provider, ticket.reference, ticket.state) == ("github", "1", "open")
    assert ticket.url == "https://github.com/acme/shop/issues/1"

    assert _sweep(world, T0 + MIN) == 0  # not resolved yet
    world.set_issue(
        issue, status="resolved", resolved_at=T0 + 2 * MIN, status_changed_at=T0 + 2 * MIN
    )
    assert _sweep(world, T0 + 3 * MIN) == 1
    assert _sweep(world, T0 + 3 * MIN + 5) == 0  # queued once
    assert world.dispatch(T0 + 4 * MIN) == 1
    assert created.state == "closed" and created.state_reason == "completed"
    assert [t.state for t in _tickets(world, issue)] == ["closed"]
    assert _sweep(world, T0 + 5 * MIN) == 0

    # A regression, a new ticket (the old one is closed), resolved again: closed again.
    with write_transaction(world.engine) as conn:
        issue_tickets.record_ticket(
            conn,
            issue_id=issue,
            channel_id=channel_id,
            provider="github",
            reference="1",
            url="https://github.com/acme/shop/issues/1",
            state="open",
            now=T0 + 6 * MIN,
        )
    world.set_issue(issue, status="resolved", resolved_at=T0 + 7 * MIN)
    assert _sweep(world, T0 + 8 * MIN) == 1
    with read_connection(world.engine) as conn:
        keys = [
            r.idempotency_key
            for r in conn.execute(
                select(alert_deliveries).where(alert_deliveries.c.kind == "resolve")
            )
        ]
    assert len(set(keys)) == 2  # the second resolution is a delivery of its own
    assert world.dispatch(T0 + 9 * MIN) == 1
    assert [t.state for t in _tickets(world, issue)] == ["closed"]


def test_the_sweep_skips_unresolved_closed_and_disabled(
    world: DeliveryWorld, github: tuple[FakeService, GitHubFake]
) -> None:
    service, _fake = github
    channel_id = _ticket_channel(world, service)
    other = _ticket_channel(world, service, name="GitHub (old)")
    open_issue = world.issue("open one")
    done_closed = world.issue("resolved, ticket closed")
    done_disabled = world.issue("resolved, channel disabled")
    done = world.issue("resolved", first_seen=T0 - 100)
    with write_transaction(world.engine) as conn:
        for issue_id, channel, state in (
            (open_issue, channel_id, "open"),
            (done_closed, channel_id, "closed"),
            (done_disabled, other, "open"),
            (done, channel_id, "open"),
        ):
            issue_tickets.record_ticket(
                conn,
                issue_id=issue_id,
                channel_id=channel,
                provider="github",
                reference=str(issue_id),
                url="u",
                state=state,
                now=T0,
            )
        alert_channels.update_channel(conn, other, T0, enabled=False)
    for issue_id in (done_closed, done_disabled, done):
        world.set_issue(
            issue_id, status="resolved", resolved_at=T0 + MIN, resolved_in_release="2.4.1"
        )
    assert _sweep(world, T0 + 2 * MIN) == 1
    with read_connection(world.engine) as conn:
        [row] = conn.execute(select(alert_deliveries)).all()
    assert (row.kind, row.channel_id, row.issue_id) == ("resolve", channel_id, done)
    n = outbox.loads(row.notification)
    assert n.reference == str(done) and n.url == f"{PUBLIC}/issues/{done}"
    assert "2.4.1" in n.text and n.kind == "resolve"


def test_a_comment_keeps_the_tickets_link(world: DeliveryWorld) -> None:
    """GitLab's answer to a note has no URL: the ticket keeps the link it was opened with."""
    fake = GitLabFake(token=TOKEN)
    with serve(FakeService(fake)) as service:
        channel_id = world.channel(
            "gitlab", {"project": "acme/shop", "base_url": service.url}, {"token": TOKEN},
            role="ticket",
        )  # fmt: skip
        world.rule("new_issue", severity="P2", targets={"*": [channel_id]}, now=T0 - MIN)
        issue = world.issue("KeyError: 'sku'", first_seen=T0 - 5)
        world.fire(T0)
        assert world.dispatch(T0) == 1
        [ticket] = _tickets(world, issue)
        assert ticket.url == "https://gitlab.example/acme/shop/-/issues/1"
        again = Notification(
            kind="trigger", title="again", text="fired again", dedup_key="k",
            reference=ticket.reference, url=f"{PUBLIC}/issues/{issue}",
        )  # fmt: skip
        with write_transaction(world.engine) as conn:
            outbox.enqueue(
                conn, again, project_id=world.project_id, channel_id=channel_id,
                idempotency_key="again", now=T0 + MIN, issue_id=issue,
            )  # fmt: skip
        assert world.dispatch(T0 + MIN) == 1
    assert len(fake.tickets["1"].comments) == 1
    assert [(t.reference, t.url, t.state) for t in _tickets(world, issue)] == [
        ("1", "https://gitlab.example/acme/shop/-/issues/1", "open")
    ]


def test_github_down_then_back_opens_one_ticket_and_down_for_good_is_recorded(
    world: DeliveryWorld, github: tuple[FakeService, GitHubFake]
) -> None:
    service, fake = github
    channel_id = _ticket_channel(world, service)
    world.rule("new_issue", severity="P2", targets={"*": [channel_id]}, now=T0 - MIN)
    first = world.issue("first", first_seen=T0 - 5)
    world.fire(T0)
    service.fail(1, 502, b"<html>502 Bad Gateway</html>")
    assert world.dispatch(T0) == 1
    assert fake.tickets == {} and _tickets(world, first) == []
    assert world.dispatch(T0 + 5 * MIN) == 1  # the retry, after the backoff
    assert len(fake.tickets) == 1 and [t.state for t in _tickets(world, first)] == ["open"]

    second = world.issue("second", first_seen=T0 + 10 * MIN)
    world.fire(T0 + 10 * MIN + 5)
    service.fail(3, 503, b"", {"Retry-After": "1"})
    for minutes in (11, 20, 40):  # three attempts (alert_max_attempts=3), then failed
        world.dispatch(T0 + minutes * MIN)
    [delivery] = [d for d in world.deliveries() if d["issue_id"] == second]
    assert (delivery["status"], delivery["attempts"], delivery["status_code"]) == ("failed", 3, 503)
    assert len(fake.tickets) == 1 and _tickets(world, second) == []


def test_a_regression_reopens_the_closed_ticket(
    world: DeliveryWorld, github: tuple[FakeService, GitHubFake]
) -> None:
    service, fake = github
    channel_id = _ticket_channel(world, service)
    for condition in ("new_issue", "regression"):
        world.rule(condition, severity="P2", targets={"*": [channel_id]}, now=T0 - MIN)
    issue = world.issue("KeyError: 'sku'", first_seen=T0 - 5)
    world.fire(T0)
    world.dispatch(T0)
    world.set_issue(issue, status="resolved", resolved_at=T0 + MIN)
    assert _sweep(world, T0 + 2 * MIN) == 1
    world.dispatch(T0 + 2 * MIN)
    assert fake.tickets["1"].state == "closed"

    world.set_issue(  # what lifecycle/reopen.py writes for a regression
        issue, status="detected", is_regression=True, regressed_at=T0 + 10 * MIN, resolved_at=None
    )
    with write_transaction(world.engine) as conn:
        record(conn, [Activity(issue, world.project_id, "regression", T0 + 10 * MIN,
                               new_value="shop@2.0.0")])  # fmt: skip
    assert len(world.fire(T0 + 10 * MIN + 5)) == 1
    assert world.dispatch(T0 + 11 * MIN) == 1
    assert list(fake.tickets) == ["1"]  # the same ticket, not a second one
    assert (fake.tickets["1"].state, fake.tickets["1"].state_reason) == ("open", "reopened")
    assert "reopened by Faultbox" in fake.tickets["1"].comments[-1]
    assert [(t.reference, t.state) for t in _tickets(world, issue)] == [("1", "open")]


def test_a_burst_opens_one_ticket_per_issue_and_never_two_for_one(
    world: DeliveryWorld, github: tuple[FakeService, GitHubFake]
) -> None:
    """Ticket channels are not storm-grouped (a storm message would open a ticket for no
    issue), and a second firing queued before the first ticket existed comments on it."""
    service, fake = github
    channel_id = world.channel(
        "github",
        {"repository": "acme/shop", "api_url": service.url},
        {"token": TOKEN},
        role="ticket",
        storm_limit=2,
    )
    world.rule("new_issue", targets={"*": [channel_id]}, now=T0 - MIN)
    world.rule("regression", targets={"*": [channel_id]}, now=T0 - MIN)
    issues = [world.issue(f"burst {n}", first_seen=T0 - 5) for n in range(4)]
    assert len(world.fire(T0)) == 4
    # A second delivery for the first issue, queued before its ticket exists.
    with write_transaction(world.engine) as conn:
        outbox.enqueue(
            conn,
            Notification(kind="trigger", title="again", text="fired again", dedup_key="k"),
            project_id=world.project_id,
            channel_id=channel_id,
            idempotency_key="again",
            now=T0,
            issue_id=issues[0],
        )
    while world.dispatch(T0):
        pass
    assert sorted(t.title for t in fake.tickets.values()) == [
        f"ERR-{n + 1}: burst {n}" for n in range(4)
    ]
    assert [len(_tickets(world, issue)) for issue in issues] == [1, 1, 1, 1]
    [first] = [t for t in fake.tickets.values() if t.title.endswith("burst 0")]
    assert len(first.comments) == 1 and "fired again" in first.comments[0]
