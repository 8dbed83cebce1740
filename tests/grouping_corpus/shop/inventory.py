"""Stock levels, reservations and the supplier feed."""

from __future__ import annotations

import logging
from typing import Any

import sentry_sdk
from shop import client, db

log = logging.getLogger("shop.inventory")

LOW_STOCK = 3
SUPPLIER = "https://feed.supplier.example.com/api"


def product(sku: str) -> dict[str, Any]:
    found, quantity = db.product_row(sku)
    return {"sku": found, "quantity": quantity}


def reserve_all(lines: list[dict[str, Any]]) -> None:
    for line in lines:
        db.take_stock(line["sku"], line["qty"])
        check_level(line["sku"])


def check_level(sku: str) -> None:
    _, left = db.product_row(sku)
    if left < LOW_STOCK:
        sentry_sdk.capture_message(
            f"Low stock for {sku}: {left} left (threshold {LOW_STOCK})", level="warning"
        )


def sync_supplier(supplier_id: int) -> int:
    feed = client.get_json(f"{SUPPLIER}/stock", supplier=supplier_id)
    return len(feed["items"])
