"""Hostile text from events and users shows as text on every page that displays it.

The page watcher (conftest) fails a test if any payload ran (``window.__pwned``, a
``console.error``, an ``alert``) or had to be blocked by the CSP: escaping must stop it
first, the CSP is only the second line.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import make_user, send_sentry_event, sign_in_as
from tests.support import LiveServer

SCRIPT = "<script>window.__pwned = 1</script>"
IMG = '<img src=x onerror="window.__pwned = 2">'
SVG = '"><svg onload="console.error(`pwned`)">'
LINK = "javascript:window.__pwned = 3"


class HostileError(Exception):
    pass


def explode() -> None:
    raise HostileError(f"bad input {SCRIPT}")


@pytest.fixture
def hostile_issue(server: LiveServer) -> int:
    try:
        explode()
    except HostileError as exc:
        return send_sentry_event(
            server,
            error=exc,
            tags={"service": IMG, "tenant": SVG},
            user={"id": IMG, "email": f"x{SVG}@example.com", "username": SCRIPT},
            extra={"note": SVG, "url": LINK},
            breadcrumbs=[{"category": IMG, "message": SCRIPT, "data": {"href": LINK}}],
        ).issue_id
    raise AssertionError("unreachable")


def no_live_markup(page: Page) -> None:
    """None of the payloads became elements (they would be blocked, but must not exist)."""
    assert page.locator("main script").count() == 0
    assert page.locator("main img[src='x'], main svg[onload]").count() == 0
    assert page.locator(f"a[href^='{LINK[:11]}']").count() == 0


def test_event_text_is_shown_as_text(page: Page, server: LiveServer, hostile_issue: int) -> None:
    sign_in_as(page, server, next_path=f"/issues/{hostile_issue}")
    expect(page.locator("[data-issue-title]")).to_contain_text(SCRIPT)
    expect(page.locator("main")).to_contain_text(IMG)
    no_live_markup(page)
    page.locator("#grouping").scroll_into_view_if_needed()  # htmx panels load on reveal
    page.locator("#similar, #grouping").last.scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    no_live_markup(page)

    page.goto(f"/projects/{server.project.slug}/issues")
    expect(page.locator("[data-stream-row]").first).to_contain_text(SCRIPT)
    no_live_markup(page)
    page.goto(f"/issues/{hostile_issue}/report")
    no_live_markup(page)
    page.goto("/overview")
    no_live_markup(page)


def test_comment_markdown_cannot_carry_script(
    page: Page, server: LiveServer, hostile_issue: int
) -> None:
    make_user(server, "max@example.com", "member")
    sign_in_as(page, server, "max@example.com", next_path=f"/issues/{hostile_issue}")
    body = f'{SCRIPT}\n\n{IMG}\n\n[click me]({LINK}) and <a href="{LINK}">raw</a>'
    page.locator("[data-comment-form] textarea").fill(body)
    with page.expect_navigation():
        page.locator("[data-comment-form]").get_by_role("button", name="Comment").click()
    expect(page.locator("#activity")).to_contain_text("click me")
    expect(page.locator("#activity")).to_contain_text(SCRIPT)
    no_live_markup(page)
