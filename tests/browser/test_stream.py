"""The issue stream in the browser: the query language typed into the search box (htmx
swaps the results and pushes the URL), sorting, saved searches, bulk actions with the
mouse and the keyboard."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import make_user, send_sentry_event, sign_in_as
from tests.support import LiveServer

CHECKOUT_URL = "https://shop.example.com/checkout/pay?step=2"


def frobnicate_inventory(stock: dict[str, int]) -> int:
    return stock["sku-17"]


def charge_card(amount: int) -> None:
    raise ValueError(f"card declined by the bank for {amount} cents")


@dataclass(frozen=True)
class Bugs:
    inventory: int  # KeyError in frobnicate_inventory; 1.0.0, production, service tag
    card: int  # ValueError, twice; 2.0.0, staging, user 42, a /checkout/ URL
    export: int  # a message "the nightly export timed out"; 2.0.0, production, user 7


@pytest.fixture
def bugs(server: LiveServer) -> Bugs:
    try:
        frobnicate_inventory({})
    except KeyError as exc:
        inventory = send_sentry_event(server, error=exc, tags={"service": "inventory"})
    card = []
    for amount in (1200, 990):
        try:
            charge_card(amount)
        except ValueError as exc:
            card.append(
                send_sentry_event(
                    server,
                    error=exc,
                    release="shop@2.0.0",
                    environment="staging",
                    user={"id": "42", "email": "buyer@example.com"},
                    request={"url": CHECKOUT_URL, "method": "POST"},
                )
            )
    assert card[0].issue_id == card[1].issue_id
    export = send_sentry_event(
        server,
        message="the nightly export timed out after 30 minutes",
        release="shop@2.0.0",
        user={"id": "7"},
    )
    return Bugs(inventory.issue_id, card[0].issue_id, export.issue_id)


def stream_path(server: LiveServer) -> str:
    return f"/projects/{server.project.slug}/issues"


def shown(page: Page) -> list[int]:
    """The issue ids of the rows on the page, top to bottom."""
    rows = page.locator("[data-stream-row]")
    return [int(rows.nth(i).get_attribute("data-issue-id") or 0) for i in range(rows.count())]


def search(page: Page, query: str) -> None:
    """Type ``query`` into the search box and press Enter; wait for htmx to swap and push."""
    box = page.locator("[data-search-box]")
    box.fill(query)
    with page.expect_response(lambda r: "/issues?" in r.url and r.request.method == "GET"):
        box.press("Enter")
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("q") == [query])
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping')")


def test_the_query_language_in_the_search_box(page: Page, server: LiveServer, bugs: Bugs) -> None:
    sign_in_as(page, server, next_path=stream_path(server))
    expect(page.locator("[data-search-box]")).to_have_value("is:unresolved")
    assert sorted(shown(page)) == sorted([bugs.inventory, bugs.card, bugs.export])

    expected = {
        "is:unresolved": {bugs.inventory, bugs.card, bugs.export},
        "frobnicate": {bugs.inventory},  # only in a stack frame's function name
        '"export timed out"': {bugs.export},
        '"timed export"': set(),  # the words, but not as that phrase
        "release:shop@2.0.0": {bugs.card, bugs.export},
        "!environment:staging": {bugs.inventory, bugs.export},
        "user.id:42": {bugs.card},
        "url:*checkout*": {bugs.card},
        "times-seen:>1": {bugs.card},
        "service:inventory is:unresolved": {bugs.inventory},
        "declined !user.id:42": set(),
    }
    for query, issues in expected.items():
        search(page, query)
        assert set(shown(page)) == issues, query
        if not issues:
            expect(page.locator(".empty")).to_contain_text("No issues match")
        api = server.issues(query=query)
        assert {i["id"] for i in api} == issues, f"the API disagrees on {query}"

    # The URL was pushed: a reload shows the same search and rows (now a full page).
    search(page, "user.id:42")
    page.reload()
    expect(page.locator("[data-search-box]")).to_have_value("user.id:42")
    assert shown(page) == [bugs.card]
    page.go_back()  # the previous search, from history
    page.wait_for_url(lambda url: "declined" in url)


def test_a_malformed_query_shows_why(page: Page, server: LiveServer, bugs: Bugs) -> None:
    sign_in_as(page, server, next_path=stream_path(server))
    for query in ("times-seen:>many", "is:sleeping", '"unclosed'):
        box = page.locator("[data-search-box]")
        box.fill(query)
        with page.expect_response(lambda r: "/issues?" in r.url) as answer:
            box.press("Enter")
        assert answer.value.status == 400
        expect(page.locator("[data-search-error]")).to_be_visible()
        expect(page.locator("[data-stream-row]")).to_have_count(0)
    # A good query afterwards clears the message.
    search(page, "is:unresolved")
    expect(page.locator("[data-search-error]")).to_have_count(0)
    assert len(shown(page)) == 3
    # Typed into the address bar, the full page explains it too.
    response = page.goto(stream_path(server) + "?q=times-seen%3A%3Emany")
    assert response is not None and response.status == 400
    expect(page.locator("[data-search-error]")).to_contain_text("times-seen")
    expect(page.locator("[data-search-box]")).to_have_value("times-seen:>many")


def test_sorting_and_saved_searches(
    open_page: Callable[[], Page], server: LiveServer, bugs: Bugs
) -> None:
    page = open_page()
    sign_in_as(page, server, next_path=stream_path(server))
    assert shown(page)[0] == bugs.export  # last seen first
    with page.expect_response(lambda r: "sort=first_seen" in r.url):
        page.get_by_label("Sort").select_option("first_seen")
    page.wait_for_url(lambda url: "sort=first_seen" in url)
    expect(page.locator("[data-stream-row]").first).to_have_attribute(
        "data-issue-id", str(bugs.export)
    )
    with page.expect_response(lambda r: "sort=times_seen" in r.url):
        page.get_by_label("Sort").select_option("times_seen")
    expect(page.locator("[data-stream-row]").first).to_have_attribute(
        "data-issue-id", str(bugs.card)
    )
    page.reload()
    expect(page.get_by_label("Sort")).to_have_value("times_seen")
    assert shown(page)[0] == bugs.card

    # Save a search, then come back to it from the default stream.
    search(page, "release:shop@2.0.0")
    page.reload()  # the save form carries the query of the page it was rendered with
    page.get_by_text("Save this search").click()
    page.get_by_label("Saved search name").fill("Two point oh <b>")
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    saved = page.locator("[data-saved-search]")
    expect(saved).to_have_text("Two point oh <b>")
    page.goto(stream_path(server))
    assert len(shown(page)) == 3
    with page.expect_navigation():
        saved.click()
    expect(page.locator("[data-search-box]")).to_have_value("release:shop@2.0.0")
    expect(page.get_by_label("Sort")).to_have_value("times_seen")
    assert shown(page) == [bugs.card, bugs.export]

    # Saved searches are personal: another member of the team does not see it.
    make_user(server, "mia@example.com", "member")
    mia = open_page()
    sign_in_as(mia, server, "mia@example.com", next_path=stream_path(server))
    expect(mia.locator("[data-saved-search]")).to_have_count(0)

    with page.expect_navigation():
        page.get_by_role("button", name="Forget Two point oh <b>").click()
    expect(page.locator("[data-saved-search]")).to_have_count(0)
    page.reload()
    expect(page.locator("[data-saved-search]")).to_have_count(0)


def status_of(server: LiveServer, issue_id: int) -> str:
    status: str = server.api_json(f"/api/v1/issues/{issue_id}")["status"]
    return status


def bulk(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.locator("[data-bulk-actions]").get_by_role("button", name=button, exact=True).click()


def test_bulk_actions(page: Page, server: LiveServer, bugs: Bugs) -> None:
    mia = make_user(server, "mia@example.com", "member")
    sign_in_as(page, server, next_path=stream_path(server))

    row = page.locator(f'[data-stream-row][data-issue-id="{bugs.inventory}"]')
    row.locator('input[name="issue_ids"]').check()
    bulk(page, "Resolve")
    expect(page.locator(".notice")).to_have_text("Resolved 1 issue.")
    assert status_of(server, bugs.inventory) == "resolved"
    assert sorted(shown(page)) == sorted([bugs.card, bugs.export])  # is:unresolved kept

    # Assign both remaining issues to a member chosen in the select.
    page.get_by_label("Select all").check()
    expect(page.locator('input[name="issue_ids"]:checked')).to_have_count(2)
    page.get_by_label("Assign to").select_option(label="mia@example.com")
    bulk(page, "Assign")
    expect(page.locator(".notice")).to_have_text("Assigned 2 issues.")
    expect(page.locator("[data-stream-row] td.small").filter(has_text="mia@")).to_have_count(2)
    for issue_id in (bugs.card, bugs.export):
        assert server.api_json(f"/api/v1/issues/{issue_id}")["assignee_id"] == mia

    # Unselect all, then ignore one.
    page.get_by_label("Select all").check()
    page.get_by_label("Select all").uncheck()
    expect(page.locator('input[name="issue_ids"]:checked')).to_have_count(0)
    page.locator(f'[data-issue-id="{bugs.export}"] input[name="issue_ids"]').check()
    bulk(page, "Ignore")
    expect(page.locator(".notice")).to_have_text("Ignored 1 issue.")
    assert status_of(server, bugs.export) == "ignored"
    assert shown(page) == [bugs.card]

    # Reopen both from a search that shows them.
    search(page, "is:resolved")
    assert shown(page) == [bugs.inventory]
    page.get_by_label("Select all").check()
    bulk(page, "Reopen")
    expect(page.locator(".notice")).to_have_text("Reopened 1 issue.")
    assert status_of(server, bugs.inventory) not in ("resolved", "ignored")


def test_merge_with_the_keyboard(page: Page, server: LiveServer, bugs: Bugs) -> None:
    sign_in_as(page, server, next_path=stream_path(server))
    order = shown(page)
    assert len(order) == 3
    page.keyboard.press("j")  # first row
    expect(page.locator("[data-stream-row].cursor")).to_have_count(1)
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")  # back to the second row
    page.keyboard.press("x")
    checked = page.locator('input[name="issue_ids"]:checked')
    expect(checked).to_have_count(2)
    picked = {int(checked.nth(i).get_attribute("value") or 0) for i in range(2)}
    assert picked == set(order[:2])
    bulk(page, "Merge")
    expect(page.locator(".notice")).to_have_text("Merged 2 issues.")
    assert len(shown(page)) == 2
    left = {i["id"] for i in server.issues()}
    assert len(left) == 2 and len(left & picked) == 1
    kept = (left & picked).pop()
    assert server.api_json(f"/api/v1/issues/{kept}")["count"] >= 2

    # "/" jumps to the search box; Enter on a row opens its issue.
    page.keyboard.press("/")
    expect(page.locator("[data-search-box]")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    first = shown(page)[0]
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{server.url}/issues/{first}"
