"""Roles in the browser: a viewer sees no controls and a forged POST (with a valid CSRF
token) is still refused; a member changes issues; another team sees nothing (404)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    csrf_token,
    make_project,
    make_user,
    screenshot,
    send_sentry_event,
    sign_in_as,
)
from tests.support import LiveServer

FETCH = """async ([url, body, token]) => {
  const response = await fetch(url, {
    method: "POST", body, redirect: "manual",
    headers: {"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": token},
  });
  return response.status;
}"""


def forge(page: Page, url: str, body: str) -> int:
    """POST from the page with the session's own valid CSRF token: only the role decides."""
    status: int = page.evaluate(FETCH, [url, body, csrf_token(page)])
    return status


def charge(amount: int) -> float:
    return 100 / amount


@pytest.fixture
def issue_id(server: LiveServer) -> int:
    try:
        charge(0)
    except ZeroDivisionError as exc:
        return send_sentry_event(server, error=exc, tags={"service": "payments"}).issue_id
    raise AssertionError("unreachable")


def status_of(server: LiveServer, issue_id: int) -> str:
    status: str = server.api_json(f"/api/v1/issues/{issue_id}")["status"]
    return status


def test_a_viewer_sees_no_issue_controls_and_cannot_forge_them(
    page: Page, server: LiveServer, issue_id: int
) -> None:
    make_user(server, "vera@example.com", "viewer")
    sign_in_as(page, server, "vera@example.com", next_path=f"/issues/{issue_id}")
    expect(page.locator("[data-issue-title]")).to_contain_text("ZeroDivisionError")
    before = status_of(server, issue_id)
    badge = page.locator("[data-status]").inner_text()
    for control in ("[data-controls]", "[data-comment-form]", 'form[action$="/catalogue"]'):
        expect(page.locator(control)).to_have_count(0)
    expect(page.get_by_role("button", name="Resolve")).to_have_count(0)
    screenshot(page, "issue-viewer")

    base = f"/issues/{issue_id}"
    assert forge(page, base + "/update", "status=resolved") == 403
    assert forge(page, base + "/update", "severity=P0") == 403
    assert forge(page, base + "/comments", "body=hello") == 403
    assert forge(page, base + "/catalogue", "field=diagnosis&text=mine") == 403
    assert status_of(server, issue_id) == before
    page.reload()
    expect(page.locator("[data-status]")).to_have_text(badge)
    expect(page.locator("#activity")).not_to_contain_text("hello")

    slug = server.project.slug
    page.goto(f"/projects/{slug}/issues")
    expect(page.locator("[data-stream-row]")).to_have_count(1)
    expect(page.locator('input[name="issue_ids"]')).to_have_count(0)
    expect(page.get_by_role("button", name="Resolve")).to_have_count(0)
    body = f"action=resolve&issue_ids={issue_id}"
    assert forge(page, f"/projects/{slug}/issues/bulk", body) == 403
    assert status_of(server, issue_id) == before


def test_a_member_changes_the_issue_with_its_controls(
    page: Page, server: LiveServer, issue_id: int
) -> None:
    make_user(server, "max@example.com", "member")
    sign_in_as(page, server, "max@example.com", next_path=f"/issues/{issue_id}")
    with page.expect_navigation():
        page.get_by_role("button", name="Resolve").click()
    expect(page.locator("[data-status]")).to_have_text("resolved")
    assert status_of(server, issue_id) == "resolved"

    page.locator("[data-comment-form] textarea").fill("Fixed by **checking** the amount")
    with page.expect_navigation():
        page.locator("[data-comment-form]").get_by_role("button", name="Comment").click()
    expect(page.locator("#activity strong").filter(has_text="checking")).to_have_count(1)


def test_a_viewer_sees_project_settings_read_only(page: Page, server: LiveServer) -> None:
    make_user(server, "vera@example.com", "viewer")
    slug = server.project.slug
    settings = f"/admin/projects/{slug}/settings/fingerprint"
    sign_in_as(page, server, "vera@example.com", next_path=settings)
    expect(page.get_by_text("Read-only: your role may not change")).to_be_visible()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    expect(page.get_by_label("Rules")).to_be_disabled()
    assert forge(page, settings, "rules=error.type:X+-%3E+mine") == 403
    assert forge(page, f"/admin/projects/{slug}/settings/scrubbing", "enabled=") == 403
    assert forge(page, f"/admin/projects/{slug}/keys", "label=mine") == 403
    assert forge(page, "/admin/users", "email=x%40example.com&password=long-enough-1") == 403
    assert forge(page, "/admin/teams", "name=mine") == 403
    assert forge(page, "/admin/projects", "name=mine&team=default") == 403
    page.goto(f"/admin/projects/{slug}/keys")  # readable, but nothing to press
    expect(page.locator("table.list")).to_contain_text("project DSN")
    for name in ("Rotate", "Revoke", "Create key"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    key_id = page.locator('span[id^="key-"]').first.get_attribute("id")
    assert key_id
    revoke = f"/admin/projects/{slug}/keys/{key_id.removeprefix('key-')}/revoke"
    assert forge(page, revoke, "") == 403
    page.reload()
    expect(page.locator("table.list .badge", has_text="revoked")).to_have_count(0)
    response = page.goto(settings)
    assert response is not None and response.status == 200
    expect(page.get_by_label("Rules")).to_have_value("")  # nothing was saved


def test_an_admin_saves_what_a_viewer_could_not(page: Page, server: LiveServer) -> None:
    make_user(server, "ann@example.com", "admin")
    settings = f"/admin/projects/{server.project.slug}/settings/fingerprint"
    sign_in_as(page, server, "ann@example.com", next_path=settings)
    page.get_by_label("Rules").fill("error.type:ValueError -> values")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("Rules")).to_have_value("error.type:ValueError -> values")
    screenshot(page, "settings-fingerprint")


def test_another_teams_project_does_not_exist_for_you(
    open_page: Callable[[], Page], server: LiveServer, issue_id: int
) -> None:
    secret = make_project(server, "secret", team="other")
    make_user(server, "olga@example.com", "owner", team="other")
    page = open_page()
    sign_in_as(page, server, "olga@example.com", next_path="/overview")
    expect(page.get_by_role("link", name=server.project.name, exact=True)).to_have_count(0)
    for path in (
        f"/projects/{server.project.slug}/issues",
        f"/issues/{issue_id}",
        f"/admin/projects/{server.project.slug}/settings",
    ):
        response = page.goto(path)
        assert response is not None and response.status == 404, path
    # Forged changes answer as if the issue did not exist, even for an owner elsewhere.
    assert forge(page, f"/issues/{issue_id}/update", "status=resolved") == 404
    body = f"action=resolve&issue_ids={issue_id}"
    assert forge(page, f"/projects/{secret.slug}/issues/bulk", body) == 404
    assert forge(page, f"/projects/{server.project.slug}/issues/bulk", body) == 404
    assert status_of(server, issue_id) != "resolved"
