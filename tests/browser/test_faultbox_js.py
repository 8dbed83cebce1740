"""The browser script served at /sdk/faultbox.js, in chromium, on another site's page.

The page comes from a second local server (another origin), loads the script from the
live Faultbox and reports through ``navigator.sendBeacon`` (no preflight, the key in
the URL). The same bug reported by ``@sentry/browser`` from npm (``sentry_js/``,
installed by scripts/test.sh) to the envelope endpoint groups into the same issue.
"""

from __future__ import annotations

import functools
import json
import mimetypes
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Request

from faultbox.web.pages.onboarding import snippets
from tests.browser.conftest import PageWatch, _watches
from tests.support import LiveServer, free_port, wait_for

NODE_MODULES = Path(__file__).parent / "sentry_js" / "node_modules"

# The bug: reading .length of a cart without items. Line numbers are asserted below.
BUG_JS = """\
function checkout(cart) {
  return cart.items.length;
}
function onBuy() {
  checkout({});
}
async function loadPrices() {
  throw new Error("prices unavailable");
}
async function syncCart() {
  await fetch("/api/cart/missing", { method: "POST", body: "secret=1" });
  await fetch("http://127.0.0.1:%(closed_port)d/cart");
}
document.getElementById("buy").addEventListener("click", onBuy);
document.getElementById("prices").addEventListener("click", () => { loadPrices(); });
document.getElementById("sync").addEventListener("click", () => { syncCart(); });
document.getElementById("done").addEventListener("click", () => { throw new RangeError("done"); });
"""
BUTTONS = """
<main class="shop"><button id="buy" class="btn primary">Buy</button>
<button id="prices">Prices</button><button id="sync">Sync</button>
<button id="done">Done</button></main>
"""


@dataclass
class Site:
    url: str
    pages: dict[str, bytes]


@pytest.fixture
def site() -> Iterator[Site]:
    """Another origin: the pages written by a test, /bug.js, and node_modules/."""
    pages: dict[str, bytes] = {"/bug.js": (BUG_JS % {"closed_port": free_port()}).encode()}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = pages.get(self.path)
            if body is None and self.path.startswith("/node_modules/"):
                target = (NODE_MODULES / self.path.removeprefix("/node_modules/")).resolve()
                if NODE_MODULES.resolve() in target.parents and target.is_file():
                    body = target.read_bytes()
            kind = mimetypes.guess_type(self.path)[0] or "text/html"
            if self.path.endswith((".js", ".mjs")):
                kind = "text/javascript"
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.end_headers()
            self.wfile.write(body or b"not found")

        def do_POST(self) -> None:  # noqa: N802
            self.send_response(404)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield Site(f"http://127.0.0.1:{httpd.server_address[1]}", pages)
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def faultbox_page(server: LiveServer) -> str:
    """The onboarding page's snippet for the script, as a user pastes it."""
    snippet = next(
        s["code"]
        for s in snippets(server.url, server.dsn, server.project.public_key or "")
        if s["id"] == "browser-script"
    )
    return f"""<!doctype html><html><head><title>shop</title></head><body>{BUTTONS}
{snippet}
<script>Faultbox.setTag("plan", "pro");</script>
<script src="/bug.js"></script></body></html>"""


def sentry_page(server: LiveServer) -> str:
    """@sentry/browser from npm as an app imports it, resolved by an import map."""
    imports = {}
    manifests = [*NODE_MODULES.glob("*/package.json"), *NODE_MODULES.glob("@*/*/package.json")]
    for manifest_path in sorted(manifests):
        manifest = json.loads(manifest_path.read_text())
        package = manifest_path.parent.relative_to(NODE_MODULES).as_posix()
        exports = manifest.get("exports") or {".": manifest.get("module") or manifest["main"]}
        for subpath, target in exports.items():
            while isinstance(target, dict):  # conditions: the browser's ESM build
                target = next(
                    (target[k] for k in ("browser", "import", "default") if k in target), None
                )
            if isinstance(target, str) and target.endswith(("js", "mjs")):
                name = package + subpath.removeprefix(".")
                imports[name] = f"/node_modules/{package}/{target.removeprefix('./')}"
    options = {"dsn": server.dsn, "environment": "production", "release": "web@1.0.0"}
    return f"""<!doctype html><html><head><title>shop</title>
<script type="importmap">{json.dumps({"imports": imports})}</script></head><body>{BUTTONS}
<script type="module">
import * as Sentry from "@sentry/browser";
Sentry.init({json.dumps(options)});
const bug = document.createElement("script");
bug.src = "/bug.js";
bug.onload = () => document.body.dataset.ready = "1";
document.body.append(bug);
</script></body></html>"""


def reports(page: Page) -> list[Request]:
    sent: list[Request] = []
    page.on("request", lambda r: sent.append(r) if "/api/" in r.url and r.method == "POST" else 0)
    return sent


def accepted(sent: list[Request]) -> bool:
    return any((answer := r.response()) is not None and answer.status == 200 for r in sent)


def issue_titled(server: LiveServer, title: str) -> dict[str, Any] | None:
    found = [i for i in server.issues() if i["title"].startswith(title)]
    return found[0] if found else None


def last_event(server: LiveServer, issue_id: int) -> dict[str, Any]:
    data = server.api_json(f"/api/v1/issues/{issue_id}/events", full="true")["data"]
    event: dict[str, Any] = data[0]["event"]
    return event


def main_exception(event: dict[str, Any]) -> dict[str, Any]:
    exc: dict[str, Any] = event["exceptions"][-1]
    return exc


def breadcrumbs(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The event's breadcrumbs; where the native contract has no field for them (before
    its structured fields), the copy the script puts in ``context``."""
    crumbs: list[dict[str, Any]] = event.get("breadcrumbs") or []
    return crumbs or event["extra"]["faultbox_js"]["breadcrumbs"]


def test_script_is_served_for_other_sites(server: LiveServer) -> None:
    response = httpx.get(server.url + "/sdk/faultbox.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=86400"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "content-security-policy" not in response.headers
    assert "Faultbox" in response.text and len(response.content) < 16_000
    again = httpx.get(
        server.url + "/sdk/faultbox.js", headers={"If-None-Match": response.headers["etag"]}
    )
    assert (again.status_code, again.content) == (304, b"")
    head = httpx.head(server.url + "/sdk/faultbox.js")
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == str(len(response.content))


def test_errors_rejections_and_failed_fetches_arrive(
    server: LiveServer, site: Site, page: Page, watch: PageWatch
) -> None:
    page_url = site.url + "/shop.html"
    site.pages["/shop.html"] = faultbox_page(server).encode()
    sent = reports(page)
    page.goto(page_url)
    page.click("#buy")
    page.click("#buy")  # the same error again, at once: sent once
    page.click("#prices")
    page.click("#sync")
    type_error = wait_for(lambda: issue_titled(server, "TypeError: Cannot read"))
    event = last_event(server, type_error["id"])
    exc = main_exception(event)
    assert exc["type"] == "TypeError"
    assert "reading 'length'" in exc["value"]
    # V8 names the listener by its receiver; grouping drops it (docs/architecture.md).
    frames = [(f["function"], f["filename"], f["lineno"], f["colno"]) for f in exc["frames"]]
    bug = site.url + "/bug.js"
    assert frames[-2:] == [
        ("HTMLButtonElement.onBuy", bug, 5, 3),
        ("checkout", bug, 2, 21),
    ], frames
    browser = event["contexts"]["browser"]
    assert browser["name"] == "Chrome" and browser["version"].split(".")[0].isdigit()
    assert browser["viewport"] == "1280x800" and browser["language"] == "en-US"
    assert event["request"]["url"] == page_url
    assert event["environment"] == "production"
    assert event["tags"]["service"] == "web"
    crumbs = breadcrumbs(event)
    assert crumbs[-1]["category"] == "ui.click"
    assert crumbs[-1]["message"] == "button#buy.btn.primary"  # an id is unique: enough
    assert (event["release"] or event["extra"]["faultbox_js"]["release"]) == "web@1.0.0"

    rejection = wait_for(lambda: issue_titled(server, "Error: prices"))
    event = last_event(server, rejection["id"])
    exc = main_exception(event)
    assert exc["value"] == "prices unavailable"
    assert [f.get("function") for f in exc["frames"]][-1] == "loadPrices"

    failed = wait_for(lambda: issue_titled(server, "TypeError: Failed to fetch"))
    event = last_event(server, failed["id"])
    crumbs = breadcrumbs(event)
    http = [c["data"] for c in crumbs if c.get("category") == "fetch"]
    assert http[0] == {"method": "POST", "url": "/api/cart/missing", "status_code": 404}
    assert http[1]["method"] == "GET" and http[1]["reason"] == "network error"
    assert "secret" not in json.dumps(crumbs)  # never bodies

    page.click("#done")  # the last report: everything sent before it has been counted
    wait_for(lambda: issue_titled(server, "RangeError: done"))
    assert server.issues()  # the TypeError issue holds one event although thrown twice
    assert type_error["count"] == 1
    assert wait_for(lambda: issue_titled(server, "TypeError: Cannot read"))["count"] == 1
    native = [r for r in sent if "/api/v1/errors" in r.url]
    assert len(native) == 4, [r.url for r in native]
    assert all("faultbox_key=" in r.url for r in native)
    assert {r.headers.get("content-type", "").split(";")[0] for r in native} == {"text/plain"}
    assert sorted(set(watch.take())) == [
        "page error: Cannot read properties of undefined (reading 'length')",
        "page error: Failed to fetch",
        "page error: done",
        "page error: prices unavailable",
    ]


def test_sentry_browser_and_faultbox_js_group_the_same_bug(
    server: LiveServer, site: Site, open_page: Any, request: pytest.FixtureRequest
) -> None:
    assert (NODE_MODULES / "@sentry" / "browser").is_dir(), (
        "tests/browser/sentry_js/node_modules is missing: scripts/test.sh runs npm ci there"
    )
    site.pages["/sentry.html"] = sentry_page(server).encode()
    site.pages["/faultbox.html"] = faultbox_page(server).encode()
    for path in ("/sentry.html", "/faultbox.html"):
        page = open_page()
        sent = reports(page)
        page.goto(site.url + path)
        page.wait_for_selector("#buy")
        if path == "/sentry.html":
            page.wait_for_selector("body[data-ready='1']")
        page.click("#buy")
        wait_for(functools.partial(accepted, sent))  # before the page (and its beacon) goes
        page.close()
    for watch in _watches(request.node):
        assert watch.take() == [
            "page error: Cannot read properties of undefined (reading 'length')"
        ]
    server.wait_events(2)
    issues = server.issues()
    assert [(i["title"], i["count"]) for i in issues] == [
        ("TypeError: Cannot read properties of undefined (reading 'length')", 2)
    ], issues
    events = server.api_json(f"/api/v1/issues/{issues[0]['id']}/events", full="true")["data"]
    assert sorted(e["event"]["source"] for e in events) == ["native", "sentry"]
    for event in events:
        top = main_exception(event["event"])["frames"][-1]
        assert (top["function"], top["filename"]) == ("checkout", site.url + "/bug.js")


FIREFOX_STACK = """checkout@{bug}:2:14
onBuy@{bug}:5:3
EventListener.handleEvent*@{bug}:14:36
"""
SAFARI_STACK = """checkout@{bug}:2:20
onBuy@{bug}:5:11
forEach@[native code]
global code@{bug}:14:41
"""


def recording_page(server: LiveServer, site: Site, page: Page) -> None:
    """The script with a beforeSend that keeps a copy of each event in the page, and
    delivers it only while ``window.deliver`` is true."""
    options = json.dumps({"dsn": server.dsn, "environment": "prod", "release": "web@2.0.0"})
    site.pages["/recorded.html"] = f"""<!doctype html><html><body>{BUTTONS}
<script src="{server.url}/sdk/faultbox.js" crossorigin="anonymous"></script>
<script>window.seen = []; window.deliver = false;
window.record = (event) => {{
  window.seen.push(JSON.parse(JSON.stringify(event)));
  return window.deliver ? event : null;
}};
Faultbox.init(Object.assign({options}, {{beforeSend: window.record}}));</script>
<script src="/bug.js"></script></body></html>""".encode()
    page.goto(site.url + "/recorded.html")


def captured(page: Page, script: str) -> list[dict[str, Any]]:
    page.evaluate("() => { window.seen = []; }")
    page.evaluate(script)
    events: list[dict[str, Any]] = page.evaluate("() => window.seen")
    return events


def test_firefox_and_safari_stacks_group_with_chrome(
    server: LiveServer, site: Site, page: Page, watch: PageWatch
) -> None:
    """The same bug as Firefox and Safari print it: their frames, and one issue with V8's."""
    recording_page(server, site, page)
    bug = site.url + "/bug.js"
    page.evaluate("() => { window.deliver = true; }")
    page.click("#buy")
    chrome = wait_for(lambda: issue_titled(server, "TypeError: Cannot read"))
    for stack, message in (
        (FIREFOX_STACK, "cart.items is undefined"),
        (SAFARI_STACK, "undefined is not an object (evaluating 'cart.items.length')"),
    ):
        script = f"""() => {{
            const error = new TypeError({json.dumps(message)});
            Object.defineProperty(error, "stack", {{ value: {json.dumps(stack.format(bug=bug))} }});
            Faultbox.captureException(error);
        }}"""
        (event,) = captured(page, script)
        frames = [
            (f.get("function"), f.get("filename"), f["lineno"])
            for f in event["exception"]["frames"]
        ]
        assert frames[-2:] == [("onBuy", bug, 5), ("checkout", bug, 2)], frames
        assert event["stackTrace"].startswith(f"TypeError: {message}\n")
    wait_for(lambda: server.event_count() == 3)
    issues = server.issues()
    assert [(i["id"], i["count"]) for i in issues] == [(chrome["id"], 3)], issues
    assert watch.take() == ["page error: Cannot read properties of undefined (reading 'length')"]


def test_breadcrumbs_bounds_and_options(
    server: LiveServer, site: Site, page: Page, watch: PageWatch
) -> None:
    recording_page(server, site, page)
    page.evaluate("""() => {
        for (let i = 0; i < 50; i++) document.querySelector("main").click();
        history.pushState({}, "", "/cart?step=2");
        const xhr = new XMLHttpRequest();
        xhr.open("PUT", "/api/cart/7");
        xhr.send("card=4111111111111111");
        return new Promise((resolve) => xhr.addEventListener("loadend", resolve));
    }""")
    page.evaluate("() => Faultbox.setUser({ id: 'u-42', email: 'a@example.com' })")
    (event,) = captured(page, "() => { Faultbox.captureException(new Error('with crumbs')); }")
    crumbs = event["breadcrumbs"]
    assert len(crumbs) == 30  # the newest 30 of 52
    assert crumbs[0] == {"type": "user", "category": "ui.click", "message": "main.shop",
                         "timestamp": crumbs[0]["timestamp"]}  # fmt: skip
    assert crumbs[-2]["category"] == "navigation"
    assert crumbs[-2]["data"] == {"from": site.url + "/recorded.html", "to": "/cart?step=2"}
    assert crumbs[-1]["category"] == "xhr"  # the site has no PUT: 501
    assert crumbs[-1]["data"] == {"method": "PUT", "url": "/api/cart/7", "status_code": 501}
    assert "4111" not in json.dumps(event)  # never bodies
    assert event["userId"] == "u-42"
    assert event["environment"] == "prod"  # any name Sentry allows
    assert event["release"] == "web@2.0.0"
    assert event["requestUrl"] == site.url + "/cart?step=2"
    assert event["browserInfo"]["viewport"] == "1280x800"

    # Rejections with non-Errors (one circular) and a thrown string.
    odd = captured(
        page,
        """() => {
            const loop = {}; loop.self = loop;
            Promise.reject({ code: 7 }); Promise.reject(loop);
            setTimeout(() => { throw "plain text"; });
            return new Promise((resolve) => setTimeout(resolve, 100));
        }""",
    )
    assert sorted((e["errorType"], e["message"]) for e in odd) == [
        ("Error", "Uncaught plain text"),
        ("UnhandledRejection", "Non-Error promise rejection captured with value: [object Object]"),
        ("UnhandledRejection", 'Non-Error promise rejection captured with value: {"code":7}'),
    ]
    assert sorted(watch.take()) == [
        "page error: Object",
        "page error: Object",
        "page error: plain text",
    ]

    # Names the server would refuse the event for are left out, and it arrives.
    page.evaluate("() => { window.deliver = true; }")
    options = {"dsn": server.dsn, "release": "web/2.0", "environment": "qa/eu"}
    page.evaluate(
        f"() => Faultbox.init(Object.assign({json.dumps(options)}, {{beforeSend: window.record}}))"
    )
    (odd,) = captured(page, "() => { Faultbox.setTag('', 'x'); Faultbox.captureMessage('odd'); }")
    assert "release" not in odd and "environment" not in odd and "" not in odd["tags"]
    wait_for(lambda: server.event_count() == 1)

    # Distinct errors: at most 30 a minute leave the page (what beforeSend dropped does
    # not count); a repeat within 5 s is dropped before that.
    many = captured(
        page,
        "() => { for (let i = 0; i < 40; i++) Faultbox.captureException(new Error('e' + i)); }",
    )
    assert [e["message"] for e in many] == [f"e{i}" for i in range(29)]
    # 30 reports exceed the 64 KB that beacons may have in flight: the rest go by fetch.
    wait_for(lambda: server.event_count() == 30)
    assert captured(page, "() => { Faultbox.captureMessage('over budget'); }") == []

    # Nothing the script is handed throws into the page.
    page.evaluate("""() => {
        Faultbox.init({ dsn: "not a dsn" });
        Faultbox.captureException(null);
        Faultbox.setTag(undefined, { toString() { throw new Error("hostile"); } });
        Faultbox.addBreadcrumb(undefined);
    }""")
    assert watch.take() == []
