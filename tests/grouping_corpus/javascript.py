"""JavaScript bugs: browser text traces (V8, Firefox, Safari), Node traces, and the
same shop front end reporting through @sentry/browser.

The browser bundles are content-hashed (``main.3f9a2c1b.js`` in one deploy,
``main.9be1d2aa.js`` in the next) and columns move with every build; browsers name
the same frames differently (``cartTotal/<`` in Firefox, an unnamed frame in V8)
and word the same error differently.
"""

from __future__ import annotations

from typing import Any

from tests.grouping_corpus.native import Labeled, fill, native, trace

CDN = "https://shop.example.com/static/js"

CART_V8 = trace("cart_v8.txt")

CART_FIREFOX = trace("cart_firefox.txt")

CART_SAFARI = trace("cart_safari.txt")

CHECKOUT_V8 = trace("checkout_v8.txt")
HANDLER_V8 = trace("handler_v8.txt")
HANDLER_FIREFOX = trace("handler_firefox.txt")

CHECKOUT_FIREFOX = trace("checkout_firefox.txt")

PROFILE_V8 = trace("profile_v8.txt")

PROFILE_FIREFOX = trace("profile_firefox.txt")

# A front end whose traces are already source-mapped (webpack 4 and 5 name the
# sources differently).
COUPON_MAPPED = trace("coupon_mapped.txt")

NODE_LIST = trace("node_list.txt")

NODE_SOCKET = trace("node_socket.txt")


def _browser(label: str, error_type: str, message: str, stack: str, browser: str) -> Labeled:
    return native(
        label,
        error_type,
        message,
        stack,
        service="shop-web",
        source="frontend",
        browserInfo={"name": browser},
        requestUrl="https://shop.example.com/cart",
    )


def _node(label: str, message: str, stack: str) -> Labeled:
    error_type = message.partition(":")[0]
    return native(label, error_type, message.partition(": ")[2], stack, service="shop-api")


def text_traces() -> list[Labeled]:
    old = {"cdn": CDN, "main": "3f9a2c1b", "vendor": "77aa01ff"}  # one deploy's bundles
    new = {"cdn": CDN, "main": "9be1d2aa", "vendor": "1c2d3e4f"}  # the next deploy's
    price = "Cannot read properties of undefined (reading 'price')"
    null_id = "Cannot read properties of null (reading 'id')"
    null_value = "Cannot read properties of null (reading 'value')"
    html = "Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON"
    # fmt: off
    rows: list[tuple[str, str, str, str, str, dict[str, object]]] = [
        ("js.cart-total", "TypeError", price, CART_V8, "Chrome",
         {"col": 18790, "caller": "CartSummary", **old}),
        ("js.cart-total", "TypeError", price, CART_V8, "Edge",
         {"col": 18802, "caller": "CheckoutPage", **new}),
        ("js.cart-total", "TypeError", "item is undefined", CART_FIREFOX, "Firefox",
         {"col": 18771, "caller": "CartSummary", **new}),
        ("js.cart-total", "TypeError", "undefined is not an object (evaluating 'item.price')",
         CART_SAFARI, "Safari", {"col": 18771, "caller": "CheckoutPage", **old}),
        ("js.checkout-null", "TypeError", null_id, CHECKOUT_V8, "Chrome", {"col": 30211, **old}),
        ("js.checkout-null", "TypeError", null_id, CHECKOUT_V8, "Chrome", {"col": 30240, **new}),
        ("js.checkout-null", "TypeError", "form is null", CHECKOUT_FIREFOX, "Firefox",
         {"col": 30199, **new}),
        # A DOM event handler: V8 names it after its receiver, Firefox does not.
        ("js.newsletter-null", "TypeError", null_value, HANDLER_V8, "Chrome", {"col": 5120, **old}),
        ("js.newsletter-null", "TypeError", "input is null", HANDLER_FIREFOX, "Firefox",
         {"col": 5101, **new}),
        ("js.newsletter-null", "TypeError", null_value, HANDLER_V8, "Edge", {"col": 5133, **new}),
        ("js.profile-json", "SyntaxError", html, PROFILE_V8, "Chrome",
         {"col": 40211, "caller": "ProfilePage", **old}),
        ("js.profile-json", "SyntaxError", html.replace("<!DOCTYPE ", "<html>\\n<h"), PROFILE_V8,
         "Chrome", {"col": 40233, "caller": "OrdersPage", **new}),
        ("js.profile-json", "SyntaxError",
         "JSON.parse: unexpected character at line 1 column 1 of the JSON data", PROFILE_FIREFOX,
         "Firefox", {"col": 40190, "caller": "ProfilePage", **new}),
        ("js.coupon-currency", "RangeError", "Invalid currency code : EURO", COUPON_MAPPED,
         "Chrome", {"code": "EURO", "ns": "shop-web", "line": 41, "line2": 58}),
        ("js.coupon-currency", "RangeError", "Invalid currency code : €", COUPON_MAPPED, "Chrome",
         {"code": "€", "ns": "", "line": 44, "line2": 61}),
        ("js.coupon-currency", "RangeError", "Invalid currency code : usd$", COUPON_MAPPED, "Edge",
         {"code": "usd$", "ns": "shop-web", "line": 44, "line2": 61}),
    ]
    # fmt: on
    out = [
        _browser(label, error_type, message, fill(template, **values), browser)
        for label, error_type, message, template, browser, values in rows
    ]
    for release, line, caller in (
        ("20240301T1200", 42, "OrdersController.index (@@root@@/dist/orders/controller.js:18:20)"),
        ("20240315T0930", 47, "OrdersController.index (@@root@@/dist/orders/controller.js:18:20)"),
        ("20240315T0930", 47, "ReportsJob.run (@@root@@/dist/jobs/reports.js:77:9)"),
    ):
        root = f"/srv/api/releases/{release}"
        stack = fill(NODE_LIST, root=root, line=line, caller=fill(caller, root=root))
        out.append(_node("node.list-orders", stack.split("\n", 1)[0], stack))
    for label, code, ip, line in (
        ("node.db-refused", "ECONNREFUSED", "10.0.3.7", 1555),
        ("node.db-refused", "ECONNREFUSED", "10.0.3.9", 1606),
        ("node.db-refused", "ECONNREFUSED", "127.0.0.1", 1606),
        ("node.db-timeout", "ETIMEDOUT", "10.0.3.7", 1555),
        ("node.db-timeout", "ETIMEDOUT", "10.0.4.2", 1606),
    ):
        stack = fill(NODE_SOCKET, code=code, ip=ip, line=line)
        out.append(_node(label, stack.split("\n", 1)[0], stack))
    return out


def _frame(bundle: str, function: str, col: int) -> dict[str, Any]:
    # @sentry/browser marks every frame in_app and names unnamed ones "?".
    return {"filename": bundle, "function": function, "lineno": 2, "colno": col, "in_app": True}


def _sentry_browser(
    error_type: str, value: str, frames: list[dict[str, Any]], page: str, mechanism: str
) -> dict[str, Any]:
    exception: dict[str, Any] = {
        "type": error_type,
        "value": value,
        "mechanism": {"type": mechanism, "handled": False},
    }
    if frames:
        exception["stacktrace"] = {"frames": frames}
    return {
        "platform": "javascript",
        "level": "error",
        "release": "shop-web@2024.3.1",
        "environment": "production",
        "sdk": {"name": "sentry.javascript.react", "version": "8.55.0"},
        "request": {
            "url": f"https://shop.example.com{page}",
            "headers": {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0"},
        },
        "exception": {"values": [exception]},
    }


def browser_events() -> list[Labeled]:
    """Events shaped like @sentry/browser's, for bugs of the same front end."""
    out: list[Labeled] = []
    for main, vendor, col, page in (
        ("3f9a2c1b", "77aa01ff", 18790, "/cart"),
        ("9be1d2aa", "1c2d3e4f", 18802, "/checkout"),
    ):
        js = f"{CDN}/main.{main}.js"
        frames = [
            _frame(f"{CDN}/vendor.{vendor}.js", "renderWithHooks", 61520),
            _frame(js, "CartSummary", 19102),
            _frame(js, "cartTotal", 18761),
            {"filename": "<anonymous>", "function": "Array.reduce", "in_app": True},
            _frame(js, "?", col),
        ]
        reading = "Cannot read properties of undefined (reading 'price')"
        out.append(
            (
                "js.cart-total",
                "sentry",
                _sentry_browser("TypeError", reading, frames, page, "onerror"),
            )
        )
    for chunk, runtime, main in (
        (437, "4b1c2d3e", "3f9a2c1b"),
        (612, "8e7f6a5b", "9be1d2aa"),
        (437, "8e7f6a5b", "9be1d2aa"),
    ):
        rt = f"{CDN}/runtime.{runtime}.js"
        frames = [
            _frame(f"{CDN}/main.{main}.js", "?", 5540),
            _frame(rt, "__webpack_require__.e", 1109),
            {"filename": "<anonymous>", "function": "Array.reduce", "in_app": True},
            _frame(rt, "?", 1130),
            _frame(rt, "__webpack_require__.f.j", 3821),
        ]
        value = f"Loading chunk {chunk} failed.\n(error: {CDN}/{chunk}.{main[:6]}.chunk.js)"
        out.append(
            (
                "browser.chunk-load",
                "sentry",
                _sentry_browser(
                    "ChunkLoadError", value, frames, "/account", "onunhandledrejection"
                ),
            )
        )
    for page in ("/cart", "/products/812", "/checkout"):
        value = "ResizeObserver loop completed with undelivered notifications."
        out.append(
            (
                "browser.resize-observer",
                "sentry",
                _sentry_browser("Error", value, [], page, "onerror"),
            )
        )
    for label, value in (
        ("browser.rejection-timeout", "Request timed out after 8000ms"),
        ("browser.rejection-timeout", "Request timed out after 12000ms"),
        ("browser.rejection-network", "Network Error"),
        ("browser.rejection-network", "Network Error"),
    ):
        text = f"Non-Error promise rejection captured with value: {value}"
        out.append(
            (
                label,
                "sentry",
                _sentry_browser("UnhandledRejection", text, [], "/orders", "onunhandledrejection"),
            )
        )
    return out


HARD_NEGATIVES = (
    ("js.cart-total", "js.checkout-null", "TypeError 'Cannot read properties of', two functions"),
    ("js.checkout-null", "js.newsletter-null", "TypeError 'Cannot read properties of null'"),
    ("node.db-refused", "node.db-timeout", "Error 'connect E... <ip>:5432', one runtime frame"),
    ("browser.rejection-timeout", "browser.rejection-network", "UnhandledRejection, two values"),
)
