"""An alerting world for delivery tests: the rules store of ``rules_support``, settings
with a known secret key, channels pointing at local fakes, and the steps a worker takes
(evaluate + fan out, dispatch) at a given time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from faultbox import clock
from faultbox.alerts import channel_admin
from faultbox.alerts.dispatch import Dispatcher
from faultbox.alerts.evaluate import evaluate_rules
from faultbox.alerts.fanout import fan_out
from faultbox.config import Settings, load_settings
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.schema import alert_deliveries, incident_events, incidents
from tests.integration.alerts.rules_support import AlertStore

SECRET_KEY = "test-secret-key-for-sealing-channel-secrets-0123456789"


class DeliveryWorld(AlertStore):
    def __init__(self, engine: Engine, tmp_path: Path, **overrides: Any) -> None:
        super().__init__(engine)
        self.settings: Settings = load_settings(
            {
                "data_dir": str(tmp_path / "data"),
                "database_url": engine.url.render_as_string(hide_password=False),
                "secret_key": SECRET_KEY,
                **overrides,
            },
            environ={},
        )
        self.dispatcher = Dispatcher(engine, self.settings, owner="test-dispatcher")

    def channel(
        self, kind: str, config: dict[str, Any], secrets: dict[str, Any], **options: Any
    ) -> int:
        with write_transaction(self.engine) as conn:
            return channel_admin.create(
                conn,
                SECRET_KEY,
                project_id=self.project_id,
                name=options.pop("name", f"{kind} channel"),
                kind=kind,
                config=config,
                secrets=secrets,
                now=options.pop("now", 0.0),
                **options,
            )

    def fire(self, now: float) -> list[int]:
        """Evaluate every rule at ``now`` and fan the firings out; the delivery ids."""
        clock.pin(now)
        ids: list[int] = []
        with write_transaction(self.engine) as conn:
            for firing in evaluate_rules(conn, now):
                ids += fan_out(conn, firing, now=now, public_url="https://faultbox.example")
        return ids

    def dispatch(self, now: float) -> int:
        return self.dispatcher.run_once(now)

    def deliveries(self) -> list[dict[str, Any]]:
        with read_connection(self.engine) as conn:
            rows = conn.execute(select(alert_deliveries).order_by(alert_deliveries.c.id))
            return [dict(r._mapping) for r in rows]

    def incidents(self) -> list[dict[str, Any]]:
        with read_connection(self.engine) as conn:
            return [dict(r._mapping) for r in conn.execute(select(incidents))]

    def timeline(self) -> list[str]:
        with read_connection(self.engine) as conn:
            rows = conn.execute(select(incident_events).order_by(incident_events.c.id))
            return [r.kind for r in rows]
