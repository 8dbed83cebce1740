"""The issue page in the browser: status, severity and assignee controls, the team's
catalogue and comments (Markdown), the stack diff and the lazy panels (htmx), the
library-frames toggle and the event navigation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SentEvent, make_user, send_sentry_event, sign_in_as
from tests.support import LiveServer


def load_price_feed(url: str) -> httpx.URL:
    return httpx.URL(url)  # raises inside httpx: library frames below ours


def refresh_prices(url: str) -> httpx.URL:
    return load_price_feed(url)


def refresh_prices_strictly(url: str) -> httpx.URL:
    try:
        return load_price_feed(url)
    except httpx.InvalidURL:
        raise LookupError(f"no price feed at {url}") from None


def send_feed_error(server: LiveServer, *, strict: bool = False, **kwargs: Any) -> SentEvent:
    try:
        (refresh_prices_strictly if strict else refresh_prices)("http://[::1")
    except (httpx.InvalidURL, LookupError) as exc:
        return send_sentry_event(server, error=exc, **kwargs)
    raise AssertionError("the URL parsed")


def issue_json(server: LiveServer, issue_id: int) -> dict[str, Any]:
    data: dict[str, Any] = server.api_json(f"/api/v1/issues/{issue_id}")
    return data


def apply(page: Page, **selects: str) -> None:
    controls = page.locator("[data-controls]")
    for label, value in selects.items():
        controls.get_by_label(label).select_option(value)
    with page.expect_navigation():
        controls.get_by_role("button", name="Apply").click()


@pytest.fixture
def issue_id(server: LiveServer) -> int:
    return send_feed_error(server).issue_id


def test_status_severity_and_assignee(page: Page, server: LiveServer, issue_id: int) -> None:
    mia = make_user(server, "mia@example.com", "member")
    sign_in_as(page, server, next_path=f"/issues/{issue_id}")
    expect(page.locator("[data-status]")).to_have_text("detected")

    with page.expect_navigation():
        page.locator("[data-controls]").get_by_role("button", name="Resolve").click()
    expect(page.locator("[data-status]")).to_have_text("resolved")
    assert issue_json(server, issue_id)["status"] == "resolved"
    # Only the moves the workflow allows from "resolved" are offered.
    options = page.locator("[data-controls]").get_by_label("Status").locator("option")
    expect(options).to_have_text(["Move to…", "investigating", "verified"])

    apply(page, Status="verified")
    expect(page.locator("[data-status]")).to_have_text("verified")
    apply(page, Status="investigating")
    expect(page.locator("[data-status]")).to_have_text("investigating")
    assert issue_json(server, issue_id)["status"] == "investigating"

    apply(page, Severity="P1")
    expect(page.locator("[data-severity]")).to_have_text("P1")
    assert issue_json(server, issue_id)["severity"] == "P1"

    apply(page, Assignee=str(mia))
    expect(page.locator("[data-assignee]")).to_have_text("mia@example.com")
    assert issue_json(server, issue_id)["assignee_id"] == mia
    expect(page.locator("[data-controls]").get_by_label("Assignee")).to_have_value(str(mia))
    apply(page, Assignee="none")
    expect(page.locator("[data-assignee]")).to_have_text("nobody")
    assert issue_json(server, issue_id)["assignee_id"] is None

    activity = page.locator("#activity .activity")
    for change in ("resolved", "verified", "P1", "mia@example.com"):
        expect(activity).to_contain_text(change)


def test_catalogue_and_comments(page: Page, server: LiveServer, issue_id: int) -> None:
    sign_in_as(page, server, next_path=f"/issues/{issue_id}")
    field = page.locator("#catalogue-diagnosis")
    expect(field).to_contain_text("Nothing written yet.")
    field.get_by_text("Edit").click()
    text = (
        "The feed URL is **not validated** before `httpx.URL`.\n\n"
        "* see [the runbook](https://wiki.example.com/feeds)\n"
        '* <img src=x onerror="window.__pwned=1"> stays text'
    )
    field.get_by_label("diagnosis").fill(text)
    with page.expect_navigation():
        field.get_by_role("button", name="Save diagnosis").click()
    assert page.url.endswith(f"/issues/{issue_id}#catalogue-diagnosis")
    page.reload()
    shown = page.locator('[data-catalogue="diagnosis"]')
    expect(shown.locator("strong")).to_have_text("not validated")
    expect(shown.locator("code")).to_have_text("httpx.URL")
    expect(shown.locator("a")).to_have_attribute("href", "https://wiki.example.com/feeds")
    expect(shown.locator("img")).to_have_count(0)
    expect(shown).to_contain_text("<img")
    catalogue = issue_json(server, issue_id)["catalogue"]["diagnosis"]
    assert catalogue["markdown"].replace("\r\n", "\n") == text  # a form sends CRLF
    # The editor reopens with the Markdown source, not the HTML.
    field.get_by_text("Edit").click()
    expect(field.get_by_label("diagnosis")).to_have_value(text)

    form = page.locator("[data-comment-form]")
    form.get_by_label("Add a comment (Markdown)").fill("Retried with a *valid* URL: fine")
    with page.expect_navigation():
        form.get_by_role("button", name="Comment").click()
    comment = page.locator("[data-comment]")
    expect(comment.locator("em")).to_have_text("valid")
    comments = server.api_json(f"/api/v1/issues/{issue_id}/comments")["data"]
    assert [c["body"] for c in comments] == ["Retried with a *valid* URL: fine"]
    with page.expect_navigation():
        comment.get_by_role("button", name="Delete").click()
    expect(page.locator("[data-comment]")).to_have_count(0)
    assert server.api_json(f"/api/v1/issues/{issue_id}/comments")["data"] == []


def test_events_diff_similar_and_library_frames(page: Page, server: LiveServer) -> None:
    sent = [send_feed_error(server, release=f"shop@1.0.{i}") for i in range(3)]
    issue_id = sent[0].issue_id
    assert {s.issue_id for s in sent} == {issue_id}
    similar = send_feed_error(server, strict=True).issue_id  # same path, another type
    assert similar != issue_id
    ids = [s.event_id for s in sent]
    sign_in_as(page, server, next_path=f"/issues/{issue_id}")
    grouping = page.locator("#grouping")
    expect(grouping).to_contain_text("Loading…")  # below the fold: not asked for yet

    # Event navigation: the latest event first, then through the links.
    event_id = page.locator("[data-event-id]")
    expect(event_id).to_have_text(ids[2])
    expect(page.locator("[data-nav=newer]")).to_have_count(0)
    for link, expected in (
        ("older", 1),
        ("older", 0),
        ("newer", 1),
        ("oldest", 0),
        ("latest", 2),
    ):
        with page.expect_navigation():
            page.locator(f"[data-nav={link}]").click()
        expect(event_id).to_have_text(ids[expected])
        expect(page.locator("#event")).to_contain_text(f"shop@1.0.{expected}")
    expect(page.locator("[data-nav=older]")).to_be_visible()

    # Library frames (httpx's) are shown, then hidden by the toggle, then shown again.
    frames = page.locator("#frames-e1")
    library = frames.locator(".frame.library")
    assert library.count() > 0
    expect(library.first).to_contain_text("httpx")
    expect(library.first).to_be_visible()
    toggle = page.locator('[data-target="#frames-e1"]')
    toggle.uncheck()
    expect(frames).to_have_class("frames hide-library")
    for i in range(library.count()):
        expect(library.nth(i)).to_be_hidden()
    ours = frames.locator(".frame.in-app .where").filter(has_text="load_price_feed in")
    expect(ours).to_be_visible()
    toggle.check()
    expect(library.first).to_be_visible()

    # The diff form comes filled with the previous and the shown event.
    diff = page.locator("#diff")
    here = page.url
    expect(diff.get_by_label("Left event id")).to_have_value(ids[1])
    expect(diff.get_by_label("Right event id")).to_have_value(ids[2])
    with page.expect_response(lambda r: "/diff?" in r.url):
        diff.get_by_role("button", name="Diff stacks").click()
    result = page.locator("#diff-result [data-diff]")
    expect(result).to_contain_text("Same path through the app's code.")
    expect(result).to_contain_text("Same issue")
    expect(result.locator("table").first).to_contain_text(ids[1])
    assert page.url == here  # swapped in place

    diff.get_by_label("Left event id").fill("not-an-event")
    with page.expect_response(lambda r: "/diff?" in r.url) as answer:
        diff.get_by_role("button", name="Diff stacks").click()
    assert answer.value.status == 400
    expect(page.locator("#diff-result")).to_contain_text("Give two event ids")

    # The similar issues panel loads when revealed: the strict variant first.
    panel = page.locator("#similar")
    panel.scroll_into_view_if_needed()
    first = panel.locator("[data-similar] li").first
    expect(first).to_contain_text("LookupError")
    expect(first.get_by_role("link").first).to_have_attribute("href", f"/issues/{similar}")
    with page.expect_response(lambda r: "/diff?" in r.url):
        first.locator("[data-diff-link]").click()
    expect(page.locator("#diff-result [data-diff]")).to_contain_text("Different issues")

    # The grouping explanation loads when scrolled to.
    grouping.scroll_into_view_if_needed()
    expect(grouping).not_to_contain_text("Loading…")
    expect(grouping.locator("*").first).to_be_visible()
