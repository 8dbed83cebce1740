"""/admin/teams through HTTP: superusers create teams, owners manage members, a team
always keeps an owner, other teams stay invisible."""

from __future__ import annotations

from faultbox.store.accounts import get_user_by_email
from faultbox.store.db import read_connection
from tests.support import LiveServer
from tests.web.admin_client import admin, close_browsers, person, sign_in

__all__ = ["close_browsers"]  # the autouse fixture


def _id(server: LiveServer, email: str) -> int:
    with read_connection(server.engine) as conn:
        return get_user_by_email(conn, email).id


def test_create_team_add_members_change_roles(live_server: LiveServer) -> None:
    person(live_server.engine, "dev@example.com")
    browser = admin(live_server)
    created = browser.post("/admin/teams", {"name": "Mobile Apps"})
    assert created.status_code == 303
    assert created.headers["location"] == "/admin/teams/mobile-apps?ok=team-created"
    page = browser.get(created.headers["location"])
    assert "Mobile Apps" in page.text and "admin@example.com" in page.text
    duplicate = browser.post("/admin/teams", {"name": "mobile apps!"})
    assert duplicate.status_code == 409 and "already exists" in duplicate.text
    added = browser.post(
        "/admin/teams/mobile-apps/members", {"email": "dev@example.com", "role": "viewer"}
    )
    assert added.status_code == 303
    again = browser.post(
        "/admin/teams/mobile-apps/members", {"email": "DEV@example.com", "role": "admin"}
    )
    assert again.status_code == 409 and "already a member" in again.text
    dev = _id(live_server, "dev@example.com")
    assert (
        browser.post(f"/admin/teams/mobile-apps/members/{dev}/role", {"role": "admin"}).status_code
        == 303
    )
    assert "admin" in browser.get("/admin/teams/mobile-apps").text
    assert browser.post(f"/admin/teams/mobile-apps/members/{dev}/remove").status_code == 303
    assert "dev@example.com" not in browser.get("/admin/teams/mobile-apps").text


def test_malformed_team_and_member_forms(sqlite_server: LiveServer) -> None:
    browser = admin(sqlite_server)
    for name, message in [("", "1 to 200"), ("!!!", "letter or digit"), ("x" * 201, "1 to 200")]:
        response = browser.post("/admin/teams", {"name": name})
        assert response.status_code == 400 and message in response.text
    bad = [
        ({"email": "nobody@example.com", "role": "member"}, "No user with email"),
        ({"email": "nope", "role": "member"}, "not a valid email"),
        ({"email": "admin@example.com", "role": "god"}, "Unknown role"),
    ]
    for form, message in bad:
        response = browser.post("/admin/teams/default/members", form)
        assert response.status_code == 400 and message in response.text, form
    me = _id(sqlite_server, "admin@example.com")
    wrong_role = browser.post(f"/admin/teams/default/members/{me}/role", {"role": "king"})
    assert wrong_role.status_code == 400
    assert browser.post("/admin/teams/default/members/9999/remove").status_code == 404
    assert browser.get("/admin/teams/no-such-team").status_code == 404


def test_the_last_owner_stays(sqlite_server: LiveServer) -> None:
    browser = admin(sqlite_server)
    me = _id(sqlite_server, "admin@example.com")
    demote = browser.post(f"/admin/teams/default/members/{me}/role", {"role": "admin"})
    assert demote.status_code == 409 and "needs an owner" in demote.text
    remove = browser.post(f"/admin/teams/default/members/{me}/remove")
    assert remove.status_code == 409
    # With a second owner, the first may step down.
    person(sqlite_server.engine, "owner2@example.com", role="owner")
    assert (
        browser.post(f"/admin/teams/default/members/{me}/role", {"role": "admin"}).status_code
        == 303
    )


def test_owners_manage_their_team_others_may_not(sqlite_server: LiveServer) -> None:
    engine = sqlite_server.engine
    person(engine, "owner@example.com", role="owner", team="payments")
    person(engine, "teamadmin@example.com", role="admin", team="payments")
    person(engine, "viewer@example.com", role="viewer", team="payments")
    person(engine, "outsider@example.com", role="owner", team="other")
    owner = sign_in(sqlite_server, "owner@example.com")
    viewer_id = _id(sqlite_server, "viewer@example.com")
    assert (
        owner.post(
            f"/admin/teams/payments/members/{viewer_id}/role", {"role": "member"}
        ).status_code
        == 303
    )
    # Only superusers create teams.
    assert owner.post("/admin/teams", {"name": "Shadow"}).status_code == 403
    # A team admin (not owner) and a viewer see the team read-only and are refused.
    for email in ("teamadmin@example.com", "viewer@example.com"):
        browser = sign_in(sqlite_server, email)
        page = browser.get("/admin/teams/payments")
        assert page.status_code == 200 and "Add a member" not in page.text
        refused = browser.post(
            "/admin/teams/payments/members", {"email": "outsider@example.com", "role": "owner"}
        )
        assert refused.status_code == 403
        assert browser.post(f"/admin/teams/payments/members/{viewer_id}/remove").status_code == 403
    # Another team's owner cannot see this team at all.
    outsider = sign_in(sqlite_server, "outsider@example.com")
    assert outsider.get("/admin/teams/payments").status_code == 404
    assert outsider.post(f"/admin/teams/payments/members/{viewer_id}/remove").status_code == 404
    listed = outsider.get("/admin/teams").text
    assert "/admin/teams/other" in listed and "/admin/teams/payments" not in listed
