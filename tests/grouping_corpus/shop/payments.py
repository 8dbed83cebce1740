"""Payments: amounts, validation, the card gateway and its webhooks."""

from __future__ import annotations

import hashlib
import hmac
import logging
from decimal import Decimal

import tinyhttp
from shop import client

log = logging.getLogger("shop.payments")

GATEWAY = "https://pay.example.net/v2"
SUPPORTED = ("EUR", "USD", "GBP")
WEBHOOK_SECRET = b"whsec-local"


class GatewayError(Exception):
    """The card gateway failed us."""


class CardDeclined(GatewayError):
    """The gateway answered, and said no."""


def parse_amount(text: str) -> float:
    return float(text)


def parse_cents(text: str) -> int:
    return int(text)


def validate(amount: float, currency: str) -> None:
    if amount <= 0:
        raise ValueError(f"amount must be positive, got {amount}")
    if currency not in SUPPORTED:
        raise ValueError(f"currency {currency} is not supported")


def charge(card: str, amount: Decimal, receipt_to: str) -> str:
    body = {"card": card, "amount": str(amount), "receipt": receipt_to}
    try:
        reply = client.post_json(f"{GATEWAY}/charges", body)
    except tinyhttp.Timeout as exc:
        raise GatewayError(f"gateway did not answer while charging {amount}") from exc
    if reply.get("status") == "declined":
        raise CardDeclined(f"card ending {card[-4:]} declined: {reply['reason']}")
    return str(reply["id"])


def handle_webhook(event_id: str, body: bytes, signature: str, source_ip: str) -> bool:
    expected = hmac.new(WEBHOOK_SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        log.error("webhook %s rejected: bad signature from %s", event_id, source_ip)
        return False
    return True
