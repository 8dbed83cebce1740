"""Microsoft Teams incoming webhook (Workflows or the older connector): a ``message``
whose ``attachments`` hold one Adaptive Card."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

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

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
TEXT_LIMIT = 3000  # a card must stay under Teams' 28 KB message limit
TITLE_LIMIT = 200
MAX_DIGEST_ITEMS = 20

_PREFIX = {
    "trigger": "",
    "acknowledge": "Acknowledged: ",
    "resolve": "Resolved: ",
    "test": "Test: ",
}


def payload(notification: Notification) -> dict[str, Any]:
    n = notification
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": truncate(_PREFIX[n.kind] + n.title, TITLE_LIMIT),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    if n.text:
        body.append({"type": "TextBlock", "text": truncate(n.text, TEXT_LIMIT), "wrap": True})
    facts = [{"title": k, "value": truncate(v, 500)} for k, v in n.fields()]
    if facts:
        body.append({"type": "FactSet", "facts": facts})
    for item in n.items[:MAX_DIGEST_ITEMS]:
        count = f" ({item.event_count} events)" if item.event_count else ""
        body.append({"type": "TextBlock", "text": truncate(item.title, 200) + count, "wrap": True})
    if len(n.items) > MAX_DIGEST_ITEMS:
        more = len(n.items) - MAX_DIGEST_ITEMS
        body.append({"type": "TextBlock", "text": f"… and {more} more", "wrap": True})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    actions = []
    if n.url:
        actions.append({"type": "Action.OpenUrl", "title": "Open issue", "url": n.url})
    if n.ack_url.startswith(("https://", "http://")):
        actions.append({"type": "Action.OpenUrl", "title": "Acknowledge", "url": n.ack_url})
    if actions:
        card["actions"] = actions
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
    }


class TeamsChannel:
    name = "teams"
    keys: tuple[ConfigKey, ...] = (
        ConfigKey("webhook_url", required=True, secret=True, url=True, help="Incoming webhook URL"),
    )

    def send(
        self,
        notification: Notification,
        config: Mapping[str, Any],
        secrets: Mapping[str, Any],
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> DeliveryResult:
        url = secrets.get("webhook_url")
        if not url:
            return misconfigured("teams: webhook_url is missing")
        body = orjson.dumps(payload(notification))
        result = post_json(
            str(url), body, ok_statuses=(200, 202), timeout=timeout, secrets=secrets.values()
        )
        # The older Office 365 connector answers 200 with the failure in the body
        # ("Webhook message delivery failed with error: … HTTP error 429 …"): a retry.
        if result.ok and "delivery failed" in result.response:
            return replace(result, ok=False)
        return result
