"""Put a notification in the outbox for a channel, and read it back for sending.

A notification is stored whole (JSON) when it is enqueued, in the same transaction
as the firing that caused it: what is sent later is what was decided then, and a
firing recorded is a delivery enqueued (or neither, if the transaction fails)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from sqlalchemy import Connection

from faultbox.alerts.channels.base import DigestItem, Notification
from faultbox.store import alert_deliveries


def dumps(notification: Notification) -> str:
    return json.dumps(dataclasses.asdict(notification), separators=(",", ":"))


def loads(text: str) -> Notification:
    data: dict[str, Any] = json.loads(text)
    data["items"] = tuple(DigestItem(**item) for item in data.get("items", ()))
    known = {f.name for f in dataclasses.fields(Notification)}
    return Notification(**{k: v for k, v in data.items() if k in known})


def enqueue(
    conn: Connection,
    notification: Notification,
    *,
    project_id: int,
    channel_id: int,
    idempotency_key: str,
    now: float,
    not_before: float | None = None,
    firing_id: int | None = None,
    incident_id: int | None = None,
    issue_id: int | None = None,
) -> int | None:
    """The delivery's id; None when this channel already has ``idempotency_key``
    (the same firing, acknowledgement or resolution is never queued twice)."""
    return alert_deliveries.enqueue(
        conn,
        project_id=project_id,
        channel_id=channel_id,
        kind=notification.kind,
        idempotency_key=idempotency_key,
        notification=dumps(notification),
        now=now,
        not_before=not_before,
        firing_id=firing_id,
        incident_id=incident_id,
        issue_id=issue_id,
    )
