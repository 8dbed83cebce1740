"""Incidents from real firings: a project with channels, a P1 rule (one subject per
issue) with escalation levels, an event that fires it, and the fan-out that pages
(with signed acknowledge links); reads of what the outbox and the timeline hold."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from faultbox.alerts import ack_links, channel_admin, outbox
from faultbox.alerts.channels.base import Notification
from faultbox.alerts.fanout import fan_out
from faultbox.store import incidents as incident_store
from faultbox.store.accounts import create_user
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.incidents import IncidentRow
from faultbox.store.schema import alert_deliveries, incidents
from tests.integration.alerts.rules_support import T0, AlertStore

SECRET = "test-server-secret-key"
PUBLIC_URL = "https://faultbox.example"
ROUTING_KEY = "R0123456789abcdef0123456789abcde"


class Paging(AlertStore):
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
                SECRET,
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
                    public_url=PUBLIC_URL,
                    ack_url=lambda incident_id: ack_links.url_for(
                        PUBLIC_URL, SECRET, incident_id, now
                    ),
                )
        return ids

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


def notification_of(delivery: Mapping[str, Any]) -> Notification:
    return outbox.loads(str(delivery["notification"]))
