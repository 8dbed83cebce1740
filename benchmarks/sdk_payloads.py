"""Realistic envelopes captured from the real sentry-sdk (no network: a capture transport)."""

from __future__ import annotations

import gzip
import logging
import uuid
from typing import Any

import orjson
import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

DSN = "http://0123456789abcdef0123456789abcdef@127.0.0.1:9/1"


class _Capture(Transport):
    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.envelopes: list[bytes] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope.serialize())


def _handler(kind: int, order: dict[str, Any]) -> None:
    items = [{"sku": f"SKU-{i}", "qty": i, "price": 9.99 * i} for i in range(8)]
    total = sum(i["price"] for i in items)
    customer = {"id": order["customer"], "email": "ada@example.com", "tier": "gold"}
    _service(kind, items, total, customer)


def _service(
    kind: int, items: list[dict[str, Any]], total: float, customer: dict[str, Any]
) -> None:
    retries = 3
    gateway = "https://payments.example.com/v2/charge"
    _repository(
        kind,
        {
            "items": items,
            "total": total,
            "customer": customer,
            "retries": retries,
            "gateway": gateway,
        },
    )


def _repository(kind: int, ctx: dict[str, Any]) -> None:
    query = "SELECT * FROM orders WHERE customer_id = %s AND status = 'open'"
    if kind == 0:
        raise KeyError(f"order-{ctx['customer']['id']}")
    if kind == 1:
        raise ValueError(f"invalid total {ctx['total']:.2f} for {query[:20]}")
    if kind == 2:
        raise ConnectionError(f"gateway {ctx['gateway']} timed out after 30s")
    raise TimeoutError("database statement timeout")


def capture(count: int = 4) -> list[bytes]:
    """One raw (uncompressed) envelope per exception kind."""
    transport = _Capture()
    sentry_sdk.init(
        dsn=DSN,
        transport=transport,
        release="shop@2.3.1",
        environment="production",
        send_default_pii=True,
        max_breadcrumbs=30,
        include_local_variables=True,
    )
    sentry_sdk.set_user({"id": "42", "email": "ada@example.com", "ip_address": "10.1.2.3"})
    sentry_sdk.set_tag("service", "checkout")
    sentry_sdk.set_context("order", {"id": 991, "currency": "EUR", "lines": 8})
    log = logging.getLogger("shop.checkout")
    for i in range(12):
        sentry_sdk.add_breadcrumb(
            category="http",
            message=f"GET /api/cart/{i} 200",
            data={"url": f"https://shop.example.com/api/cart/{i}", "status_code": 200},
        )
    for kind in range(count):
        try:
            _handler(kind % 4, {"customer": 1000 + kind})
        except Exception:
            sentry_sdk.capture_exception()
    log.debug("done")
    sentry_sdk.flush()
    sentry_sdk.get_client().close()
    return list(transport.envelopes)


def with_new_event_id(raw: bytes) -> tuple[str, bytes]:
    """The same envelope under a fresh event id, gzip'd as sentry-python sends it."""
    header, rest = raw.split(b"\n", 1)
    old = orjson.loads(header)["event_id"]
    new = uuid.uuid4().hex
    body = raw.replace(old.encode(), new.encode())
    return new, gzip.compress(body, 6)
