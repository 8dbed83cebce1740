"""Sentry envelopes (``POST /api/<project>/envelope/``): what any Sentry-compatible server
accepts, and the format that carries structured frames, locals and breadcrumbs as such.
One event per envelope, as Relay requires."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from faultbox_sdk.version import SDK_NAME, VERSION


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), default=str).encode()


def envelope_body(event: dict[str, Any], dsn: str, sent_at: float) -> bytes:
    payload = _dumps({k: v for k, v in event.items() if not k.startswith("_")})
    header = {
        "event_id": event["event_id"],
        "dsn": dsn,
        "sent_at": datetime.fromtimestamp(sent_at, timezone.utc).isoformat(),
        "sdk": {"name": SDK_NAME, "version": VERSION},
    }
    item = {"type": "event", "length": len(payload), "content_type": "application/json"}
    return b"\n".join([_dumps(header), _dumps(item), payload]) + b"\n"


def auth_header(public_key: str) -> str:
    return f"Sentry sentry_key={public_key}, sentry_version=7, sentry_client={SDK_NAME}/{VERSION}"
