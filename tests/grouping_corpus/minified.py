"""Bugs of front ends shipped minified without source maps.

Every build renames functions and variables (``t`` in one build is ``Qe`` in the
next), moves the columns and changes the bundle's content hash; the file name (hash
stripped), the property names and the shape of the error stay.  Minifiers hand the
same short names to unrelated functions, so one bug's ``t`` is another bug's ``t``
a build later: the look-alike pairs share the bundle and the exception type.

* The storefront's account pages, a webpack chunk (``account.4e1f9a7c.chunk.js``):
  V8, Firefox and Safari text traces and @sentry/browser events.
* The back office, a Vite build (``index-D4kq9Lx2.js``, React in ``vendor-….js``):
  text traces and @sentry/browser events of React's production errors.
* A Node service bundled by esbuild (an AWS Lambda), through @sentry/node: its source
  line is a cut of the bundle's one line, new with every build.
"""

from __future__ import annotations

from typing import Any

from tests.grouping_corpus.native import Labeled, fill, native, trace

CDN = "https://shop.example.com/static/js"
ADMIN = "https://admin.shop.example.com"

ACCOUNT_V8 = trace("min_account_v8.txt")
ACCOUNT_FIREFOX = trace("min_account_firefox.txt")  # Safari writes frames the same way
ADMIN_V8 = trace("min_admin_v8.txt")
ADMIN_FIREFOX = trace("min_admin_firefox.txt")
ADMIN_SAFARI = trace("min_admin_safari.txt")

# Three deploys of the storefront: the vendor bundle only changes in the third.
ACCOUNT_BUILDS = (
    {"cdn": CDN, "chunk": "4e1f9a7c", "vendor": "91c3e0d2", "vfn": "Ra", "vfn2": "Qo"},
    {"cdn": CDN, "chunk": "b7c20d13", "vendor": "91c3e0d2", "vfn": "Ra", "vfn2": "Qo"},
    {"cdn": CDN, "chunk": "0d5e8f21", "vendor": "a0b4c6d8", "vfn": "Ml", "vfn2": "Zu"},
)
# Three deploys of the back office: React is upgraded (18 → 19) in the third.
ADMIN_BUILDS = (
    {"admin": ADMIN, "index": "D4kq9Lx2", "vendor": "Cx81kd2Q"},
    {"admin": ADMIN, "index": "Bw71hZcE", "vendor": "Cx81kd2Q"},
    {"admin": ADMIN, "index": "C0s8mPaV", "vendor": "DL3m9sQa"},
)
REACT_18 = "https://reactjs.org/docs/error-decoder.html?invariant={code}{args}"
REACT_19 = "https://react.dev/errors/{code}{args}"
BROWSERS = {
    "Chrome": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0.0.0 Safari/537.36",
    "Firefox": "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
}


def _web(label: str, message: str, stack: str, browser: str, service: str) -> Labeled:
    return native(label, "TypeError", message, stack, service=service, source="frontend",
                  browserInfo={"name": browser})  # fmt: skip


def _account_traces() -> list[Labeled]:
    price = "Cannot read properties of undefined (reading 'price')"
    sku = "Cannot read properties of undefined (reading 'sku')"
    # (label, build, browser, function, its caller, column, caller's column, message)
    rows = (
        ("jsmin.wishlist-price", 0, "Chrome", "t", "Xn", 48211, 48790, price),
        ("jsmin.wishlist-price", 1, "Edge", "Qe", "e", 48377, 48956, price),
        ("jsmin.wishlist-price", 2, "Firefox", "n", "Kt", 48102, 48690,
         'can\'t access property "price", e is undefined'),
        ("jsmin.wishlist-sku", 0, "Chrome", "Zt", "Xn", 51044, 48790, sku),
        # The names the price bug had in the other builds.
        ("jsmin.wishlist-sku", 1, "Firefox", "t", "e", 51230, 48956,
         'can\'t access property "sku", t is undefined'),
        ("jsmin.wishlist-sku", 2, "Safari", "Qe", "Kt", 50987, 48690,
         "undefined is not an object (evaluating 't.sku')"),
    )  # fmt: skip
    out = []
    for label, build, browser, fn, caller, col, col2, message in rows:
        template = ACCOUNT_V8 if browser in ("Chrome", "Edge") else ACCOUNT_FIREFOX
        values = {**ACCOUNT_BUILDS[build], "fn": fn, "caller": caller, "col": col, "col2": col2}
        if template is ACCOUNT_V8:
            values["message"] = message
        out.append(_web(label, message, fill(template, **values), browser, "shop-web"))
    return out


def _admin_traces() -> list[Labeled]:
    # An anonymous callback inside a minified function: V8 leaves it unnamed, Firefox
    # names it after the function ("Ht/<"), Safari writes "@".
    # (label, build, browser, function, component, Array method, columns, message)
    rows = (
        ("jsmin.filters-tags", 0, "Chrome", "Ht", "Gr", "map", (10512, 10470, 88120),
         "e.tags.filter is not a function"),
        ("jsmin.filters-tags", 1, "Firefox", "Bo", "Ue", "map", (10655, 10613, 88301),
         "t.tags.filter is not a function"),
        ("jsmin.filters-tags", 2, "Safari", "k", "Gr", "map", (10498, 10456, 87990),
         "n.tags.filter is not a function. (In 'n.tags.filter(e=>e.active)', "
         "'n.tags.filter' is undefined)"),
        ("jsmin.invoice-lines", 0, "Chrome", "Yn", "Gr", "forEach", (12040, 11987, 88120),
         "e.lines.sort is not a function"),
        # The function the tags bug was in, one build earlier.
        ("jsmin.invoice-lines", 2, "Firefox", "Ht", "Ue", "forEach", (12201, 12150, 87990),
         "r.lines.sort is not a function"),
    )  # fmt: skip
    templates = {"Chrome": ADMIN_V8, "Firefox": ADMIN_FIREFOX, "Safari": ADMIN_SAFARI}
    out = []
    for label, build, browser, fn, component, each, (col, col2, col3), message in rows:
        values = {**ADMIN_BUILDS[build], "fn": fn, "component": component, "col": col,
                  "col2": col2, "col3": col3}  # fmt: skip
        template = templates[browser]
        if browser == "Chrome":
            values["message"] = message
        if browser != "Firefox":
            values["each"] = each
        out.append(_web(label, message, fill(template, **values), browser, "shop-admin"))
    return out


def _sdk_frame(url: str, function: str, col: int) -> dict[str, Any]:
    # @sentry/browser: every frame in_app; no source line (no source fetching).
    return {"filename": url, "function": function, "lineno": 1, "colno": col, "in_app": True}


def _sdk_event(
    error_type: str, value: str, frames: list[dict[str, Any]], page: str, browser: str
) -> dict[str, Any]:
    return {
        "platform": "javascript",
        "level": "error",
        "release": "shop-web@2024.4.2",
        "environment": "production",
        "sdk": {"name": "sentry.javascript.react", "version": "8.55.0"},
        "request": {"url": page, "headers": {"User-Agent": BROWSERS[browser]}},
        "exception": {
            "values": [
                {
                    "type": error_type,
                    "value": value,
                    "mechanism": {"type": "onerror", "handled": False},
                    "stacktrace": {"frames": frames},
                }
            ]
        },
    }


def _address_events() -> list[Labeled]:
    # (build, browser, function, submit handler as the SDK names it, column, message)
    rows = (
        (0, "Chrome", "Jn", "HTMLFormElement.o", 61233,
         "Cannot set properties of null (setting 'textContent')"),
        (1, "Firefox", "Lt", "i", 61420, 'can\'t access property "textContent", e is null'),
        (2, "Chrome", "r", "HTMLFormElement.Jn", 61190,
         "Cannot set properties of null (setting 'textContent')"),
    )  # fmt: skip
    out: list[Labeled] = []
    for build, browser, fn, handler, col, message in rows:
        b = ACCOUNT_BUILDS[build]
        chunk, vendor = f"{CDN}/account.{b['chunk']}.chunk.js", f"{CDN}/vendor.{b['vendor']}.js"
        frames = [
            _sdk_frame(vendor, b["vfn2"], 64893),
            _sdk_frame(vendor, b["vfn"], 61520),
            _sdk_frame(chunk, handler, col + 1710),
            _sdk_frame(chunk, fn, col),
        ]
        page = "https://shop.example.com/account/addresses"
        event = _sdk_event("TypeError", message, frames, page, browser)
        out.append(("jsmin.address-label", "sentry", event))
    return out


def _react_events() -> list[Labeled]:
    """React's production errors, thrown from the minified vendor bundle."""
    keys = "object%20with%20keys%20%7Bid%2C%20name%7D"
    # (label, build, code, URL's arguments, React's functions outermost first)
    rows = (
        ("jsmin.react-update-loop", 0, 185, "", ("Ks", "Sl", "Il")),
        ("jsmin.react-update-loop", 1, 185, "", ("Ks", "Sl", "Il")),
        ("jsmin.react-update-loop", 2, 185, "", ("Vs", "yl", "Pl")),
        ("jsmin.react-object-child", 0, 31, f"&args[]={keys}", ("Ja", "Xa", "Ha")),
        ("jsmin.react-object-child", 2, 31, f"?args[]={keys[:-3]}%2C%20sku%7D",
         ("Qa", "Ga", "Ua")),
    )  # fmt: skip
    out: list[Labeled] = []
    for label, build, code, args, names in rows:
        b = ADMIN_BUILDS[build]
        index, vendor = (
            f"{ADMIN}/assets/index-{b['index']}.js",
            f"{ADMIN}/assets/vendor-{b['vendor']}.js",
        )
        link = (REACT_19 if build == 2 else REACT_18).format(code=code, args=args)
        message = (
            f"Minified React error #{code}; visit {link} for the full message or use the "
            "non-minified dev environment for full errors and additional helpful warnings."
        )
        app = "Wn" if build == 0 else "Pr"  # the app's component that rendered
        frames = [_sdk_frame(index, app, 30411 + build * 97)]
        frames += [_sdk_frame(vendor, name, 40021 + i * 3311) for i, name in enumerate(names)]
        page = f"{ADMIN}/orders"
        out.append((label, "sentry", _sdk_event("Error", message, frames, page, "Chrome")))
    return out


def _node_frame(function: str, col: int, **kw: Any) -> dict[str, Any]:
    bundle = "/var/task/index.js"
    return {"filename": bundle, "abs_path": bundle, "module": "index", "function": function,
            "lineno": 1, "colno": col, "in_app": True, **kw}  # fmt: skip


def _lambda_events() -> list[Labeled]:
    """A Node service bundled and minified by esbuild (an AWS Lambda): @sentry/node reads
    the bundle's one long line and sends 140 characters of it, cut at "{snip}"."""
    query = 'KeyConditionExpression:"pk = :pk"'
    # (function, column, its parameter, the result, the client, the command class)
    rows = (("Ae", 18342, "e", "r", "n", "Kt"), ("Tt", 18519, "t", "a", "o", "Qr"))
    out: list[Labeled] = []
    for fn, col, arg, result, client, command in rows:
        code = (
            f"async function {fn}({arg}){{const {result}=await {client}.send(new {command}"
            f"({{TableName:{arg}.t,{query}}}));return {result}.Items.map(s=>Wt(s))}}"
        )
        line = f"'{{snip}} {code} {{snip}}"
        frames = [
            {"filename": "node:internal/process/task_queues", "module": "task_queues",
             "function": "process.processTicksAndRejections", "lineno": 95, "in_app": False},
            _node_frame("Runtime.handler", col + 2210),
            _node_frame(fn, col, context_line=line),
        ]  # fmt: skip
        exception = {
            "type": "TypeError",
            "value": "Cannot read properties of undefined (reading 'Items')",
            "mechanism": {"type": "auto.function.aws_serverless.handler", "handled": False},
            "stacktrace": {"frames": frames},
        }
        event = {
            "platform": "node",
            "level": "error",
            "release": f"orders-export@1.{col}",
            "environment": "production",
            "sdk": {"name": "sentry.javascript.aws-serverless", "version": "8.55.0"},
            "exception": {"values": [exception]},
        }
        out.append(("jsmin.lambda-orders-items", "sentry", event))
    return out


def events() -> list[Labeled]:
    return [
        *_account_traces(),
        *_admin_traces(),
        *_address_events(),
        *_react_events(),
        *_lambda_events(),
    ]


HARD_NEGATIVES = (
    ("jsmin.wishlist-price", "jsmin.wishlist-sku",
     "TypeError reading a property of undefined in one minified chunk, names reused"),
    ("jsmin.wishlist-price", "jsmin.address-label",
     "TypeError on a property of a missing value in one minified chunk"),
    ("jsmin.filters-tags", "jsmin.invoice-lines",
     "TypeError '<min>.x is not a function' in a callback of one minified bundle"),
    ("jsmin.react-update-loop", "jsmin.react-object-child",
     "Error 'Minified React error #...' from one vendor bundle"),
)  # fmt: skip
