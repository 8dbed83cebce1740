"""Browser tests: Playwright driving Debian's chromium against a live Faultbox.

One browser per session, a fresh context (cookies, storage) and page per test.  Every
page is watched: a JavaScript error, a Content-Security-Policy violation, a dialog
(``alert(1)``), ``console.error`` or a write to ``window.__pwned`` fails the test that
caused it, so a hostile payload whose script runs cannot pass unnoticed.  A test that
expects one of these takes it with ``watch.take(...)``.

Chromium is never downloaded (no ``playwright install``): ``scripts/test.sh`` installs
Debian's ``chromium`` package and the tests launch ``/usr/bin/chromium`` (or
``$FAULTBOX_CHROMIUM``).  If it cannot start, every browser test fails with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Error,
    Page,
    Playwright,
    sync_playwright,
)
from sentry_sdk.scope import Scope, use_isolation_scope, use_scope

from faultbox import clock
from faultbox.store.accounts import add_member, create_user, ensure_team, get_user_by_email
from faultbox.store.db import write_transaction
from faultbox.store.projects import Project, create_project
from faultbox.store.web_sessions import start_session
from faultbox.web.session import SESSION_COOKIE
from tests.support import REPO, LiveServer, free_port, password_hash, wait_for

CHROMIUM = os.environ.get("FAULTBOX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 800}
SCREENSHOTS = REPO / "docs" / "screenshots"
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "s3cret-pass"  # seeded by tests.support.seed
PASSWORD = "browser-pass-1"  # make_user's default

# Runs in every document before the page's own scripts (injected through the DevTools
# protocol, so the page's CSP does not apply to it).  It turns what a hostile payload
# would do into console errors the watcher sees.
_WATCH_SCRIPT = """
(() => {
  document.addEventListener("securitypolicyviolation", (e) => {
    console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
      + " at " + e.sourceFile + ":" + e.lineNumber);
  });
  Object.defineProperty(window, "__pwned", {
    configurable: false,
    get() { return undefined; },
    set(value) { console.error("pwned: window.__pwned = " + String(value)); },
  });
})();
"""
# Network-level failures are logged by chromium as console errors too; a failed
# document or fetch is what the test asserts on, a failed asset is reported separately.
_RESOURCE_FAILURE = re.compile(r"^Failed to load resource: ")
_ASSET_TYPES = frozenset({"stylesheet", "script", "image", "font"})


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the browser tests, and run them last.

    Playwright's sync API keeps an asyncio loop running in the main thread while it is
    open; tests that call ``asyncio.run()`` after it fail ("cannot be called from a
    running event loop"). Last, and closed when this package ends (the fixtures below
    are package-scoped), the browser tests leave the rest of the suite alone."""
    here = Path(__file__).parent
    browser_items = [item for item in items if here in Path(str(item.fspath)).parents]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
    chosen = set(map(id, browser_items))
    items[:] = [item for item in items if id(item) not in chosen] + browser_items


# -- watching pages -----------------------------------------------------------------


@dataclass
class PageWatch:
    """What went wrong in one page: JS errors, CSP violations, dialogs, broken assets."""

    page: Page
    problems: list[str] = field(default_factory=list)

    def attach(self) -> None:
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("dialog", self._dialog)
        self.page.on("response", self._response)
        self.page.on("requestfailed", self._request_failed)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "assert") and not _RESOURCE_FAILURE.match(message.text):
            self.problems.append(f"console.{message.type}: {message.text}")

    def _dialog(self, dialog: Dialog) -> None:
        self.problems.append(f"dialog ({dialog.type}): {dialog.message}")
        dialog.dismiss()

    def _response(self, response: Any) -> None:
        if response.status >= 400 and response.request.resource_type in _ASSET_TYPES:
            self.problems.append(f"asset {response.url} answered {response.status}")

    def _request_failed(self, request: Any) -> None:
        if request.resource_type in _ASSET_TYPES:
            self.problems.append(f"asset {request.url} failed: {request.failure}")

    def settle(self) -> None:
        """Let events the page already queued reach us (a round trip through it)."""
        if self.page.is_closed():
            return
        try:
            self.page.evaluate("() => new Promise((r) => setTimeout(r, 0))")
        except Error:
            pass  # navigating or closed: whatever it logged has arrived

    def take(self, pattern: str = "") -> list[str]:
        """Remove and return the problems matching ``pattern`` (a regex; all by default)."""
        self.settle()
        taken = [p for p in self.problems if re.search(pattern, p)]
        self.problems = [p for p in self.problems if p not in taken]
        return taken

    def assert_clean(self) -> None:
        self.settle()
        if self.problems:
            raise AssertionError(
                f"the page at {self.page.url} reported:\n  " + "\n  ".join(self.problems)
            )


def _watches(node: pytest.Item) -> list[PageWatch]:
    found: list[PageWatch] = node.stash.setdefault(_WATCHES, [])
    return found


_WATCHES = pytest.StashKey[list[PageWatch]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A passing browser test still fails if one of its pages reported a problem."""
    result = yield
    for watch in _watches(item):
        watch.assert_clean()
    return result


# -- the browser --------------------------------------------------------------------


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: browser tests need Debian's chromium package "
            "(scripts/test.sh installs it; or set FAULTBOX_CHROMIUM to a chromium binary)",
            pytrace=False,
        )
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Error as exc:
        pytest.fail(f"chromium at {CHROMIUM} did not start: {exc}", pytrace=False)
    yield browser
    browser.close()


@pytest.fixture
def server(sqlite_server: LiveServer) -> LiveServer:
    """The live Faultbox (SQLite) the browser talks to; seeded admin, project 'backend'."""
    return sqlite_server


@pytest.fixture
def open_page(
    browser: Browser, server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Callable[[], Page]]:
    """Open a watched page in a new context (its own cookies): one per simultaneous user."""
    contexts: list[BrowserContext] = []

    def open_() -> Page:
        context = browser.new_context(
            base_url=server.url, viewport=VIEWPORT, device_scale_factor=1, locale="en-US"
        )
        context.set_default_timeout(10_000)
        context.add_init_script(_WATCH_SCRIPT)
        contexts.append(context)
        new = context.new_page()
        watch = PageWatch(new)
        watch.attach()
        _watches(request.node).append(watch)
        return new

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page: Callable[[], Page]) -> Page:
    return open_page()


@pytest.fixture
def watch(page: Page, request: pytest.FixtureRequest) -> PageWatch:
    """The watcher of ``page`` (to take problems a test provokes on purpose)."""
    return next(w for w in _watches(request.node) if w.page is page)


# -- helpers ------------------------------------------------------------------------


def sign_in(
    page: Page,
    server: LiveServer,
    email: str = ADMIN_EMAIL,
    password: str = ADMIN_PASSWORD,
    *,
    next_path: str = "/account/password",
) -> None:
    """Sign in through the form and land on ``next_path`` (asserted)."""
    page.goto(server.url + "/login?next=" + next_path)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    path = page.url.removeprefix(server.url)
    assert path == next_path, f"sign-in as {email} landed on {path}: {page.content()[:2000]}"


def sign_in_as(
    page: Page, server: LiveServer, email: str = ADMIN_EMAIL, *, next_path: str = "/overview"
) -> None:
    """Start a session in the store and hand the browser its cookie, then open
    ``next_path``: for tests about something else than the sign-in form (no argon2)."""
    with write_transaction(server.engine) as conn:
        token = start_session(
            conn,
            user_id=get_user_by_email(conn, email).id,
            now=clock.now(),
            lifetime=server.settings.session_days * 86400.0,
            user_agent="playwright",
            ip="127.0.0.1",
        )
    page.context.add_cookies(
        [
            {
                "name": SESSION_COOKIE,
                "value": token,
                "url": server.url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )
    page.goto(next_path)
    path = page.url.removeprefix(server.url)
    assert path == next_path, f"{email} landed on {path}"


def csrf_token(page: Page) -> str:
    """The session's CSRF token, as the page carries it."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert token, "the page has no CSRF token (not signed in?)"
    return token


def make_user(
    server: LiveServer,
    email: str,
    role: str = "member",
    *,
    team: str = "default",
    password: str = PASSWORD,
    superuser: bool = False,
) -> int:
    """A user with ``role`` in ``team`` (created if needed; 'default' owns 'backend')."""
    with write_transaction(server.engine) as conn:
        team_id = ensure_team(conn, team)
        user = create_user(
            conn, email=email, password_hash=password_hash(password), is_superuser=superuser
        )
        add_member(conn, team_id=team_id, user_id=user.id, role=role)
    return user.id


def make_project(server: LiveServer, name: str, *, team: str = "default") -> Project:
    with write_transaction(server.engine) as conn:
        return create_project(conn, name=name, team_id=ensure_team(conn, team))


@dataclass(frozen=True)
class SentEvent:
    event_id: str
    issue_id: int


def send_sentry_event(
    server: LiveServer,
    *,
    error: BaseException | None = None,
    message: str | None = None,
    level: str = "error",
    tags: dict[str, str] | None = None,
    user: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    breadcrumbs: list[dict[str, Any]] | None = None,
    request: dict[str, Any] | None = None,
    timestamp: datetime | None = None,
    release: str = "shop@1.0.0",
    environment: str = "production",
    dsn: str | None = None,
) -> SentEvent:
    """Send one event with the real sentry-sdk and wait until it is stored.

    ``error`` is raised and captured (a real stack trace through this function);
    otherwise ``message`` is captured as a message.  ``request`` (``url``, ``method``…)
    is added by an event processor, as sentry-sdk's web framework integrations do;
    ``timestamp`` (when the error happened, e.g. hours ago) likewise.  A
    fresh client and fresh scopes per call: nothing leaks into sentry-sdk's global state
    or other tests.
    """
    assert (error is None) != (message is None), "pass error or message"
    client = sentry_sdk.Client(
        dsn=dsn or server.dsn,
        release=release,
        environment=environment,
        send_default_pii=True,
        default_integrations=False,
        auto_enabling_integrations=False,
    )
    try:
        with use_isolation_scope(Scope()), use_scope(Scope()) as scope:
            scope.set_client(client)
            for key, value in (tags or {}).items():
                scope.set_tag(key, value)
            if user:
                scope.set_user(user)
            for key, value in (extra or {}).items():
                scope.set_extra(key, value)
            for crumb in breadcrumbs or []:
                scope.add_breadcrumb(crumb)
            if request or timestamp:
                scope.add_event_processor(_patch_event(request=request, timestamp=timestamp))
            if error is not None:
                try:
                    raise error
                except BaseException:
                    event_id = scope.capture_exception(sys.exc_info())
            else:
                event_id = scope.capture_message(message, level=level)  # type: ignore[arg-type]
        assert event_id, "sentry-sdk dropped the event"
        client.flush(timeout=10)
    finally:
        client.close(timeout=5)

    def stored() -> int | None:
        response = server.api(f"/api/v1/events/{event_id}")
        return int(response.json()["issue_id"]) if response.status_code == 200 else None

    return SentEvent(event_id, wait_for(stored))


def _patch_event(**fields: Any) -> Callable[[Any, Any], Any]:
    def processor(event: Any, hint: Any) -> Any:
        event.update({key: value for key, value in fields.items() if value is not None})
        return event

    return processor


def screenshot(page: Page, name: str) -> Path:
    """A 1280×800 screenshot of what the page shows.

    Written to docs/screenshots/<name>.png only when FAULTBOX_SCREENSHOTS=1 (to refresh
    the committed pictures on purpose); otherwise into a temporary directory, so an
    ordinary run still exercises the capture without touching the repository.
    """
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", name), f"bad screenshot name {name!r}"
    if os.environ.get("FAULTBOX_SCREENSHOTS") == "1":
        target_dir = SCREENSHOTS
    else:
        target_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"faultbox-screenshots-{os.getpid()}"
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / f"{name}.png"
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    return path


@pytest.fixture(scope="session", autouse=True)
def _remove_tmp_screenshots() -> Iterator[None]:
    yield
    shutil.rmtree(
        Path(os.environ.get("TMPDIR", "/tmp")) / f"faultbox-screenshots-{os.getpid()}",
        ignore_errors=True,
    )


# -- another site -------------------------------------------------------------------


@dataclass
class OtherSite:
    """A second local web server (another origin) serving pages a test writes."""

    url: str
    pages: dict[str, str]

    def serve(self, path: str, html: str) -> str:
        self.pages[path] = html
        return self.url + path


@pytest.fixture
def other_site() -> Iterator[OtherSite]:
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = pages.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write((body or "not found").encode())

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield OtherSite(f"http://127.0.0.1:{httpd.server_address[1]}", pages)
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)
