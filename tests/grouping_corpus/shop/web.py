"""HTTP handlers: read the request, call the domain code, shape the answer."""

from __future__ import annotations

from typing import Any

from shop import auth, catalog, inventory, jobs, orders, payments, reports


def get_order(params: dict[str, str]) -> dict[str, Any]:
    return orders.show(int(params["id"]))


def get_product(params: dict[str, str]) -> dict[str, Any]:
    return inventory.product(params["sku"])


def post_quote(body: dict[str, Any]) -> str:
    return str(orders.order_total(body["lines"]))


def post_checkout(body: dict[str, Any]) -> str:
    customer = auth.current_customer(body["token"])
    total = orders.place({"email": customer}, body["lines"], body["card"])
    return str(total)


def post_order(body: dict[str, Any]) -> str:
    return str(orders.place(body["customer"], body["lines"], body["card"]))


def post_refund(body: dict[str, str]) -> float:
    amount = payments.parse_amount(body["amount"])
    payments.validate(amount, body.get("currency", "EUR"))
    return amount


def post_signup(body: dict[str, str]) -> int:
    return auth.signup(body["email"])


def post_login(body: dict[str, str]) -> str:
    return auth.login(body["email"], body["password"])


def get_me(headers: dict[str, str]) -> str:
    return auth.current_customer(headers["authorization"].removeprefix("Bearer "))


def get_revenue(params: dict[str, str]) -> str:
    return reports.daily_revenue(params["day"])


def post_cancel(body: dict[str, Any]) -> str:
    return orders.cancel(int(body["id"]), body["state"])


def post_thumbnail(body: dict[str, str]) -> tuple[int, int]:
    return jobs.one_thumbnail(body["size"])


def post_webhook(body: dict[str, str], ip: str) -> bool:
    return payments.handle_webhook(body["id"], body["raw"].encode(), body["sig"], ip)


def get_category(params: dict[str, str]) -> str:
    return catalog.breadcrumbs(params["slug"])


def post_upload(body: bytes) -> int:
    return len(catalog.read_upload(body))


def post_order_v2(body: dict[str, object]) -> str:
    return catalog.parse_order(body).sku


def post_refund_v2(body: dict[str, object]) -> float:
    return catalog.parse_refund(body).amount


def get_stats(params: dict[str, str]) -> float:
    totals = [float(t) for t in params.get("totals", "").split(",") if t]
    return catalog.average_order(totals)
