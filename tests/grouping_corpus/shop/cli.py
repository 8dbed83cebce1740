"""Back-office commands, run from cron: the same domain code, other callers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shop import auth, catalog, inventory, jobs, orders, payments, reports


def export_orders(ids: str) -> int:
    return len(orders.export([int(i) for i in ids.split(",")]))


def import_payments(rows: list[dict[str, str]]) -> float:
    total = 0.0
    for row in rows:
        amount = payments.parse_amount(row["amount"])
        payments.validate(amount, row["currency"])
        total += amount
    return total


def import_ledger(rows: list[str]) -> int:
    return sum(payments.parse_cents(cents) for cents in rows)


def import_customers(emails: list[str]) -> int:
    return len([auth.signup(email) for email in emails])


def retry_checkouts(pending: list[dict[str, Any]]) -> Decimal:
    total = Decimal("0")
    for item in pending:
        total += orders.place(item["customer"], item["lines"], item["card"])
    return total


def reserve_backorders(lines: list[dict[str, Any]]) -> None:
    inventory.reserve_all(lines)


def daily_report(day: str) -> str:
    return reports.daily_revenue(day)


def nightly_quotes(carts: list[list[dict[str, Any]]]) -> list[Decimal]:
    return [orders.order_total(lines) for lines in carts]


def rebuild_thumbnails(specs: str) -> int:
    return len(jobs.run_thumbnails(specs.split(",")))


def sweep_cancellations(pending: list[tuple[int, str]]) -> list[str]:
    return [orders.cancel(order_id, state) for order_id, state in pending]


def check_tokens(tokens: list[str]) -> list[str]:
    return [auth.current_customer(token) for token in tokens]


def rebuild_menu(slugs: list[str]) -> list[str]:
    return [catalog.breadcrumbs(slug) for slug in slugs]


def import_upload(data: bytes) -> int:
    return len(catalog.read_upload(data))


def import_orders(rows: list[dict[str, object]]) -> int:
    return len([catalog.parse_order(row) for row in rows])


def monthly_stats(months: list[list[float]]) -> list[float]:
    return [catalog.average_order(totals) for totals in months]
