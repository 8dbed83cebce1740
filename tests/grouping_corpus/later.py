"""Text-trace bugs written after grouping v2 was settled, to check it on patterns it
was not tuned on.  Two of them are known to split under v2 (an app-class method V8
prefixes with its class and Firefox does not; a fetch failure that Firefox reports
without a stack): their labels stay what the bugs are."""

from __future__ import annotations

from tests.grouping_corpus.javascript import CDN
from tests.grouping_corpus.native import Labeled, fill, native, trace

STORE_V8 = trace("store_total_v8.txt")
STORE_FIREFOX = trace("store_total_firefox.txt")
FETCH_V8 = trace("fetch_orders_v8.txt")
FETCH_SAFARI = trace("fetch_orders_safari.txt")
GO_NIL = trace("go_nil_pointer.txt")
GO_HTTP = trace("go_orders_http.txt")
GO_JOB = trace("go_orders_job.txt")
PY_INVOICE = trace("py_invoice.txt")
JAVA_QTY = trace("java_import_qty.txt")


def _web(label: str, error_type: str, message: str, stack: str | None, browser: str) -> Labeled:
    return native(label, error_type, message, stack, service="shop-web", source="frontend",
                  browserInfo={"name": browser})  # fmt: skip


def events() -> list[Labeled]:
    old = {"cdn": CDN, "main": "3f9a2c1b", "vendor": "77aa01ff"}
    new = {"cdn": CDN, "main": "9be1d2aa", "vendor": "1c2d3e4f"}
    qty = "Cannot read properties of undefined (reading 'qty')"
    out = [
        _web("js.cart-store-total", "TypeError", qty, fill(STORE_V8, col=7001, **old), "Chrome"),
        _web("js.cart-store-total", "TypeError", qty, fill(STORE_V8, col=7013, **new), "Edge"),
        _web("js.cart-store-total", "TypeError", "line is undefined",
             fill(STORE_FIREFOX, col=6980, **new), "Firefox"),
        _web("js.orders-fetch", "TypeError", "Failed to fetch", fill(FETCH_V8, col=8100, **old),
             "Chrome"),
        _web("js.orders-fetch", "TypeError", "Load failed", fill(FETCH_SAFARI, col=8090, **new),
             "Safari"),
        # Firefox gives the fetch error no stack at all.
        _web("js.orders-fetch", "TypeError", "NetworkError when attempting to fetch resource.",
             None, "Firefox"),
    ]  # fmt: skip
    for addr, goroutine, root, line, caller in (
        ("0x18", 23, "/build", 88, GO_HTTP),
        ("0x20", 7, "/build", 91, GO_HTTP),
        ("0x18", 1, "/go/src/github.com/acme/shop", 91, GO_JOB),
    ):
        stack = fill(GO_NIL, addr=addr, pc=f"0x6d{goroutine:04x}", goroutine=goroutine, root=root,
                     line=line, caller=fill(caller, root=root))  # fmt: skip
        out.append(native("go.order-total-nil", "runtime.Error",
                          "runtime error: invalid memory address or nil pointer dereference",
                          stack, service="orders-go"))  # fmt: skip
    for release, shift, entry in (("101", 0, "render"), ("102", 6, "render"), ("102", 6, "export")):
        stack = fill(
            PY_INVOICE, root=f"/srv/releases/{release}", a=31 + shift, b=12 + shift, entry=entry,
            entry_file="invoices.py" if entry == "render" else "exports.py",
            entry_line="total = compute_total(lines)" if entry == "render"
            else "rows.append(compute_total(invoice.lines))",
        )  # fmt: skip
        out.append(
            native(
                "pytext.invoice-amount",
                "decimal.InvalidOperation",
                "[<class 'decimal.ConversionSyntax'>]",
                stack,
                service="billing",
            )
        )
    for text, jdk, line, caller in (
        ("12,5", 661, 44, "\tat com.shop.imports.CsvImporter.importRow(CsvImporter.java:30)"),
        ("", 672, 47, "\tat com.shop.imports.CsvImporter.importRow(CsvImporter.java:33)"),
        ("3 pcs", 672, 47, "\tat com.shop.web.StockController.adjust(StockController.java:58)"),
    ):
        stack = fill(JAVA_QTY, input=text, jdk=jdk, line=line, caller=caller)
        out.append(native("java.import-qty", "java.lang.NumberFormatException",
                          f'For input string: "{text}"', stack, service="imports"))  # fmt: skip
    return out


HARD_NEGATIVES = (
    ("js.cart-store-total", "js.cart-total", "TypeError reading a property in the cart code"),
    ("go.order-total-nil", "go.cart-index", "runtime.Error panics in two packages"),
)
