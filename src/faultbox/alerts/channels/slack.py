"""Slack incoming webhook: a fallback ``text`` plus Block Kit ``blocks``."""

from __future__ import annotations

from collections.abc import Mapping
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

# Block Kit limits: section text 3000, header 150, field 2000 (10 fields), button 75,
# button url 3000, context element 2000, 50 blocks per message; text 40 000.
SECTION_LIMIT = 3000
HEADER_LIMIT = 150
FIELD_LIMIT = 2000
MAX_FIELDS = 10
BUTTON_LIMIT = 75
URL_LIMIT = 3000
MAX_DIGEST_ITEMS = 20
FALLBACK_LIMIT = 3000

_PREFIX = {
    "trigger": "",
    "acknowledge": "Acknowledged: ",
    "resolve": "Resolved: ",
    "test": "Test: ",
}


def escape(text: str) -> str:
    """Slack's mrkdwn control characters: &, < and > (links and mentions)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn(text: str, limit: int) -> dict[str, Any]:
    # Escape first, then cut, so an entity is never split and the limit holds.
    escaped = escape(text)
    if len(escaped) > limit:
        escaped = escaped[: limit - 1]
        amp = escaped.rfind("&")
        if amp != -1 and ";" not in escaped[amp:]:
            escaped = escaped[:amp]
        escaped += "…"
    return {"type": "mrkdwn", "text": escaped or " "}


def _digest(n: Notification) -> str:
    """One line per item, whole lines only (never a cut link), within the section limit."""
    lines: list[str] = []
    size = 0
    for item in n.items[:MAX_DIGEST_ITEMS]:
        label = escape(truncate(item.title, 200)) or "(no title)"
        if item.url and len(item.url) < 500 and not any(c in item.url for c in "|<> "):
            label = f"<{item.url}|{label}>"
        count = f" ({item.event_count} events)" if item.event_count else ""
        line = f"• {label}{count}"
        if size + len(line) + 1 > SECTION_LIMIT - 40:  # room for the "and N more" line
            break
        lines.append(line)
        size += len(line) + 1
    if len(n.items) > len(lines):
        lines.append(f"… and {len(n.items) - len(lines)} more")
    return "\n".join(lines)


def _button(label: str, url: str, style: str = "") -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "url": url,
    }
    if style:
        button["style"] = style
    return button


def payload(notification: Notification) -> dict[str, Any]:
    n = notification
    title = _PREFIX[n.kind] + n.title
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": truncate(title, HEADER_LIMIT) or " "},
        },
    ]
    if n.text:
        blocks.append({"type": "section", "text": _mrkdwn(n.text, SECTION_LIMIT)})
    fields = [_mrkdwn(f"*{k}*\n{v}", FIELD_LIMIT) for k, v in n.fields()][:MAX_FIELDS]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    if n.items:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _digest(n)}})
    buttons = []
    if n.url and len(n.url) <= URL_LIMIT:
        buttons.append(_button("Open issue", n.url))
    if n.ack_url.startswith(("https://", "http://")) and len(n.ack_url) <= URL_LIMIT:
        # A link, not an interactive button: acknowledging needs no Slack app.
        buttons.append(_button("Acknowledge", n.ack_url, style="primary"))
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return {"text": truncate(title, FALLBACK_LIMIT) or " ", "blocks": blocks}


class SlackChannel:
    name = "slack"
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
            return misconfigured("slack: webhook_url is missing")
        body = orjson.dumps(payload(notification))
        return post_json(
            str(url), body, ok_statuses=(200,), timeout=timeout, secrets=secrets.values()
        )
