"""Generic webhook: the notification as JSON, signed with HMAC-SHA256.

Receivers check a delivery with :func:`verify_signature`::

    ok = verify_signature(request_body, headers["X-Faultbox-Signature"], secret,
                          timestamp=headers["X-Faultbox-Timestamp"], tolerance=300)

The signature is ``sha256=`` + the hex HMAC-SHA256 of the raw body with the channel's
secret. The body carries the same ``timestamp`` as the header, so a replayed body is
caught by the tolerance check. ``Idempotency-Key`` is the same for every retry of one
delivery (the outbox's key for it; ``<dedup_key>-<kind>`` when sent outside the outbox)
and differs between deliveries: receivers drop the repeats and nothing else.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
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
)

SIGNATURE_HEADER = "X-Faultbox-Signature"
TIMESTAMP_HEADER = "X-Faultbox-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
TEXT_LIMIT = 100_000


def idempotency_key(notification: Notification) -> str:
    """The delivery's key, else ``<dedup_key>-<kind>``; a key that is not printable
    ASCII goes as its SHA-256."""
    key = notification.delivery_key or f"{notification.dedup_key}-{notification.kind}"
    if len(key) <= 200 and all(0x21 <= ord(c) <= 0x7E for c in key):
        return key
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(
    body: bytes,
    signature: str,
    secret: str,
    *,
    timestamp: str | None = None,
    tolerance: float | None = None,
    now: float | None = None,
) -> bool:
    """True when ``signature`` is this body's; with ``tolerance``, the timestamp must
    also be within that many seconds of ``now`` (default: the clock)."""
    if not hmac.compare_digest(sign(body, secret), signature.strip()):
        return False
    if tolerance is None:
        return True
    try:
        sent = float(timestamp or "")
    except ValueError:
        return False
    current = clock.now() if now is None else now
    return abs(current - sent) <= tolerance


def payload(notification: Notification, timestamp: int) -> dict[str, Any]:
    data = dataclasses.asdict(notification)
    data["text"] = data["text"][:TEXT_LIMIT]
    data["items"] = data["items"][:200]
    body: dict[str, Any] = {"version": 1, "timestamp": timestamp, "notification": data}
    if notification.ack_url:
        # POST to it (no body, no auth: the link is the authority) to acknowledge.
        body["ack_url"] = notification.ack_url
    return body


class WebhookChannel:
    name = "webhook"
    keys: tuple[ConfigKey, ...] = (
        ConfigKey("url", required=True, secret=True, url=True, help="Receiver URL"),
        ConfigKey("secret", required=True, secret=True, help="HMAC-SHA256 signing secret"),
    )

    def send(
        self,
        notification: Notification,
        config: Mapping[str, Any],
        secrets: Mapping[str, Any],
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> DeliveryResult:
        url, secret = secrets.get("url"), secrets.get("secret")
        if not url or not secret:
            return misconfigured("webhook: url and secret are required")
        timestamp = int(clock.now())
        body = orjson.dumps(payload(notification, timestamp))
        headers = {
            SIGNATURE_HEADER: sign(body, str(secret)),
            TIMESTAMP_HEADER: str(timestamp),
            IDEMPOTENCY_HEADER: idempotency_key(notification),
        }
        return post_json(str(url), body, headers=headers, timeout=timeout, secrets=secrets.values())
