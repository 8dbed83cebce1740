"""Create, change and show alert rules for the API and the dashboard: the rule is
checked by ``rules.validate`` and every channel it names (targets, escalation) must be
one of the rule's own project, so a rule can never page another team's channel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from faultbox.alerts.rules import validate
from faultbox.store import alert_rules as store
from faultbox.store.alert_channels import ChannelRow, project_channels
from faultbox.store.alert_rules import RuleRow

MAX_NAME = 200
# What a person may set; everything else of a rule (id, project, times) is ours.
FIELDS = (
    "name",
    "enabled",
    "condition",
    "params",
    "filter",
    "severity",
    "targets",
    "throttle_seconds",
    "quiet_windows",
    "escalation",
)


def named_channels(
    targets: Mapping[str, Sequence[int]] | None, escalation: Sequence[Mapping[str, Any]]
) -> set[int]:
    ids = {c for channels in (targets or {}).values() for c in channels}
    return ids | {c for level in escalation for c in level.get("channels", ())}


def check(conn: Connection, project_id: int, values: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` (a message for the rule's author) unless the rule is sound."""
    name = str(values.get("name") or "")
    if not name.strip():
        raise ValueError("name: required")
    if len(name) > MAX_NAME:
        raise ValueError(f"name: at most {MAX_NAME} characters")
    escalation = list(values.get("escalation") or ())
    validate(
        str(values.get("condition") or ""),
        values.get("params") or {},
        filter=values.get("filter") or "",
        severity=values.get("severity"),
        targets=values.get("targets"),
        quiet_windows=values.get("quiet_windows") or (),
        throttle_seconds=int(values.get("throttle_seconds") or 0),
        escalation=escalation,
    )
    own = {c.id for c in project_channels(conn, project_id)}
    foreign = sorted(named_channels(values.get("targets"), escalation) - own)
    if foreign:
        listed = ", ".join(str(c) for c in foreign)
        raise ValueError(f"no channel {listed} in this project (targets and escalation)")


def create(
    conn: Connection,
    project_id: int,
    values: Mapping[str, Any],
    *,
    now: float,
    created_by: int | None = None,
) -> int:
    check(conn, project_id, values)
    return store.create_rule(
        conn,
        project_id=project_id,
        name=str(values["name"]).strip(),
        condition=values["condition"],
        now=now,
        params=values.get("params") or {},
        filter=values.get("filter") or "",
        severity=values.get("severity"),
        targets=values.get("targets") or None,
        throttle_seconds=int(values.get("throttle_seconds") or 0),
        quiet_windows=values.get("quiet_windows") or None,
        enabled=bool(values.get("enabled", True)),
        created_by=created_by,
        escalation=values.get("escalation") or None,
    )


# What an explicit null means for a field that cannot be empty in the table.
_EMPTY: dict[str, Any] = {
    "params": {},
    "filter": "",
    "throttle_seconds": 0,
    "quiet_windows": [],
    "escalation": [],
    "name": "",
    "condition": "",
}


def as_values(rule: RuleRow) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in FIELDS}


def change(conn: Connection, rule: RuleRow, changes: Mapping[str, Any], *, now: float) -> None:
    """Fields not in ``changes`` keep their value; the result is checked whole."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValueError(f"not a rule field: {', '.join(sorted(unknown))}")
    values = {
        key: _EMPTY.get(key, value) if value is None else value for key, value in changes.items()
    }
    if "enabled" in values and not isinstance(values["enabled"], bool):
        raise ValueError("enabled: true or false")
    merged = {**as_values(rule), **values}
    check(conn, rule.project_id, merged)
    if "name" in values:
        values["name"] = str(values["name"]).strip()
    store.update_rule(conn, rule.id, now, **values)


def rules_naming(conn: Connection, channel: ChannelRow) -> list[RuleRow]:
    """The rules of the channel's project that send to it (targets or escalation)."""
    return [
        rule
        for rule in store.project_rules(conn, channel.project_id)
        if channel.id in named_channels(rule.targets, rule.escalation)
    ]


def view(rule: RuleRow, last_fired_at: float | None = None) -> dict[str, Any]:
    return {
        "id": rule.id,
        **as_values(rule),
        "targets": rule.targets or {},
        "created_at": rule.created_at,
        "last_fired_at": last_fired_at,
    }
