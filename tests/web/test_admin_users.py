"""/admin/users through HTTP: superusers only; create, deactivate/reactivate, reset."""

from __future__ import annotations

import httpx

from faultbox.store.accounts import get_user_by_email
from faultbox.store.db import read_connection
from tests.support import LiveServer
from tests.web.admin_client import Browser, admin, close_browsers, person, sign_in

__all__ = ["close_browsers"]  # the autouse fixture


def _user_id(server: LiveServer, email: str) -> int:
    with read_connection(server.engine) as conn:
        return get_user_by_email(conn, email).id


def test_superuser_creates_a_user_who_can_sign_in(sqlite_server: LiveServer) -> None:
    browser = admin(sqlite_server)
    page = browser.get("/admin/users")
    assert page.status_code == 200
    assert 'class="active">Users' in page.text
    response = browser.post(
        "/admin/users", {"email": " New.Person@Example.com ", "password": "long-enough"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/users?ok=user-created"
    listed = browser.get(response.headers["location"])
    assert "new.person@example.com" in listed.text and "User created." in listed.text
    newcomer = sign_in(sqlite_server, "new.person@example.com", "long-enough")
    assert newcomer.get("/admin").status_code == 200
    # Not a superuser: the users page is not theirs.
    assert newcomer.get("/admin/users").status_code == 403
    assert (
        newcomer.post("/admin/users", {"email": "x@y.io", "password": "long-enough"}).status_code
        == 403
    )


def test_duplicate_email_is_refused_on_both_databases(live_server: LiveServer) -> None:
    browser = admin(live_server)
    first = browser.post("/admin/users", {"email": "dup@example.com", "password": "long-enough"})
    assert first.status_code == 303
    again = browser.post("/admin/users", {"email": "DUP@example.com", "password": "long-enough"})
    assert again.status_code == 409
    assert "already exists" in again.text
    # The failed insert did not spoil anything: the next create works.
    assert (
        browser.post(
            "/admin/users", {"email": "next@example.com", "password": "long-enough"}
        ).status_code
        == 303
    )


def test_malformed_user_forms(sqlite_server: LiveServer) -> None:
    browser = admin(sqlite_server)
    cases = [
        ({"email": "not-an-email", "password": "long-enough"}, "not a valid email"),
        ({"email": "", "password": "long-enough"}, "Enter an email"),
        ({"email": "a" * 300 + "@example.com", "password": "long-enough"}, "not a valid email"),
        ({"email": "short@example.com", "password": "short"}, "at least 8 characters"),
    ]
    for form, message in cases:
        response = browser.post("/admin/users", form)
        assert response.status_code == 400, form
        assert message in response.text
    # Far beyond any field's bound: refused before anything runs.
    huge = browser.post("/admin/users", {"email": "a" * 5000, "password": "long-enough"})
    assert huge.status_code == 422
    # Without the CSRF token nothing happens.
    forged = httpx.post(
        sqlite_server.url + "/admin/users",
        data={"email": "f@example.com", "password": "long-enough"},
        cookies=browser.client.cookies,
    )
    assert forged.status_code == 403
    with read_connection(sqlite_server.engine) as conn:
        emails = {u for u in ("short@example.com", "f@example.com")}
        for email in emails:
            try:
                get_user_by_email(conn, email)
            except LookupError:
                continue
            raise AssertionError(f"{email} was created")


def test_deactivate_signs_out_and_reactivate_lets_back_in(sqlite_server: LiveServer) -> None:
    person(sqlite_server.engine, "worker@example.com", role="member")
    worker = sign_in(sqlite_server, "worker@example.com")
    assert worker.get("/admin").status_code == 200
    browser = admin(sqlite_server)
    worker_id = _user_id(sqlite_server, "worker@example.com")
    response = browser.post(f"/admin/users/{worker_id}/deactivate")
    assert response.status_code == 303
    # Their open session no longer works, nor can they sign in again.
    assert worker.get("/admin", follow_redirects=False).status_code == 303
    try:
        Browser(sqlite_server, "worker@example.com", "pass-word-1")
    except AssertionError:
        pass
    else:
        raise AssertionError("a deactivated user signed in")
    assert "deactivated" in browser.get("/admin/users").text
    assert browser.post(f"/admin/users/{worker_id}/reactivate").status_code == 303
    assert sign_in(sqlite_server, "worker@example.com").get("/admin").status_code == 200


def test_never_yourself_and_unknown_users(sqlite_server: LiveServer) -> None:
    browser = admin(sqlite_server)
    me = _user_id(sqlite_server, "admin@example.com")
    response = browser.post(f"/admin/users/{me}/deactivate")
    assert response.status_code == 400
    assert "cannot deactivate yourself" in response.text
    assert (
        browser.post(f"/admin/users/{me}/password", {"password": "another-one"}).status_code == 400
    )
    assert browser.post("/admin/users/99999/deactivate").status_code == 404
    # Still signed in and still a superuser.
    assert browser.get("/admin/users").status_code == 200


def test_a_second_superuser_may_deactivate_the_first(sqlite_server: LiveServer) -> None:
    person(sqlite_server.engine, "root2@example.com", superuser=True)
    second = sign_in(sqlite_server, "root2@example.com")
    first_id = _user_id(sqlite_server, "admin@example.com")
    assert second.post(f"/admin/users/{first_id}/deactivate").status_code == 303
    # Now the second is the last active superuser, and may not deactivate itself.
    own = second.post(f"/admin/users/{_user_id(sqlite_server, 'root2@example.com')}/deactivate")
    assert own.status_code == 400


def test_reset_password(sqlite_server: LiveServer) -> None:
    person(sqlite_server.engine, "forgetful@example.com", role="viewer")
    old_session = sign_in(sqlite_server, "forgetful@example.com")
    browser = admin(sqlite_server)
    target = _user_id(sqlite_server, "forgetful@example.com")
    weak = browser.post(f"/admin/users/{target}/password", {"password": "123"})
    assert weak.status_code == 400 and "at least 8" in weak.text
    assert (
        browser.post(f"/admin/users/{target}/password", {"password": "brand-new-pw"}).status_code
        == 303
    )
    assert old_session.get("/admin", follow_redirects=False).status_code == 303
    assert (
        sign_in(sqlite_server, "forgetful@example.com", "brand-new-pw").get("/admin").status_code
        == 200
    )
    # A non-superuser may not reset anyone's password.
    viewer = sign_in(sqlite_server, "forgetful@example.com", "brand-new-pw")
    admin_id = _user_id(sqlite_server, "admin@example.com")
    assert (
        viewer.post(f"/admin/users/{admin_id}/password", {"password": "hijacked-pw"}).status_code
        == 403
    )
