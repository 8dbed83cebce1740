"""Onboarding in the browser: copy the DSN shown, send with the real sentry-sdk, and the
waiting panel (htmx polling) turns into the first issue without a reload."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, send_sentry_event, sign_in_as
from tests.support import LiveServer


def checkout(cart: dict[str, int]) -> int:
    return cart["total"]


def test_the_waiting_panel_turns_into_the_first_issue(page: Page, server: LiveServer) -> None:
    sign_in_as(page, server, next_path=f"/projects/{server.project.slug}/onboarding")
    expect(page.locator("[data-waiting]")).to_contain_text("Waiting for your first event")
    dsn = page.locator("[data-dsn]").inner_text().strip()
    assert dsn == server.dsn
    screenshot(page, "onboarding")

    try:
        checkout({})
    except KeyError as exc:
        sent = send_sentry_event(server, error=exc, dsn=dsn)
    first = page.locator("[data-first-issue]")
    expect(first).to_contain_text("KeyError", timeout=15_000)  # polled every 2 s
    assert page.url.endswith("/onboarding")  # swapped in place
    with page.expect_navigation():
        first.get_by_role("link", name="KeyError").click()
    assert page.url == f"{server.url}/issues/{sent.issue_id}"
    expect(page.locator("[data-issue-title]")).to_contain_text("KeyError")
