"""Customer notifications through the mail provider's HTTP API."""

from __future__ import annotations

import logging

import tinyhttp

log = logging.getLogger("shop.notify")

MAIL_API = "https://mail.example.org/v3/send"


def send_receipt(email: str, order_id: int) -> bool:
    try:
        tinyhttp.request("POST", MAIL_API, body=f"to={email}&order={order_id}", timeout=3.0)
    except tinyhttp.Timeout:
        log.exception("could not send the receipt for order %s to %s", order_id, email)
        return False
    return True
