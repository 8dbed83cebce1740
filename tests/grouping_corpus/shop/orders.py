"""Orders: totals, placing, showing, exporting and cancelling them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shop import db, inventory, payments


class CheckoutFailed(Exception):
    """Checkout could not complete; the chained cause says why."""


REFUND_POLICY = {"new": "full", "paid": "full", "packed": "partial"}


def load(order_id: int) -> tuple[int, int, str]:
    return db.order_row(order_id)


def show(order_id: int) -> dict[str, Any]:
    number, customer, total = load(order_id)
    return {"id": number, "customer": customer, "total": total}


def export(order_ids: list[int]) -> list[tuple[int, int, str]]:
    return [load(order_id) for order_id in order_ids]


def line_total(line: dict[str, Any]) -> Decimal:
    return Decimal(line["price"]) * line["qty"]


def order_total(lines: list[dict[str, Any]]) -> Decimal:
    return sum((line_total(line) for line in lines), Decimal("0"))


def place(customer: dict[str, str], lines: list[dict[str, Any]], card: str) -> Decimal:
    email = customer["email"]
    total = order_total(lines)
    inventory.reserve_all(lines)
    try:
        payments.charge(card, total, receipt_to=email)
    except payments.GatewayError as exc:
        raise CheckoutFailed(f"checkout for {email} failed: {total} EUR not charged") from exc
    return total


def cancel(order_id: int, state: str) -> str:
    if state in ("shipped", "delivered"):
        raise RuntimeError(f"order {order_id} cannot be cancelled once {state}")
    refund = REFUND_POLICY[state]
    return f"{order_id}:{refund}"
