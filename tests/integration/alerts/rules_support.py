"""A project with issues and events written straight into the store, alert rules on
it, and ``evaluate`` at a given time (the clock pinned there too)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, update

from faultbox import clock
from faultbox.alerts.evaluate import evaluate_rules
from faultbox.alerts.model import Firing
from faultbox.store import alert_rules
from faultbox.store.accounts import ensure_team
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.projects import create_project
from faultbox.store.schema import events, issue_tags, issues

T0 = 1_800_000_000.0  # 2027-01-15 08:00 UTC
MIN = 60.0
H = 3600.0
DAY = 86400.0


class AlertStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._short = 0
        with write_transaction(engine) as conn:
            self.project_id = create_project(
                conn, name="shop", team_id=ensure_team(conn, "core")
            ).id

    def issue(
        self,
        title: str = "boom",
        *,
        service: str = "payments",
        level: str = "error",
        first_seen: float = T0 - 30 * DAY,
        **columns: Any,
    ) -> int:
        self._short += 1
        with write_transaction(self.engine) as conn:
            issue_id = int(
                conn.execute(
                    issues.insert().values(
                        project_id=self.project_id,
                        short_id=self._short,
                        title=title,
                        level=level,
                        status="detected",
                        first_seen=first_seen,
                        last_seen=first_seen,
                        times_seen=0,
                        users_seen=0,
                        grouping_version="v1",
                        **columns,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
            for key, value in (("service", service), ("level", level)):
                conn.execute(
                    issue_tags.insert().values(
                        issue_id=issue_id,
                        key=key,
                        value=value,
                        times_seen=1,
                        first_seen=first_seen,
                        last_seen=first_seen,
                    )
                )
        return issue_id

    def events(
        self,
        issue_id: int,
        times: Iterable[float],
        *,
        service: str = "payments",
        level: str = "error",
        user_key: str | None = None,
    ) -> None:
        rows = [
            {
                "project_id": self.project_id,
                "event_id": uuid.uuid4().hex,
                "issue_id": issue_id,
                "timestamp": t,
                "received_at": t,
                "level": level,
                "service": service,
                "user_key": user_key,
                "title": "boom",
                "grouping_hash": "h",
                "payload": b"",
            }
            for t in times
        ]
        if rows:
            with write_transaction(self.engine) as conn:
                conn.execute(events.insert(), rows)

    def set_issue(self, issue_id: int, **values: Any) -> None:
        with write_transaction(self.engine) as conn:
            conn.execute(update(issues).where(issues.c.id == issue_id).values(**values))

    def rule(self, condition: str, params: Mapping[str, Any] | None = None, **options: Any) -> int:
        with write_transaction(self.engine) as conn:
            return alert_rules.create_rule(
                conn,
                project_id=self.project_id,
                name=f"{condition} rule",
                condition=condition,
                params=params,
                now=options.pop("now", T0 - 60 * DAY),
                **options,
            )

    def evaluate(self, now: float) -> list[Firing]:
        clock.pin(now)
        with write_transaction(self.engine) as conn:
            return evaluate_rules(conn, now)

    def firings(self, rule_id: int) -> list[dict[str, Any]]:
        with read_connection(self.engine) as conn:
            return alert_rules.firings(conn, rule_id)


def spread(start: float, end: float, n: int) -> list[float]:
    """``n`` times evenly inside ``(start, end)``."""
    step = (end - start) / (n + 1)
    return [start + step * (i + 1) for i in range(n)]
