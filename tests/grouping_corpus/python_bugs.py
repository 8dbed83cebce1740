"""The Python bugs of the fake shop: how each is triggered, and its label.

Every call below runs the shop's real code; what it raises is reported by the
real sentry-sdk (through the fake framework, a logging call, a thread or a task).
Variants of one bug differ by caller, by the values in the message, by release
(moved lines, another release directory, another version of the HTTP library),
and by sync/async/thread context.  ``i`` picks the values of a release, so the two
releases do not send identical messages either.

Labels say what the bug is.  Pairs marked "hard negative" in ``HARD_NEGATIVES``
look alike (same exception type and a similar message, or the same function) but
are different bugs.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TIMEOUT = "timeout"  # the HTTP library's "never answers" reply
PAY = "pay.example.net"
RATES = "rates.example.com"
SUPPLIER = "feed.supplier.example.com"
MAIL = "mail.example.org"
HTML_502 = (502, "<html><head><title>502 Bad Gateway</title></head></html>")
CHARGED = (200, '{"status": "ok", "id": "ch_1"}')
DECLINED = (200, '{"status": "declined", "reason": "insufficient_funds"}')


@dataclass(frozen=True)
class Call:
    label: str
    target: str  # "web.get_order": a function of the shop
    args: tuple[Any, ...] = ()
    via: str = "dispatch"  # dispatch | dispatch_async (the framework reports) | direct
    servers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    events: int = 1  # how many events the call must produce


def token(sub: str, exp: str) -> str:
    claims = json.dumps({"sub": sub, "exp": exp}).encode()
    return f"eyJhbGciOiJIUzI1NiJ9.{base64.urlsafe_b64encode(claims).decode().rstrip('=')}.c2ln"


def raw_token(payload: bytes) -> str:
    return f"eyJhbGciOiJIUzI1NiJ9.{base64.urlsafe_b64encode(payload).decode().rstrip('=')}.c2ln"


def _line(sku: str = "SKU-3003", price: Any = "9.90", qty: Any = 1) -> dict[str, Any]:
    return {"sku": sku, "price": price, "qty": qty}


def calls(i: int) -> list[Call]:
    """The calls of release number ``i`` (0 or 1)."""
    email = ("jane@example.com", "li.wei+shop@example.cn")[i]
    other = ("omar@example.org", "b.schmidt@example.de")[i]
    good = token(email, "2030-01-01T00:00:00+00:00")
    expired = token(other, ("2023-12-31T23:59:59+00:00", "2024-02-29T08:15:00+00:00")[i])
    card = ("4242424242424242", "5555555555554444")[i]
    ok_lines = [_line(qty=2)]
    return [
        # Missing rows: the same NotFound type and message shape, two raise sites.
        Call("py.orders.missing-order", "web.get_order", ({"id": ("17", "31337")[i]},)),
        Call("py.orders.missing-order", "cli.export_orders", (("1001,4242", "5,1002")[i],)),
        Call(
            "py.orders.missing-order",
            "worker.reconcile",
            ([1001, (99017, 800)[i]],),
            via="dispatch_async",
        ),
        Call("py.inventory.missing-product", "web.get_product", ({"sku": ("SKU-9", "SKU-81")[i]},)),
        Call(
            "py.inventory.missing-product",
            "cli.reserve_backorders",
            ([_line(("SKU-777", "SKU-12")[i])],),
        ),
        # One line of order_total, three different bugs (three exception types).
        Call(
            "py.orders.price-missing", "web.post_quote", ({"lines": [{"sku": "SKU-1", "qty": 1}]},)
        ),
        Call(
            "py.orders.price-missing",
            "cli.nightly_quotes",
            ([[_line(), {"sku": "SKU-2", "qty": (2, 5)[i]}]],),
        ),
        Call(
            "py.orders.price-format",
            "web.post_quote",
            ({"lines": [_line(price=("12,50", "7,95")[i])]},),
        ),
        Call(
            "py.orders.price-format",
            "cli.nightly_quotes",
            ([[_line(price=("1.299,00", "3 EUR")[i])]],),
        ),
        Call(
            "py.orders.price-format",
            "web.post_order",
            ({"customer": {"email": email}, "lines": [_line(price="4,99")], "card": card},),
        ),
        Call("py.orders.qty-type", "web.post_quote", ({"lines": [_line(qty=("2", "1")[i])]},)),
        Call("py.orders.qty-type", "cli.nightly_quotes", ([[_line(), _line(qty=("10", "3")[i])]],)),
        # Same exception type and a similar message ('email' vs 'price'), other site.
        Call(
            "py.orders.email-missing",
            "web.post_order",
            ({"customer": {"name": "Jane"}, "lines": ok_lines, "card": card},),
        ),
        Call(
            "py.orders.email-missing",
            "cli.retry_checkouts",
            ([{"customer": {"id": (7, 8)[i]}, "lines": ok_lines, "card": card}],),
        ),
        # Chains: the same outer exception and function, different causes.
        Call(
            "py.checkout.gateway-timeout",
            "web.post_checkout",
            ({"token": good, "lines": ok_lines, "card": card},),
            servers={PAY: {"/v2/charges": TIMEOUT}},
        ),
        Call(
            "py.checkout.gateway-timeout",
            "cli.retry_checkouts",
            ([{"customer": {"email": other}, "lines": [_line(qty=3)], "card": card}],),
            servers={PAY: {"/v2/charges": TIMEOUT}},
        ),
        Call(
            "py.checkout.card-declined",
            "web.post_checkout",
            ({"token": good, "lines": ok_lines, "card": card},),
            servers={PAY: {"/v2/charges": DECLINED}},
        ),
        Call(
            "py.checkout.card-declined",
            "web.post_order",
            ({"customer": {"email": other}, "lines": [_line(qty=4)], "card": card},),
            servers={PAY: {"/v2/charges": DECLINED}},
        ),
        # Two parsers, same type, similar messages: two bugs.
        Call("py.payments.amount-float", "web.post_refund", ({"amount": ("12,50", "€5")[i]},)),
        Call(
            "py.payments.amount-float",
            "cli.import_payments",
            ([{"amount": "10", "currency": "EUR"}, {"amount": ("n/a", "")[i], "currency": "EUR"}],),
        ),
        Call("py.payments.cents-int", "cli.import_ledger", ([("12.50", "7,00")[i]],)),
        Call("py.payments.cents-int", "cli.import_ledger", (["100", ("1e3", "0x10")[i]],)),
        # One function, one type, two raise statements: two bugs.
        Call(
            "py.payments.amount-not-positive", "web.post_refund", ({"amount": ("-5", "-0.01")[i]},)
        ),
        Call(
            "py.payments.amount-not-positive",
            "cli.import_payments",
            ([{"amount": ("0", "-12.5")[i], "currency": "EUR"}],),
        ),
        Call(
            "py.payments.currency-unsupported",
            "web.post_refund",
            ({"amount": "5", "currency": ("CHF", "SEK")[i]},),
        ),
        Call(
            "py.payments.currency-unsupported",
            "cli.import_payments",
            ([{"amount": "3.5", "currency": ("JPY", "eur")[i]}],),
        ),
        # sqlite3 constraint violations: same type, two tables, two bugs.
        Call(
            "py.db.duplicate-email",
            "web.post_signup",
            ({"email": ("jane@example.com", "OMAR@example.org")[i]},),
        ),
        Call(
            "py.db.duplicate-email",
            "cli.import_customers",
            ([f"new{i}@example.com", f"new{i}@example.com"],),
        ),
        Call(
            "py.db.oversell",
            "web.post_order",
            (
                {
                    "customer": {"email": email},
                    "lines": [_line("SKU-1001", qty=(9, 6)[i])],
                    "card": card,
                },
            ),
        ),
        Call("py.db.oversell", "cli.reserve_backorders", ([_line("SKU-2002", qty=(4, 2)[i])],)),
        Call(
            "py.reports.bad-column", "web.get_revenue", ({"day": ("2024-03-01", "2024-02-29")[i]},)
        ),
        Call("py.reports.bad-column", "cli.daily_report", (("2024-03-02", "2023-12-31")[i],)),
        # Raised inside _strptime, at different places for different inputs.
        Call("py.reports.bad-day", "web.get_revenue", ({"day": ("2024-13-01", "01/03/2024")[i]},)),
        Call("py.reports.bad-day", "cli.daily_report", (("2024-03-01T10:00", "2024-3-1 ")[i],)),
        Call(
            "py.auth.malformed-token",
            "web.get_me",
            ({"authorization": ("Bearer abc", "Bearer ")[i]},),
        ),
        Call("py.auth.malformed-token", "cli.check_tokens", ([("a.b.c.d", "x.y")[i]],)),
        # Raised inside json at varying depths.
        Call(
            "py.auth.token-not-json",
            "web.get_me",
            ({"authorization": "Bearer " + raw_token((b"not json", b'{"sub": 1')[i])},),
        ),
        Call(
            "py.auth.token-not-json",
            "cli.check_tokens",
            ([raw_token((b"[1,", b'{"sub": tru}')[i])],),
        ),
        Call("py.auth.token-expired", "web.get_me", ({"authorization": f"Bearer {expired}"},)),
        Call(
            "py.auth.token-expired",
            "web.post_checkout",
            ({"token": expired, "lines": ok_lines, "card": card},),
        ),
        Call(
            "py.auth.bad-credentials", "web.post_login", ({"email": email, "password": "hunter2"},)
        ),
        Call("py.auth.bad-credentials", "web.post_login", ({"email": other, "password": f"x{i}"},)),
        # The client layer cannot read an HTML error page: one bug, whoever calls.
        Call(
            "py.client.html-reply",
            "inventory.sync_supplier",
            ((31, 47)[i],),
            servers={SUPPLIER: {"/api/stock": HTML_502}},
        ),
        Call(
            "py.client.html-reply",
            "worker.convert_one",
            (("USD", "GBP")[i],),
            via="dispatch_async",
            servers={RATES: {"/v1/latest": HTML_502}},
        ),
        # Asyncio tasks: gathered and reported by the app, or awaited by the framework.
        Call(
            "py.worker.rate-key",
            "worker.convert_all",
            (["USD", "GBP"],),
            via="dispatch_async",
            servers={
                RATES: {
                    "/v1/latest": (
                        200,
                        '{"rates": {"USD": {"value": 1.08}, "GBP": {"value": 0.85}}}',
                    )
                }
            },
            events=2,
        ),
        Call(
            "py.worker.rate-key",
            "worker.convert_one",
            (("USD", "GBP")[i],),
            via="dispatch_async",
            servers={RATES: {"/v1/latest": (200, '{"rates": {"USD": {}, "GBP": {}}}')}},
        ),
        Call("py.worker.sync-timeout", "worker.sync_stock", ((7, 19)[i],), via="dispatch_async"),
        Call("py.worker.sync-timeout", "worker.sync_stock", ((8, 23)[i],), via="dispatch_async"),
        # Thread pool: raised in a worker thread, re-raised in the caller.
        Call("py.jobs.thumbnail-spec", "cli.rebuild_thumbnails", (("640x480,800", "10x20x30")[i],)),
        Call("py.jobs.thumbnail-spec", "web.post_thumbnail", ({"size": ("large", "1024-768")[i]},)),
        # A thread of its own, reported by the SDK's threading integration.
        Call(
            "py.jobs.cache-warmer",
            "jobs.start_cache_warmer",
            ((["home", "cart"], ["help"])[i],),
            via="direct",
        ),
        Call(
            "py.jobs.cache-warmer",
            "jobs.start_cache_warmer",
            ((["cart"], ["home", "help"])[i],),
            via="direct",
        ),
        # logging.error with %s parameters (no exception).
        Call(
            "py.payments.webhook-signature",
            "web.post_webhook",
            (
                {"id": f"evt_{1000 + i}", "raw": "{}", "sig": "0" * 64},
                ("203.0.113.7", "198.51.100.23")[i],
            ),
            via="direct",
        ),
        Call(
            "py.payments.webhook-signature",
            "payments.handle_webhook",
            (f"evt_{2000 + i}", b"{}", "bad", ("192.0.2.1", "10.1.2.3")[i]),
            via="direct",
        ),
        # capture_message with an f-string: numbers and SKUs in the text.
        Call(
            "py.inventory.low-stock",
            "web.post_order",
            (
                {
                    "customer": {"email": email},
                    "lines": [_line("SKU-4004", qty=(3, 4)[i])],
                    "card": card,
                },
            ),
            via="direct",
            servers={PAY: {"/v2/charges": CHARGED}},
        ),
        Call(
            "py.inventory.low-stock",
            "cli.reserve_backorders",
            ([_line("SKU-5005", qty=(4, 2)[i])],),
            via="direct",
        ),
        # logger.exception: an exception with a log message on top.
        Call(
            "py.notify.mail-timeout",
            "notify.send_receipt",
            (email, (1001, 1002)[i]),
            via="direct",
            servers={MAIL: {"/v3/send": TIMEOUT}},
        ),
        Call(
            "py.notify.mail-timeout",
            "notify.send_receipt",
            (other, (70001, 5)[i]),
            via="direct",
            servers={MAIL: {"/v3/send": TIMEOUT}},
        ),
        # logging.error with an f-string: run ids (ULIDs) and numbers in the message.
        Call(
            "py.reports.nightly-incomplete",
            "reports.nightly_summary",
            (("01HQ3K5Z8N2X7Y4RTV6WB9CDEF", "01HR0A1B2C3D4E5F6G7H8J9K0M")[i], "2024-03-01", 3, 40),
            via="direct",
        ),
        Call(
            "py.reports.nightly-incomplete",
            "reports.nightly_summary",
            (("01HQ4M7P9R1T3V5X7Z9B2D4F6H", "01HS9Z8Y7X6W5V4T3S2R1Q0P9N")[i], "2024-03-02", 11, 41),
            via="direct",
        ),
        # One function, two exception types: two bugs.
        Call(
            "py.orders.cancel-shipped",
            "web.post_cancel",
            ({"id": "1001", "state": ("shipped", "delivered")[i]},),
        ),
        Call("py.orders.cancel-shipped", "cli.sweep_cancellations", ([(1002, "delivered")],)),
        Call(
            "py.orders.cancel-unknown-state",
            "web.post_cancel",
            ({"id": "1001", "state": ("returned", "lost")[i]},),
        ),
        Call(
            "py.orders.cancel-unknown-state",
            "cli.sweep_cancellations",
            ([(1002, "new"), (7, "on_hold")],),
        ),
    ]


def later_calls(i: int) -> list[Call]:
    """Bugs written after grouping v2 was settled, to check it on patterns it was not
    tuned on: recursion, an ExceptionGroup from a TaskGroup, pydantic, decoding."""
    return [
        Call("py.catalog.category-cycle", "web.get_category", ({"slug": ("loop-a", "loop-b")[i]},)),
        Call(
            "py.catalog.category-cycle", "cli.rebuild_menu", (["boots", ("loop-b", "loop-a")[i]],)
        ),
        Call("py.catalog.upload-encoding", "web.post_upload", (b"sku,qty\nSKU-\xe91,2\n",)),
        Call(
            "py.catalog.upload-encoding",
            "cli.import_upload",
            (("name\nCaf\xe9 " + "x" * (5 + i * 40)).encode("latin-1"),),
        ),
        Call(
            "py.catalog.order-invalid",
            "web.post_order_v2",
            ({"sku": "SKU-1", "qty": ("two", 1.5)[i]},),
        ),
        Call(
            "py.catalog.order-invalid", "cli.import_orders", ([{"sku": "A", "qty": 1}, {"qty": 3}],)
        ),
        Call("py.catalog.refund-invalid", "web.post_refund_v2", ({"order_id": "x", "amount": 5},)),
        Call("py.catalog.refund-invalid", "web.post_refund_v2", ({"order_id": (7, 8)[i]},)),
        Call("py.catalog.average-empty", "web.get_stats", ({"totals": ""},)),
        Call("py.catalog.average-empty", "cli.monthly_stats", ([[12.5, 3.0], []],)),
        Call(
            "py.worker.stock-group",
            "worker.stock_report",
            ((["SKU-1001", "SKU-9"], ["SKU-7"])[i],),
            via="dispatch_async",
        ),
        Call(
            "py.worker.stock-group",
            "worker.stock_report",
            (["SKU-7", "SKU-8", "SKU-1001"],),
            via="dispatch_async",
        ),
    ]


HARD_NEGATIVES = (
    (
        "py.orders.missing-order",
        "py.inventory.missing-product",
        "NotFound 'x N not found' raised at two sites",
    ),
    (
        "py.orders.price-missing",
        "py.orders.email-missing",
        "KeyError of a missing field in two functions",
    ),
    ("py.orders.price-missing", "py.worker.rate-key", "KeyError of a missing field in two modules"),
    ("py.orders.price-missing", "py.orders.price-format", "the same line, another exception type"),
    ("py.orders.price-format", "py.orders.qty-type", "the same line, another exception type"),
    (
        "py.checkout.gateway-timeout",
        "py.checkout.card-declined",
        "the same outer exception, another cause",
    ),
    (
        "py.payments.amount-float",
        "py.payments.cents-int",
        "ValueError parsing a number in two functions",
    ),
    (
        "py.payments.amount-not-positive",
        "py.payments.currency-unsupported",
        "one function, one type, two raises",
    ),
    ("py.db.duplicate-email", "py.db.oversell", "sqlite3 IntegrityError from two statements"),
    (
        "py.auth.token-expired",
        "py.auth.bad-credentials",
        "AuthError '... for <email>' in two functions",
    ),
    (
        "py.orders.cancel-shipped",
        "py.orders.cancel-unknown-state",
        "one function, another exception type",
    ),
    (
        "py.client.html-reply",
        "py.auth.token-not-json",
        "JSONDecodeError from json, two app call sites",
    ),
)
