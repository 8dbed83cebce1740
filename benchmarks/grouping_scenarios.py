"""Labeled grouping scenarios captured from the real sentry-sdk.

Each scenario raises one bug in ways that must stay one issue (other callers,
moved lines, numbers in messages, release directories, library internals) or two
bugs that must stay apart (same exception type, different code).  The label is
the bug; the grouping under test must reproduce the labels.
"""

from __future__ import annotations

import json
import logging
import textwrap
from typing import Any

import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

DSN = "http://0123456789abcdef0123456789abcdef@127.0.0.1:9/1"

Labeled = tuple[str, dict[str, Any]]  # (bug label, event payload)


class _Capture(Transport):
    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.events: list[dict[str, Any]] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        event = envelope.get_event()
        if event is not None:
            self.events.append(json.loads(json.dumps(event, default=str)))


def _module(name: str, source: str, blank_lines: int = 0) -> dict[str, Any]:
    """Compile source as module `name` at a fake in-app path; blank lines move code."""
    namespace: dict[str, Any] = {"__name__": name}
    code = compile("\n" * blank_lines + textwrap.dedent(source), f"/srv/app/{name}.py", "exec")
    exec(code, namespace)  # noqa: S102 - test fixtures compiled from literals above
    return namespace


ORDERS = """
def load(orders, order_id):
    return orders[order_id]

def show(orders, order_id):
    return load(orders, order_id)

def export(orders, ids):
    return [load(orders, i) for i in ids]
"""

PRICES = """
def parse_price(text):
    return float(text)

def parse_quantity(text):
    return int(text)
"""

PAYLOADS = """
import json

def read_body(raw):
    return json.loads(raw)
"""


def _capture(label: str, fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except Exception:
        with sentry_sdk.new_scope() as scope:
            scope.set_tag("label", label)
            sentry_sdk.capture_exception()


def scenarios() -> list[Labeled]:
    transport = _Capture()
    sentry_sdk.init(
        dsn=DSN, transport=transport, default_integrations=False, integrations=[], release="shop@1"
    )
    for blank in (0, 7):  # the same code, moved down by a later release
        orders = _module("shop.orders", ORDERS, blank)
        for order_id in (17, 42, 1001):  # a number in the message
            _capture("orders.load-missing", orders["show"], {}, order_id)
            _capture("orders.load-missing", orders["export"], {}, [order_id])  # other caller
        prices = _module("shop.prices", PRICES, blank)
        for text in ("12,50", "n/a"):
            _capture("prices.float", prices["parse_price"], text)  # same type, other code:
            _capture("prices.int", prices["parse_quantity"], text)  # ValueError both times
        payloads = _module("shop.payloads", PAYLOADS, blank)
        for raw in ("{", "[1,", '{"a": tru}'):  # raised at varying depths inside json
            _capture("payloads.bad-json", payloads["read_body"], raw)
    log = logging.getLogger("shop.jobs")
    log.propagate = False  # reported through the SDK only, not printed
    log.addHandler(logging.NullHandler())
    sentry_sdk.init(dsn=DSN, transport=transport, release="shop@1")
    for n in (3, 9):
        log.error("job %s failed after %d retries", f"nightly-{n}", n)
        log.error("cache for tenant %s is stale", n)
    sentry_sdk.get_client().close()
    labeled: list[Labeled] = []
    for event in transport.events:
        tags = event.get("tags") or {}
        label = tags.get("label")
        if label is None:
            template = (event.get("logentry") or {}).get("message", "")
            label = f"log:{template}"
        labeled.append((label, event))
    return labeled + _release_paths(labeled) + _javascript_bundles()


def _release_paths(labeled: list[Labeled]) -> list[Labeled]:
    """The orders bug again, as deployed from two release directories."""
    out: list[Labeled] = []
    for release in ("101", "102"):
        label, event = next(item for item in labeled if item[0] == "orders.load-missing")
        copy = json.loads(json.dumps(event))
        for value in copy["exception"]["values"]:
            for frame in value["stacktrace"]["frames"]:
                path = frame.get("abs_path") or ""
                frame["abs_path"] = path.replace("/srv/app/", f"/srv/releases/{release}/app/")
        out.append((label, copy))
    return out


def _javascript_bundles() -> list[Labeled]:
    """One browser bug across three deploys (hashed bundles), and another bug."""

    def event(bundle: str, function: str, message: str) -> dict[str, Any]:
        return {
            "platform": "javascript",
            "exception": {
                "values": [
                    {
                        "type": "TypeError",
                        "value": message,
                        "stacktrace": {
                            "frames": [
                                {
                                    "filename": f"https://shop.example.com/static/js/{bundle}",
                                    "function": "onClick",
                                    "lineno": 1,
                                    "colno": 1200,
                                    "in_app": True,
                                },
                                {
                                    "filename": f"https://shop.example.com/static/js/{bundle}",
                                    "function": function,
                                    "lineno": 1,
                                    "colno": 3400,
                                    "in_app": True,
                                },
                            ]
                        },
                    }
                ]
            },
        }

    return [
        (
            "js.cart-total",
            event(
                "main.3f9a2c1b.js",
                "cartTotal",
                "Cannot read properties of undefined (reading 'price')",
            ),
        ),
        (
            "js.cart-total",
            event(
                "main.7d1e0a9c.js",
                "cartTotal",
                "Cannot read properties of undefined (reading 'price')",
            ),
        ),
        (
            "js.cart-total",
            event(
                "main.js?v=123",
                "cartTotal",
                "Cannot read properties of undefined (reading 'price')",
            ),
        ),
        (
            "js.checkout",
            event(
                "main.3f9a2c1b.js",
                "submitCheckout",
                "Cannot read properties of null (reading 'id')",
            ),
        ),
    ]
