"""PagerDuty Events API v2: trigger, acknowledge and resolve one alert by its dedup key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import orjson

from faultbox import clock
from faultbox.alerts.channels.base import (
    DEFAULT_TIMEOUT,
    ConfigKey,
    DeliveryResult,
    Notification,
    misconfigured,
    post_json,
    truncate,
)

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
SUMMARY_LIMIT = 1024
DEDUP_LIMIT = 255
DETAIL_LIMIT = 2000
SEVERITY_BY_PRIORITY = {"P0": "critical", "P1": "error", "P2": "warning", "P3": "info"}
SEVERITY_BY_LEVEL = {"fatal": "critical", "error": "error", "warning": "warning"}


def severity(notification: Notification) -> str:
    if notification.severity in SEVERITY_BY_PRIORITY:
        return SEVERITY_BY_PRIORITY[notification.severity]
    return SEVERITY_BY_LEVEL.get(notification.level, "info")


def dedup_key(notification: Notification) -> str:
    key = notification.dedup_key + (":test" if notification.kind == "test" else "")
    return key[:DEDUP_LIMIT]


def payload(notification: Notification, routing_key: str, source: str = "") -> dict[str, Any]:
    n = notification
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "trigger" if n.kind == "test" else n.kind,
        "dedup_key": dedup_key(n),
    }
    if n.kind in ("acknowledge", "resolve"):
        return event  # PagerDuty needs only the key to acknowledge or resolve
    title = ("[test] " if n.kind == "test" else "") + n.title
    details: dict[str, Any] = {k: truncate(v, DETAIL_LIMIT) for k, v in n.fields()}
    if n.text:
        details["text"] = truncate(n.text, DETAIL_LIMIT)
    if n.items:
        details["issues"] = [truncate(item.title, 200) for item in n.items[:50]]
    event["payload"] = {
        "summary": truncate(title, SUMMARY_LIMIT) or "Faultbox alert",
        "source": truncate(source or n.project or "faultbox", 255),
        "severity": severity(n),
        "timestamp": dt.datetime.fromtimestamp(clock.now(), dt.UTC).isoformat(),
        "component": truncate(n.culprit, 255) or None,
        "group": n.project or None,
        "class": n.level or None,
        "custom_details": details,
    }
    event["payload"] = {k: v for k, v in event["payload"].items() if v is not None}
    event["client"] = "Faultbox"
    if n.url:
        event["client_url"] = n.url
        event["links"] = [{"href": n.url, "text": "Open the issue in Faultbox"}]
    return event


class PagerDutyChannel:
    name = "pagerduty"
    keys: tuple[ConfigKey, ...] = (
        ConfigKey("routing_key", required=True, secret=True, help="Events API v2 integration key"),
        ConfigKey("source", help="payload.source (default: the project)"),
        ConfigKey("events_url", url=True, help=f"default {EVENTS_URL}"),
    )

    def send(
        self,
        notification: Notification,
        config: Mapping[str, Any],
        secrets: Mapping[str, Any],
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> DeliveryResult:
        routing_key = secrets.get("routing_key")
        if not routing_key:
            return misconfigured("pagerduty: routing_key is missing")
        body = orjson.dumps(payload(notification, str(routing_key), str(config.get("source", ""))))
        url = str(config.get("events_url") or EVENTS_URL)
        return post_json(url, body, ok_statuses=(202,), timeout=timeout, secrets=secrets.values())
