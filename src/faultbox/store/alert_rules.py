"""Alert rules, their per-subject state and the firings they recorded (alerts/)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, func, select, update

from faultbox.store.schema import alert_firings, alert_rule_state, alert_rules


@dataclass(frozen=True, slots=True)
class RuleRow:
    id: int
    project_id: int
    name: str
    enabled: bool
    condition: str
    params: dict[str, Any]
    filter: str
    severity: str | None
    targets: dict[str, list[int]] | None
    throttle_seconds: int
    quiet_windows: list[dict[str, str]]
    created_at: float
    # [{"after_minutes": 15, "channels": [ids]}, …]: the levels after the first page
    escalation: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StateRow:
    subject: str
    active: bool
    last_fired_at: float | None
    last_value: float | None


def create_rule(
    conn: Connection,
    *,
    project_id: int,
    name: str,
    condition: str,
    now: float,
    params: Mapping[str, Any] | None = None,
    filter: str = "",
    severity: str | None = None,
    targets: Mapping[str, Sequence[int]] | None = None,
    throttle_seconds: int = 0,
    quiet_windows: Sequence[Mapping[str, str]] | None = None,
    enabled: bool = True,
    created_by: int | None = None,
    escalation: Sequence[Mapping[str, Any]] | None = None,
) -> int:
    result = conn.execute(
        alert_rules.insert().values(
            project_id=project_id,
            name=name,
            enabled=enabled,
            condition=condition,
            params=json.dumps(dict(params or {})),
            filter=filter,
            severity=severity,
            targets=json.dumps({k: list(v) for k, v in targets.items()}) if targets else None,
            throttle_seconds=throttle_seconds,
            quiet_windows=json.dumps([dict(w) for w in quiet_windows]) if quiet_windows else None,
            created_by=created_by,
            escalation=json.dumps([dict(level) for level in escalation]) if escalation else None,
            created_at=now,
            updated_at=now,
        )
    )
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def enabled_rules(conn: Connection, project_id: int | None = None) -> list[RuleRow]:
    query = select(alert_rules).where(alert_rules.c.enabled.is_(True)).order_by(alert_rules.c.id)
    if project_id is not None:
        query = query.where(alert_rules.c.project_id == project_id)
    return [_rule(row._mapping) for row in conn.execute(query)]


def _rule(row: RowMapping) -> RuleRow:
    return RuleRow(
        id=int(row["id"]),
        project_id=int(row["project_id"]),
        name=row["name"],
        enabled=bool(row["enabled"]),
        condition=row["condition"],
        params=json.loads(row["params"] or "{}"),
        filter=row["filter"] or "",
        severity=row["severity"],
        targets=json.loads(row["targets"]) if row["targets"] else None,
        throttle_seconds=int(row["throttle_seconds"]),
        quiet_windows=json.loads(row["quiet_windows"]) if row["quiet_windows"] else [],
        created_at=float(row["created_at"]),
        escalation=json.loads(row["escalation"]) if row["escalation"] else [],
    )


def states(conn: Connection, rule_id: int) -> dict[str, StateRow]:
    rows = conn.execute(select(alert_rule_state).where(alert_rule_state.c.rule_id == rule_id))
    return {
        r.subject: StateRow(r.subject, bool(r.active), r.last_fired_at, r.last_value) for r in rows
    }


def save_state(
    conn: Connection,
    rule_id: int,
    subject: str,
    *,
    exists: bool,
    active: bool,
    value: float | None,
    now: float,
    fired_at: float | None = None,
) -> None:
    values: dict[str, Any] = {"active": active, "last_value": value, "updated_at": now}
    if fired_at is not None:
        values["last_fired_at"] = fired_at
    if exists:
        conn.execute(
            update(alert_rule_state)
            .where(alert_rule_state.c.rule_id == rule_id, alert_rule_state.c.subject == subject)
            .values(**values)
        )
    else:
        conn.execute(alert_rule_state.insert().values(rule_id=rule_id, subject=subject, **values))


def has_firing(conn: Connection, rule_id: int, dedup_key: str) -> bool:
    found = conn.execute(
        select(alert_firings.c.id).where(
            alert_firings.c.rule_id == rule_id, alert_firings.c.dedup_key == dedup_key
        )
    ).first()
    return found is not None


def recorded_keys(conn: Connection, rule_id: int, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` the rule has already recorded a firing for."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = list(keys[start : start + 500])
        found.update(
            conn.execute(
                select(alert_firings.c.dedup_key).where(
                    alert_firings.c.rule_id == rule_id, alert_firings.c.dedup_key.in_(chunk)
                )
            ).scalars()
        )
    return found


def record_firing(
    conn: Connection,
    *,
    rule_id: int,
    project_id: int,
    subject: str,
    fired_at: float,
    value: float,
    threshold: float,
    issue_id: int | None,
    severity: str,
    explanation: str,
    dedup_key: str,
    suppressed: str | None = None,
) -> int:
    result = conn.execute(
        alert_firings.insert().values(
            rule_id=rule_id,
            project_id=project_id,
            subject=subject,
            fired_at=fired_at,
            value=value,
            threshold=threshold,
            issue_id=issue_id,
            severity=severity,
            explanation=explanation,
            dedup_key=dedup_key,
            suppressed=suppressed,
        )
    )
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def firings(conn: Connection, rule_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(alert_firings).where(alert_firings.c.rule_id == rule_id).order_by(alert_firings.c.id)
    )
    return [dict(r._mapping) for r in rows]


def get_rule(conn: Connection, rule_id: int) -> RuleRow | None:
    row = conn.execute(select(alert_rules).where(alert_rules.c.id == rule_id)).first()
    return _rule(row._mapping) if row is not None else None


def project_rules(conn: Connection, project_id: int) -> list[RuleRow]:
    """All of a project's rules, disabled ones too (the API and the dashboard list)."""
    rows = conn.execute(
        select(alert_rules).where(alert_rules.c.project_id == project_id).order_by(alert_rules.c.id)
    )
    return [_rule(row._mapping) for row in rows]


_JSON_COLUMNS = ("params", "targets", "quiet_windows", "escalation")


def update_rule(conn: Connection, rule_id: int, now: float, **values: Any) -> None:
    """``values``: any of name, enabled, condition, params, filter, severity, targets,
    throttle_seconds, quiet_windows, escalation (JSON columns given as Python values;
    an empty targets/quiet_windows/escalation is stored as NULL, as create_rule does)."""
    for key in _JSON_COLUMNS:
        if key in values:
            value = values[key]
            if key == "params":
                values[key] = json.dumps(dict(value or {}))
            else:
                values[key] = json.dumps(value) if value else None
    conn.execute(
        update(alert_rules).where(alert_rules.c.id == rule_id).values(updated_at=now, **values)
    )


def delete_rule(conn: Connection, rule_id: int) -> bool:
    """Its state and firings go with it; deliveries and incidents keep their rows."""
    deleted = conn.execute(delete(alert_rules).where(alert_rules.c.id == rule_id))
    return deleted.rowcount > 0


def firings_page(
    conn: Connection, rule_id: int, *, limit: int = 50, before_id: int | None = None
) -> list[dict[str, Any]]:
    """A rule's firings newest first (keyset on id, which grows with fired_at)."""
    query = select(alert_firings).where(alert_firings.c.rule_id == rule_id)
    if before_id is not None:
        query = query.where(alert_firings.c.id < before_id)
    rows = conn.execute(query.order_by(alert_firings.c.id.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]


def last_fired(conn: Connection, project_id: int) -> dict[int, float]:
    """When each of a project's rules last fired (suppressed firings count too)."""
    c = alert_firings.c
    rows = conn.execute(
        select(c.rule_id, func.max(c.fired_at))
        .where(c.project_id == project_id)
        .group_by(c.rule_id)
    )
    return {int(rule_id): float(at) for rule_id, at in rows}
