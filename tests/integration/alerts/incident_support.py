"""Incidents from real firings: a project with channels, a P1 rule (one subject per
issue) with escalation levels, an event that fires it, and the fan-out that pages
(with signed acknowledge links); reads of what the outbox and the timeline hold."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update

from faultbox.alerts import ack_links, channel_admin, outbox
from faultbox.alerts.channels.base import Notification
from faultbox.alerts.fanout import fan_out
from faultbox.config import load_settings
from faultbox.query.dsn import dsn_for
from faultbox.store import incidents as incident_store
from faultbox.store import migrate
from faultbox.store.accounts import create_user
from faultbox.store.db import open_engine, read_connection, write_transaction
from faultbox.store.incidents import IncidentRow
from faultbox.store.schema import alert_deliveries, incidents
from tests.integration.alerts.rules_support import T0, AlertStore
from tests.support import LiveServer, free_port, seed, start_server

SECRET = "test-server-secret-key"
PUBLIC_URL = "https://faultbox.example"
ROUTING_KEY = "R0123456789abcdef0123456789abcde"


class Paging(AlertStore):
    def __init__(
        self,
        engine: Engine,
        project_id: int | None = None,
        secret: str = SECRET,
        public_url: str = PUBLIC_URL,
    ) -> None:
        """A new project "shop", or issues and channels in an existing one; channel
        secrets sealed with ``secret`` (a server's own, for its dispatcher to send)."""
        self.secret = secret
        self.public_url = public_url
        if project_id is None:
            super().__init__(engine)
            return
        self.engine = engine
        self._short = 1000
        self.project_id = project_id

    def channel(
        self,
        name: str,
        kind: str = "slack",
        *,
        role: str | None = "chat",
        config: Mapping[str, Any] | None = None,
        secrets: Mapping[str, Any] | None = None,
    ) -> int:
        default_secrets: dict[str, dict[str, Any]] = {
            "slack": {"webhook_url": "https://hooks.slack.com/services/T0/B0/x"},
            "pagerduty": {"routing_key": ROUTING_KEY},
        }
        with write_transaction(self.engine) as conn:
            return channel_admin.create(
                conn,
                self.secret,
                project_id=self.project_id,
                name=name,
                kind=kind,
                config=dict(config or {}),
                secrets=dict(secrets if secrets is not None else default_secrets[kind]),
                now=T0 - 86400,
                role=role,
            )

    def paging_rule(
        self,
        *,
        escalation: Sequence[Mapping[str, Any]] | None = None,
        severity: str = "P1",
        targets: Mapping[str, Sequence[int]] | None = None,
    ) -> int:
        return self.rule(
            "threshold",
            {"count": 0, "window": 60, "group_by": "issue"},
            severity=severity,
            escalation=escalation,
            targets=targets,
        )

    def user(self, email: str) -> int:
        with write_transaction(self.engine) as conn:
            return create_user(conn, email=email, password_hash="x", is_superuser=False).id

    def fire(self, issue_id: int, now: float) -> list[int]:
        """An event of the issue at ``now``, evaluated and fanned out: the deliveries."""
        self.events(issue_id, [now])
        firings = self.evaluate(now)
        ids: list[int] = []
        with write_transaction(self.engine) as conn:
            for firing in firings:
                ids += fan_out(
                    conn,
                    firing,
                    now=now,
                    public_url=self.public_url,
                    ack_url=lambda incident_id: ack_links.url_for(
                        self.public_url, self.secret, incident_id, now
                    ),
                )
        return ids

    def mark_sent(self, now: float) -> None:
        """Every pending delivery sent, as the dispatcher would record it."""
        with write_transaction(self.engine) as conn:
            conn.execute(
                update(alert_deliveries)
                .where(alert_deliveries.c.status == "pending")
                .values(status="sent", sent_at=now, updated_at=now)
            )

    def only_incident(self) -> IncidentRow:
        with read_connection(self.engine) as conn:
            [incident_id] = conn.execute(select(incidents.c.id)).scalars().all()
            found = incident_store.get_incident(conn, int(incident_id))
        assert found is not None
        return found

    def incident(self, incident_id: int) -> IncidentRow:
        with read_connection(self.engine) as conn:
            found = incident_store.get_incident(conn, incident_id)
        assert found is not None
        return found

    def deliveries(self, **where: Any) -> list[dict[str, Any]]:
        """Outbox rows (oldest first), filtered by column values."""
        query = select(alert_deliveries).order_by(alert_deliveries.c.id)
        for column, value in where.items():
            query = query.where(alert_deliveries.c[column] == value)
        with read_connection(self.engine) as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def timeline(self, incident_id: int) -> list[dict[str, Any]]:
        with read_connection(self.engine) as conn:
            return incident_store.timeline(conn, incident_id)

    def open_page(
        self,
        issue_id: int | None,
        channel_ids: Sequence[int],
        now: float,
        title: str = "",
        *,
        sent: bool = True,
    ) -> int:
        """An incident opened as the fan-out opens one (without a rule, so a live
        server's own alert worker has nothing to evaluate), paged to ``channel_ids``
        (the pages recorded as sent, unless ``sent`` is false)."""
        with write_transaction(self.engine) as conn:
            incident_id = incident_store.open_incident(
                conn,
                project_id=self.project_id,
                issue_id=issue_id,
                rule_id=None,
                firing_id=None,
                severity="P1",
                title=title or f"page for issue {issue_id}",
                dedup_key=f"faultbox-{self.project_id}-0-issue:{issue_id}:{now}",
                now=now,
                next_escalation_at=None,
            )
            incident_store.add_event(conn, incident_id, "opened", now, detail="by a test")
            message = Notification(
                kind="trigger",
                title=title or f"page for issue {issue_id}",
                text="",
                dedup_key=f"faultbox-{self.project_id}-0-issue:{issue_id}:{now}",
                severity="P1",
                url=f"{PUBLIC_URL}/issues/{issue_id}",
                ack_url=ack_links.url_for(PUBLIC_URL, SECRET, incident_id, now),
            )
            for channel_id in channel_ids:
                outbox.enqueue(
                    conn,
                    message,
                    project_id=self.project_id,
                    channel_id=channel_id,
                    idempotency_key=f"test:{incident_id}",
                    now=now,
                    incident_id=incident_id,
                    issue_id=issue_id,
                )
        if sent:
            self.mark_sent(now)
        return incident_id


def notification_of(delivery: Mapping[str, Any]) -> Notification:
    return outbox.loads(str(delivery["notification"]))


@contextmanager
def quiet_server(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    """A live server without the digest/alert worker: nothing is evaluated, sent or
    escalated behind the test's back (it runs the jobs itself, at pinned times)."""
    port = free_port()
    settings = load_settings(
        {"data_dir": str(tmp_path / "data"), "database_url": database_url, "port": port},
        environ={},
    )
    engine = open_engine(database_url)
    migrate.upgrade(engine)
    project, token = seed(engine, settings.public_url)
    server, thread, app = start_server(settings, worker="none")
    try:
        dsn = dsn_for(settings.public_url, project)
        yield LiveServer(settings.public_url, settings, engine, project, dsn or "", token, app)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        engine.dispose()
