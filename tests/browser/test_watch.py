"""The page watcher itself: what a hostile payload would do is seen, or its tests prove nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import PageWatch, screenshot, sign_in_as
from tests.support import LiveServer


@pytest.fixture
def signed_in(page: Page, server: LiveServer) -> Page:
    sign_in_as(page, server, next_path="/account/password")
    return page


def test_an_injected_inline_script_is_blocked_by_the_csp_and_reported(
    signed_in: Page, watch: PageWatch
) -> None:
    signed_in.evaluate(
        """() => {
          const s = document.createElement("script");
          s.textContent = "window.__pwned = 1";
          document.body.append(s);
        }"""
    )
    taken = watch.take()
    assert any("CSP violation: script-src" in p for p in taken), taken
    assert not any("pwned" in p for p in taken), taken  # blocked, so it never ran


def test_an_inline_event_handler_is_blocked_and_reported(signed_in: Page, watch: PageWatch) -> None:
    signed_in.evaluate(
        """() => { document.body.insertAdjacentHTML("beforeend",
             '<img src="/static/no-image.png" onerror="window.__pwned = 2">'); }"""
    )
    signed_in.wait_for_timeout(200)
    taken = watch.take()
    assert any("CSP violation" in p for p in taken), taken
    assert not any("pwned" in p for p in taken), taken


def test_a_script_that_runs_is_reported(signed_in: Page, watch: PageWatch) -> None:
    # Scripts Playwright evaluates bypass the CSP: they stand for a payload that got in.
    signed_in.evaluate("() => { window.__pwned = 1; }")
    signed_in.evaluate("() => { console.error('pwned'); }")
    signed_in.evaluate("() => { setTimeout(() => alert('xss'), 0); }")
    signed_in.evaluate("() => { setTimeout(() => { throw new Error('boom'); }, 0); }")
    signed_in.wait_for_timeout(100)
    taken = watch.take()
    assert any("window.__pwned = 1" in p for p in taken), taken
    assert any(p == "console.error: pwned" for p in taken), taken
    assert any(p.startswith("dialog (alert): xss") for p in taken), taken
    assert any(p.startswith("page error:") and "boom" in p for p in taken), taken
    assert signed_in.evaluate("() => window.__pwned") is None  # the setter stores nothing


def test_problems_fail_the_test(signed_in: Page, watch: PageWatch) -> None:
    signed_in.evaluate("() => { window.__pwned = 'yes'; }")
    with pytest.raises(AssertionError, match="pwned"):
        watch.assert_clean()
    watch.take()
    watch.assert_clean()


def test_a_missing_asset_is_reported(signed_in: Page, watch: PageWatch) -> None:
    signed_in.evaluate(
        """() => new Promise((done) => {
          const link = document.createElement("link");
          link.rel = "stylesheet"; link.href = "/static/no-such.css";
          link.onerror = done; document.head.append(link);
        })"""
    )
    taken = watch.take()
    assert any("/static/no-such.css answered 404" in p for p in taken), taken


def test_screenshots_are_1280_by_800(signed_in: Page) -> None:
    path = screenshot(signed_in, "account-password")
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(header[16:20], "big") == 1280
    assert int.from_bytes(header[20:24], "big") == 800
