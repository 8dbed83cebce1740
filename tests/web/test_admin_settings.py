"""/admin/projects/{slug}/settings through HTTP: the four tabs, their validation (the
API's own), the dry runs, and read-only pages for viewers and members."""

from __future__ import annotations

import orjson

from faultbox.store.db import read_connection
from faultbox.store.projects import get_project
from faultbox.store.severity_rules import severity_rules_of
from tests.support import LiveServer
from tests.web.admin_client import admin, close_browsers, person, sign_in

__all__ = ["close_browsers"]  # the autouse fixture


def _settings(server: LiveServer) -> tuple[str | None, str | None, str | None, str | None]:
    with read_connection(server.engine) as conn:
        project = get_project(conn, server.project.slug)
        severity = severity_rules_of(conn, project.id)
    return project.scrub_config, project.in_app_rules, project.fingerprint_rules, severity


def test_scrubbing_saved_is_what_the_api_returns(sqlite_server: LiveServer) -> None:
    slug = sqlite_server.project.slug
    browser = admin(sqlite_server)
    page = browser.get(f"/admin/projects/{slug}/settings")
    assert page.status_code == 200 and 'aria-current="page">PII scrubbing' in page.text
    saved = browser.post(
        f"/admin/projects/{slug}/settings/scrubbing",
        {"enabled": "1", "extra_fields": "iban\r\n\r\n tax_id \n", "safe_fields": "order_id"},
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/admin/projects/{slug}/settings/scrubbing?ok=saved"
    token = sqlite_server.admin_token(["project:read"])
    api = sqlite_server.api(f"/api/v1/projects/{slug}/scrubbing", token=token).json()
    assert api == {
        "enabled": True,
        "extra_fields": ["iban", "tax_id"],
        "safe_fields": ["order_id"],
        "scrub_credit_cards": False,
        "scrub_ip_addresses": False,
    }
    shown = browser.get(f"/admin/projects/{slug}/settings/scrubbing").text
    assert "iban\ntax_id</textarea>" in shown
    too_long = browser.post(
        f"/admin/projects/{slug}/settings/scrubbing", {"enabled": "1", "extra_fields": "x" * 101}
    )
    assert too_long.status_code == 400 and "longer than 100" in too_long.text
    too_many = "\n".join(f"f{i}" for i in range(201))
    response = browser.post(
        f"/admin/projects/{slug}/settings/scrubbing", {"extra_fields": too_many}
    )
    assert response.status_code == 400 and "more than 200" in response.text
    assert orjson.loads(_settings(sqlite_server)[0] or "{}")["extra_fields"] == ["iban", "tax_id"]


def test_in_app_rules(sqlite_server: LiveServer) -> None:
    slug = sqlite_server.project.slug
    browser = admin(sqlite_server)
    saved = browser.post(
        f"/admin/projects/{slug}/settings/in-app", {"include": "shop.\n", "exclude": "shop.vendor."}
    )
    assert saved.status_code == 303
    assert orjson.loads(_settings(sqlite_server)[1] or "{}") == {
        "include": ["shop."],
        "exclude": ["shop.vendor."],
    }
    bad = browser.post(f"/admin/projects/{slug}/settings/in-app", {"include": "x" * 301})
    assert bad.status_code == 400 and "non-empty prefixes" in bad.text


def test_fingerprint_rules_save_reject_and_dry_run(sqlite_server: LiveServer) -> None:
    slug = sqlite_server.project.slug
    browser = admin(sqlite_server)
    bad = browser.post(
        f"/admin/projects/{slug}/settings/fingerprint", {"rules": "error.tpye:X -> y"}
    )
    assert bad.status_code == 400 and "line 1" in bad.text
    assert "error.tpye:X -&gt; y</textarea>" in bad.text  # the text is kept to fix it
    for n in range(2):
        sqlite_server.send_event(
            f"{n:032x}", {"message": f"disk full on node {n}", "level": "error", "logger": "ops"}
        )
    sqlite_server.wait_events(2)
    rules = "# one group\r\nlogger:ops -> ops-noise"
    preview = browser.post(
        f"/admin/projects/{slug}/settings/fingerprint/dry-run", {"rules": rules}, htmx=True
    )
    assert preview.status_code == 200 and "<html" not in preview.text
    assert "checked" in preview.text and "logger:ops -&gt; ops-noise" in preview.text
    bad_preview = browser.post(
        f"/admin/projects/{slug}/settings/fingerprint/dry-run", {"rules": "nope"}, htmx=True
    )
    assert "line 1" in bad_preview.text and 'role="alert"' in bad_preview.text
    # Without htmx the dry run answers the whole tab.
    whole = browser.post(f"/admin/projects/{slug}/settings/fingerprint/dry-run", {"rules": rules})
    assert whole.status_code == 200 and "<html" in whole.text and "checked" in whole.text
    assert _settings(sqlite_server)[2] is None  # a dry run saves nothing
    assert (
        browser.post(f"/admin/projects/{slug}/settings/fingerprint", {"rules": rules}).status_code
        == 303
    )
    assert _settings(sqlite_server)[2] == "# one group\nlogger:ops -> ops-noise"
    oversized = browser.post(
        f"/admin/projects/{slug}/settings/fingerprint", {"rules": "# x\n" * 20_000}
    )
    assert oversized.status_code == 400 and "at most" in oversized.text


def test_severity_rules_save_reject_and_dry_run(sqlite_server: LiveServer) -> None:
    slug = sqlite_server.project.slug
    browser = admin(sqlite_server)
    page = browser.get(f"/admin/projects/{slug}/settings/severity").text
    assert "fatal → P1" in page
    bad = browser.post(f"/admin/projects/{slug}/settings/severity", {"rules": "level:error -> P7"})
    assert bad.status_code == 400 and "unknown severity" in bad.text
    sqlite_server.send_event("a" * 32, {"message": "boom", "level": "error"})
    sqlite_server.wait_events(1)
    preview = browser.post(
        f"/admin/projects/{slug}/settings/severity/dry-run",
        {"rules": "level:error -> P0"},
        htmx=True,
    )
    assert preview.status_code == 200
    assert "1 issue checked" in preview.text and "P0 1" in preview.text
    saved = browser.post(
        f"/admin/projects/{slug}/settings/severity", {"rules": "level:error -> P0"}
    )
    assert saved.status_code == 303
    assert _settings(sqlite_server)[3] == "level:error -> P0"


def test_viewers_and_members_read_only_strangers_404(sqlite_server: LiveServer) -> None:
    engine = sqlite_server.engine
    slug = sqlite_server.project.slug
    person(engine, "viewer@example.com", role="viewer")
    person(engine, "member@example.com", role="member")
    person(engine, "stranger@example.com", role="owner", team="elsewhere")
    before = _settings(sqlite_server)
    posts = {
        "scrubbing": {"enabled": "1", "extra_fields": "x"},
        "in-app": {"include": "x."},
        "fingerprint": {"rules": "level:error -> all"},
        "severity": {"rules": "level:error -> P0"},
    }
    for email in ("viewer@example.com", "member@example.com"):
        browser = sign_in(sqlite_server, email)
        for tab, form in posts.items():
            page = browser.get(f"/admin/projects/{slug}/settings/{tab}")
            assert page.status_code == 200 and "Read-only" in page.text
            assert ">Save</button>" not in page.text
            assert browser.post(f"/admin/projects/{slug}/settings/{tab}", form).status_code == 403
        # A dry run changes nothing, so read access is enough (as in the API).
        dry = browser.post(
            f"/admin/projects/{slug}/settings/severity/dry-run", {"rules": "level:error -> P0"}
        )
        assert dry.status_code == 200
    stranger = sign_in(sqlite_server, "stranger@example.com")
    assert stranger.get(f"/admin/projects/{slug}/settings").status_code == 404
    assert (
        stranger.post(f"/admin/projects/{slug}/settings/severity", posts["severity"]).status_code
        == 404
    )
    assert (
        stranger.post(
            f"/admin/projects/{slug}/settings/fingerprint/dry-run", {"rules": ""}
        ).status_code
        == 404
    )
    assert _settings(sqlite_server) == before
    assert admin(sqlite_server).get(f"/admin/projects/{slug}/settings/nope").status_code == 404
