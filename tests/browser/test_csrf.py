"""CSRF: a state-changing request without the session's token, or from another origin,
is refused (403) and changes nothing; the dashboard's own forms and htmx calls pass."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PASSWORD,
    OtherSite,
    csrf_token,
    make_user,
    sign_in,
)
from tests.support import LiveServer

FETCH = """async ([url, body, headers]) => {
  const response = await fetch(url, {method: "POST", body, headers, redirect: "manual"});
  return response.status;
}"""
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def still_signed_in(page: Page, server: LiveServer) -> bool:
    page.goto("/account/password")
    return page.url == server.url + "/account/password"


def password_works(server: LiveServer, email: str, password: str) -> bool:
    """Signs in with this password (outside the browser: its session stays as it is)."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token, form
        answer = client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token[1]}
        )
        return answer.status_code == 303


def test_fetch_from_the_page_without_the_token_is_refused(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    change = "current=s3cret-pass&new=stolen-pass-1&confirm=stolen-pass-1"
    assert page.evaluate(FETCH, ["/logout", "", FORM]) == 403
    assert page.evaluate(FETCH, ["/account/password", change, FORM]) == 403
    assert page.evaluate(FETCH, ["/account/password", change + "&csrf_token=guess", FORM]) == 403
    wrong_header = {**FORM, "X-CSRF-Token": "guess"}
    assert page.evaluate(FETCH, ["/account/password", change, wrong_header]) == 403
    # The same request with the page's token goes through (the refusals were the token).
    right_header = {**FORM, "X-CSRF-Token": csrf_token(page)}
    bad_change = "current=s3cret-pass&new=x1&confirm=x2"  # refused for mismatch: 400, not 403
    assert page.evaluate(FETCH, ["/account/password", bad_change, right_header]) == 400
    assert still_signed_in(page, server)
    assert password_works(server, ADMIN_EMAIL, ADMIN_PASSWORD)


def test_requests_outside_the_page_need_the_token_too(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    # page.request shares the browser's cookies but is not the page: no token, no Origin.
    refused = page.request.post(server.url + "/logout", max_redirects=0)
    assert refused.status == 403
    assert "CSRF" in refused.text()
    refused = page.request.post(
        server.url + "/logout", form={"csrf_token": "x" * 43}, max_redirects=0
    )
    assert refused.status == 403
    assert still_signed_in(page, server)
    accepted = page.request.post(
        server.url + "/logout", form={"csrf_token": csrf_token(page)}, max_redirects=0
    )
    assert accepted.status == 303
    assert not still_signed_in(page, server)


def test_a_form_on_another_site_cannot_post_as_the_user(
    page: Page, server: LiveServer, other_site: OtherSite
) -> None:
    make_user(server, "ada@example.com", "owner")
    sign_in(page, server, "ada@example.com", PASSWORD)
    token = csrf_token(page)
    # Another origin on the same host (a different port): the browser sends the session
    # cookie (same site), so only the server's checks stand in the way.  Even with the
    # right token (leaked somehow) the Origin check refuses it.
    for name, field in (("guess", "forged"), ("leaked", token)):
        attack = other_site.serve(
            f"/{name}",
            f"""<form method="post" action="{server.url}/account/password">
              <input name="csrf_token" value="{field}">
              <input name="current" value="{PASSWORD}">
              <input name="new" value="attacker-pass-1">
              <input name="confirm" value="attacker-pass-1">
              <button type="submit">Win a prize</button></form>""",
        )
        page.goto(attack)
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Win a prize").click()
        assert navigation.value is not None and navigation.value.status == 403, name
        expect(page.locator("body")).to_contain_text("cross-origin request refused")

    attack = other_site.serve(
        "/logout",
        f"""<form method="post" action="{server.url}/logout">
          <input name="csrf_token" value="{token}"><button type="submit">Go</button></form>""",
    )
    page.goto(attack)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Go").click()
    assert navigation.value is not None and navigation.value.status == 403

    assert still_signed_in(page, server)
    assert password_works(server, "ada@example.com", PASSWORD)
    assert not password_works(server, "ada@example.com", "attacker-pass-1")


def test_another_site_cannot_sign_the_browser_in(
    page: Page, server: LiveServer, other_site: OtherSite
) -> None:
    """Login CSRF: signing a victim into the attacker's account needs the login token."""
    make_user(server, "mallory@example.com", "member")
    page.goto("/login")  # the victim has a login token cookie already
    attack = other_site.serve(
        "/login",
        f"""<form method="post" action="{server.url}/login">
          <input name="csrf_token" value="forged"><input name="email" value="mallory@example.com">
          <input name="password" value="{PASSWORD}"><button type="submit">Go</button></form>""",
    )
    page.goto(attack)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Go").click()
    assert navigation.value is not None and navigation.value.status == 403
    assert not [c for c in page.context.cookies() if c["name"] == "fb_session"]


def test_htmx_posts_carry_the_token(open_page: Callable[[], Page], server: LiveServer) -> None:
    page = open_page()
    sign_in(page, server, next_path=f"/admin/projects/{server.project.slug}/settings/fingerprint")
    page.get_by_label("Rules").fill("error.type:ValueError -> values")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Dry run").click()
    response = answer.value
    assert response.request.headers.get("hx-request") == "true"
    assert response.request.headers.get("x-csrf-token") == csrf_token(page)
    assert response.status == 200
    assert page.url.endswith("/settings/fingerprint")  # swapped in, not navigated
    expect(page.locator("#preview")).not_to_be_empty()
