"""Opsgenie Alert API v2: create with ``alias`` = dedup key; acknowledge and close by alias."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import orjson

from faultbox.alerts.channels.base import (
    DEFAULT_TIMEOUT,
    ConfigKey,
    DeliveryResult,
    Notification,
    misconfigured,
    post_json,
    truncate,
)

API_URLS = {"us": "https://api.opsgenie.com", "eu": "https://api.eu.opsgenie.com"}
MESSAGE_LIMIT = 130
ALIAS_LIMIT = 512
DESCRIPTION_LIMIT = 15000
DETAIL_LIMIT = 500  # ten fields stay under the 8000 characters Opsgenie takes for details
SOURCE = "Faultbox"
PRIORITY_BY_SEVERITY = {"P0": "P1", "P1": "P2", "P2": "P3", "P3": "P4"}
PRIORITY_BY_LEVEL = {"fatal": "P1", "error": "P3", "warning": "P4"}


def priority(notification: Notification) -> str:
    if notification.kind == "test":
        return "P5"
    if notification.severity in PRIORITY_BY_SEVERITY:
        return PRIORITY_BY_SEVERITY[notification.severity]
    return PRIORITY_BY_LEVEL.get(notification.level, "P5")


def alias(notification: Notification) -> str:
    key = notification.dedup_key + (":test" if notification.kind == "test" else "")
    return key[:ALIAS_LIMIT]


def create_payload(notification: Notification) -> dict[str, Any]:
    n = notification
    description = n.text
    if n.items:
        description += "\n\n" + "\n".join(f"- {item.title}" for item in n.items[:50])
    if n.url:
        description += f"\n\n{n.url}"
    title = ("[test] " if n.kind == "test" else "") + n.title
    body: dict[str, Any] = {
        "message": truncate(title, MESSAGE_LIMIT) or "Faultbox alert",
        "alias": alias(n),
        "description": truncate(description.strip(), DESCRIPTION_LIMIT),
        "details": {k: truncate(v, DETAIL_LIMIT) for k, v in n.fields()},
        "source": SOURCE,
        "priority": priority(n),
        "tags": [t for t in ("faultbox", n.environment[:50], n.level[:50]) if t],
    }
    if n.culprit:
        body["entity"] = truncate(n.culprit, 512)
    return body


def request(notification: Notification, base_url: str) -> tuple[str, dict[str, Any]]:
    """The URL and JSON body for a notification's kind."""
    base = base_url.rstrip("/")
    if notification.kind in ("trigger", "test"):
        return f"{base}/v2/alerts", create_payload(notification)
    action = "close" if notification.kind == "resolve" else "acknowledge"
    key = quote(alias(notification), safe="")
    url = f"{base}/v2/alerts/{key}/{action}?identifierType=alias"
    return url, {"source": SOURCE, "note": truncate(notification.text, 25000) or action}


class OpsgenieChannel:
    name = "opsgenie"
    keys: tuple[ConfigKey, ...] = (
        ConfigKey("api_key", required=True, secret=True, help="API integration key (GenieKey)"),
        ConfigKey("region", choices=("us", "eu"), help="us (default) or eu"),
        ConfigKey("api_url", url=True, help="overrides the region's base URL"),
    )

    def send(
        self,
        notification: Notification,
        config: Mapping[str, Any],
        secrets: Mapping[str, Any],
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> DeliveryResult:
        api_key = secrets.get("api_key")
        if not api_key:
            return misconfigured("opsgenie: api_key is missing")
        base = str(config.get("api_url") or API_URLS.get(str(config.get("region") or "us"), ""))
        if not base:
            return misconfigured("opsgenie: region must be us or eu")
        url, body = request(notification, base)
        return post_json(
            url,
            orjson.dumps(body),
            headers={"Authorization": f"GenieKey {api_key}"},
            ok_statuses=(200, 202),
            timeout=timeout,
            secrets=secrets.values(),
        )
