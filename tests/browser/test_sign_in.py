"""Signing in and out, throttling, changing the password: in a real browser."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from playwright.sync_api import Page, Response, expect

from tests.browser.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PASSWORD,
    make_user,
    screenshot,
    sign_in,
)
from tests.support import LiveServer

HOSTILE = '"><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def submit_login(page: Page, email: str, password: str) -> Response:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Sign in").click()
    response = navigation.value
    assert response is not None
    return response


def path_of(page: Page, server: LiveServer) -> str:
    return page.url.removeprefix(server.url)


def test_a_page_asks_for_sign_in_and_comes_back_after_it(page: Page, server: LiveServer) -> None:
    page.goto("/account/password")
    assert path_of(page, server) == "/login?next=/account/password"
    expect(page.get_by_role("heading")).to_have_text("Sign in to Faultbox")
    screenshot(page, "login")

    wrong = submit_login(page, ADMIN_EMAIL, "not-the-password")
    assert wrong.status == 401
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.get_by_label("Email")).to_have_value(ADMIN_EMAIL)  # kept, password not
    expect(page.get_by_label("Password")).to_have_value("")

    right = submit_login(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert right.status == 200
    assert path_of(page, server) == "/account/password"
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()
    expect(page.get_by_role("link", name=ADMIN_EMAIL)).to_be_visible()


def test_an_unknown_email_gets_the_same_answer(page: Page, server: LiveServer) -> None:
    page.goto("/login")
    response = submit_login(page, "nobody@example.com", ADMIN_PASSWORD)
    assert response.status == 401
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")


def test_next_cannot_lead_to_another_site(page: Page, server: LiveServer) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        page.context.clear_cookies()
        page.goto("/login?next=" + target)
        submit_login(page, ADMIN_EMAIL, ADMIN_PASSWORD)
        # Landed on this server's home (wherever "/" leads), not elsewhere.
        assert urlsplit(page.url).netloc == urlsplit(server.url).netloc, (target, page.url)
        assert "evil" not in page.url, (target, page.url)


def test_sign_out_ends_the_session(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    assert path_of(page, server) == "/login"
    assert not [c for c in page.context.cookies() if c["name"] == "fb_session"]
    page.goto("/account/password")
    assert path_of(page, server) == "/login?next=/account/password"


def test_a_stolen_cookie_is_useless_after_sign_out(
    open_page: Callable[[], Page], server: LiveServer
) -> None:
    victim = open_page()
    sign_in(victim, server)
    cookie = next(c for c in victim.context.cookies() if c["name"] == "fb_session")
    thief = open_page()
    thief.context.add_cookies([cookie])
    thief.goto("/account/password")
    assert path_of(thief, server) == "/account/password"  # the cookie works while valid
    victim.get_by_role("button", name="Sign out").click()
    victim.wait_for_url("**/login")
    thief.goto("/account/password")
    assert path_of(thief, server) == "/login?next=/account/password"


def test_repeated_failures_are_throttled(page: Page, server: LiveServer) -> None:
    make_user(server, "ada@example.com", "member")
    page.goto("/login")
    for _ in range(server.settings.login_max_failures):
        assert submit_login(page, "ada@example.com", "guess").status == 401
    throttled = submit_login(page, "ada@example.com", PASSWORD)  # even the right one
    assert throttled.status == 429
    assert throttled.headers.get("retry-after", "").isdigit()
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins. Try again in")
    assert path_of(page, server) == "/login"
    screenshot(page, "login-throttled")
    # Throttling is per email: another account from the same browser still signs in.
    sign_in(page, server)


def test_password_change_signs_out_other_sessions_and_retires_the_old_password(
    open_page: Callable[[], Page], server: LiveServer
) -> None:
    make_user(server, "bob@example.com", "member")
    other = open_page()
    sign_in(other, server, "bob@example.com", PASSWORD)
    page = open_page()
    sign_in(page, server, "bob@example.com", PASSWORD)

    def change(current: str, new: str, confirm: str) -> Response:
        page.get_by_label("Current password").fill(current)
        page.get_by_label("New password", exact=True).fill(new)
        page.get_by_label("New password, again").fill(confirm)
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Change password").click()
        assert navigation.value is not None
        return navigation.value

    assert change(PASSWORD, "new-secret-42", "new-secret-43").status == 400
    expect(page.get_by_role("alert")).to_have_text("The new passwords do not match.")
    assert change("wrong-current", "new-secret-42", "new-secret-42").status == 403
    expect(page.get_by_role("alert")).to_have_text("The current password is wrong.")
    assert change(PASSWORD, "new-secret-42", "new-secret-42").status == 200
    expect(page.get_by_role("status")).to_have_text("Password changed. 1 other session signed out.")
    screenshot(page, "password-changed")

    other.goto("/account/password")  # the other session ended
    assert path_of(other, server) == "/login?next=/account/password"
    assert submit_login(other, "bob@example.com", PASSWORD).status == 401
    submit_login(other, "bob@example.com", "new-secret-42")
    assert path_of(other, server) == "/account/password"
    page.reload()  # this session was kept
    assert path_of(page, server) == "/account/password"


def test_a_hostile_email_is_shown_back_as_text(page: Page, server: LiveServer) -> None:
    page.goto("/login")
    page.locator("form").evaluate("form => { form.noValidate = true; }")
    response = submit_login(page, HOSTILE, "whatever")
    assert response.status == 401
    expect(page.get_by_label("Email")).to_have_value(HOSTILE)
    assert page.locator("main script, main img").count() == 0
    # The page watcher fails the test if either payload ran or the CSP had to block it.
