"""Go panics, Ruby (Rails) errors, and errors posted without any stack trace."""

from __future__ import annotations

from tests.grouping_corpus.native import Labeled, fill, native, trace

GO_INDEX = trace("go_index.txt")

GO_HTTP_CALLER = trace("go_http_caller.txt")

GO_JOB_CALLER = trace("go_job_caller.txt")

# net/http recovers the panic and logs it; its own frames come first.
GO_RECOVERED = trace("go_recovered.txt")

GO_NIL_MAP = trace("go_nil_map.txt")

RUBY_TOTAL = trace("ruby_total.txt")

RUBY_FROM_CONTROLLER = trace("ruby_from_controller.txt")

RUBY_FROM_MAILER = trace("ruby_from_mailer.txt")

# Rails' log format: cleaned, relative backtrace under the "Type (message):" line.
RUBY_TOTAL_RAILS_LOG = trace("ruby_total_rails_log.txt")

RUBY_NOT_FOUND = trace("ruby_not_found.txt")

AR_FINDER = trace("ar_finder.txt")


def events() -> list[Labeled]:
    out: list[Labeled] = []
    for first, goroutine, recovered, root, line, caller in (
        (
            "panic: runtime error: index out of range [5] with length 3",
            42,
            "",
            "/build",
            57,
            GO_HTTP_CALLER,
        ),
        (
            "panic: runtime error: index out of range [12] with length 12",
            7,
            "",
            "/go/src/github.com/acme/shop",
            61,
            GO_HTTP_CALLER,
        ),
        (
            "panic: runtime error: index out of range [3] with length 0",
            1,
            "",
            "/build",
            61,
            GO_JOB_CALLER,
        ),
        (
            "2024/03/01 10:04:17 http: panic serving 10.0.0.7:54321: runtime error: index out of "
            "range [4] with length 2",
            118,
            GO_RECOVERED,
            "/build",
            61,
            GO_HTTP_CALLER,
        ),
    ):
        stack = fill(
            GO_INDEX,
            first=first,
            goroutine=goroutine,
            recovered=recovered,
            caller=fill(caller, root=root),
            root=root,
            line=line,
        )
        message = first.rpartition("runtime error: ")[2]
        out.append(
            native(
                "go.cart-index",
                "runtime.Error",
                f"runtime error: {message}",
                stack,
                service="cart-go",
            )
        )
    for goroutine, root, line in ((33, "/build", 44), (9, "/go/src/github.com/acme/shop", 48)):
        stack = fill(GO_NIL_MAP, goroutine=goroutine, root=root, line=line)
        out.append(
            native(
                "go.cart-nil-map",
                "runtime.Error",
                "assignment to entry in nil map",
                stack,
                service="cart-go",
            )
        )
    for root, line, caller in (
        ("/srv/shop/releases/20240301120000", 42, RUBY_FROM_CONTROLLER),
        ("/srv/shop/releases/20240315093000", 45, RUBY_FROM_CONTROLLER),
        ("/srv/shop/releases/20240315093000", 45, RUBY_FROM_MAILER),
    ):
        stack = fill(RUBY_TOTAL, root=root, line=line, caller=fill(caller, root=root))
        out.append(
            native(
                "ruby.order-total-nil",
                "NoMethodError",
                "undefined method `price' for nil:NilClass",
                stack,
                service="storefront",
            )
        )
    out.append(
        native(
            "ruby.order-total-nil",
            "NoMethodError",
            "undefined method `price' for nil:NilClass",
            RUBY_TOTAL_RAILS_LOG,
            service="storefront",
        )
    )
    for label, model, controller, ident, ar, core, finder, root, line in (
        (
            "ruby.order-not-found",
            "Order",
            "orders",
            4242,
            "7.1.3",
            253,
            "",
            "/srv/shop/releases/20240301120000",
            11,
        ),
        (
            "ruby.order-not-found",
            "Order",
            "orders",
            17,
            "7.1.4",
            262,
            AR_FINDER,
            "/srv/shop/releases/20240315093000",
            11,
        ),
        (
            "ruby.product-not-found",
            "Product",
            "products",
            812,
            "7.1.3",
            253,
            "",
            "/srv/shop/releases/20240301120000",
            9,
        ),
        (
            "ruby.product-not-found",
            "Product",
            "products",
            9,
            "7.1.4",
            262,
            AR_FINDER,
            "/srv/shop/releases/20240315093000",
            9,
        ),
    ):
        stack = fill(
            RUBY_NOT_FOUND,
            model=model,
            controller=controller,
            id=ident,
            ar=ar,
            core=core,
            finder=finder,
            root=root,
            line=line,
        )
        out.append(
            native(
                label,
                "ActiveRecord::RecordNotFound",
                f"Couldn't find {model} with 'id'={ident}",
                stack,
                service="storefront",
            )
        )
    return out + _stackless()


def _stackless() -> list[Labeled]:
    """Errors posted with a type and a message only: the message carries the bug."""
    out: list[Labeled] = []
    for last4, order, amount in (
        ("4242", 10023, "59.90"),
        ("0005", 998, "7.00"),
        ("4444", 31337, "1,299.00"),
    ):
        out.append(
            native(
                "native.card-declined",
                "PaymentDeclined",
                f"Card ending {last4} declined for order {order} (amount {amount} EUR)",
                service="payments-gw",
            )
        )
    for last4, order in (("4242", 10024), ("1881", 77)):
        out.append(
            native(
                "native.card-expired",
                "PaymentDeclined",
                f"Card ending {last4} expired for order {order}",
                service="payments-gw",
            )
        )
    for ip, path, page in (
        ("203.0.113.7", "/api/v1/orders", 3),
        ("198.51.100.23", "/api/v1/orders", 1),
        ("2001:db8::42", "/api/v1/orders", 12),
    ):
        out.append(
            native(
                "native.rate-limited",
                "RateLimitExceeded",
                f"Too many requests from {ip} for {path}?page={page} (limit 100/min)",
                service="gateway",
            )
        )
    for item, ms, request in (
        (81723, 30000, "5b2c9a1e-7d4f-4c1b-9a0e-3f6d2b8c1a77"),
        (4, 30000, "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"),
        (5521, 15000, "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"),
    ):
        out.append(
            native(
                "native.inventory-timeout",
                "UpstreamTimeout",
                f"GET https://inventory.internal:8443/v2/items/{item} timed out after "
                f"{ms}ms (request {request})",
                service="gateway",
            )
        )
    return out


HARD_NEGATIVES = (
    ("go.cart-index", "go.cart-nil-map", "runtime.Error panics in two methods of one type"),
    (
        "ruby.order-not-found",
        "ruby.product-not-found",
        "RecordNotFound 'Couldn't find X', two actions",
    ),
    ("native.card-declined", "native.card-expired", "PaymentDeclined 'Card ending N ... order N'"),
)
