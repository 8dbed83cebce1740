"""/projects/{slug}/alerts (rules), /alerts/channels and /alerts/deliveries through
HTTP: the forms create and edit what the API then shows, bad input is refused with the
reason and the typed values kept, secrets are never filled in or shown, CSRF and roles
are enforced (viewers look, members change, other teams get 404)."""

from __future__ import annotations

import re

import httpx

from faultbox.store import alert_channels, alert_rules
from faultbox.store.db import read_connection, write_transaction
from tests.fakes.services import FakeService, serve, slack, validate_slack
from tests.support import LiveServer
from tests.web._signin import other_team_project
from tests.web.admin_client import Browser, admin, close_browsers, person, sign_in

__all__ = ["close_browsers"]  # the autouse fixture

WEBHOOK = "https://hooks.slack.com/services/T0PAGES/B0PAGES/pagesecretpagesecret99"


def _channels(server: LiveServer) -> list[alert_channels.ChannelRow]:
    with read_connection(server.engine) as conn:
        return alert_channels.project_channels(conn, server.project.id)


def _rules(server: LiveServer) -> list[alert_rules.RuleRow]:
    with read_connection(server.engine) as conn:
        return alert_rules.project_rules(conn, server.project.id)


def _slack(browser: Browser, slug: str, name: str = "ops", url: str = WEBHOOK) -> httpx.Response:
    return browser.post(
        f"/projects/{slug}/alerts/channels",
        {"kind": "slack", "name": name, "role": "chat", "secret.webhook_url": url},
    )


def test_channel_forms_seal_the_secret_and_never_show_it(sqlite_server: LiveServer) -> None:
    slug = sqlite_server.project.slug
    browser = admin(sqlite_server)
    listing = browser.get(f"/projects/{slug}/alerts/channels")
    assert listing.status_code == 200
    # A form per kind, secrets as password inputs.
    for kind in ("email", "slack", "teams", "pagerduty", "opsgenie", "webhook"):
        assert f'data-kind="{kind}"' in listing.text
    assert 'type="password" name="secret.webhook_url"' in listing.text

    created = _slack(browser, slug)
    assert created.status_code == 303, created.text
    assert created.headers["location"].endswith("/alerts/channels?ok=channel-created")
    [channel] = _channels(sqlite_server)
    assert (channel.name, channel.kind, channel.role) == ("ops", "slack", "chat")
    assert channel.secret_hints == {"webhook_url": "…et99"}

    shown = browser.get(f"/projects/{slug}/alerts/channels").text
    assert "…et99" in shown and "pagesecret" not in shown
    edit = browser.get(f"/projects/{slug}/alerts/channels/{channel.id}").text
    assert "pagesecret" not in edit
    assert re.search(r'type="password" name="secret.webhook_url"[^>]*value=""', edit)
    assert "leave empty to keep it" in edit

    # Saving with the secret left empty keeps it; the new name and role are stored.
    saved = browser.post(
        f"/projects/{slug}/alerts/channels/{channel.id}",
        {"name": "ops-renamed", "role": "", "enabled": "1", "secret.webhook_url": ""},
    )
    assert saved.status_code == 303, saved.text
    [channel] = _channels(sqlite_server)
    assert (channel.name, channel.role, channel.secret_hints) == (
        "ops-renamed",
        None,
        {"webhook_url": "…et99"},
    )
    assert channel.sealed_secrets and "pagesecret" not in channel.sealed_secrets

    # Problems are listed, the typed name kept, the typed secret not echoed.
    bad_url = _slack(browser, slug, name="second", url="not a url at all")
    assert bad_url.status_code == 400
    assert "webhook_url: must be an http:// or https:// URL" in bad_url.text
    assert 'value="second"' in bad_url.text and "not a url at all" not in bad_url.text
    duplicate = _slack(browser, slug, name="ops-renamed")
    assert duplicate.status_code == 400 and "exists" in duplicate.text
    missing = browser.post(f"/projects/{slug}/alerts/channels", {"kind": "slack", "name": "third"})
    assert missing.status_code == 400 and "webhook_url: required" in missing.text
    unknown = browser.post(f"/projects/{slug}/alerts/channels", {"kind": "pigeon", "name": "p"})
    assert unknown.status_code == 400 and "unknown channel kind" in unknown.text
    storm = browser.post(
        f"/projects/{slug}/alerts/channels/{channel.id}",
        {"name": "ops-renamed", "storm_limit": "lots"},
    )
    assert storm.status_code == 400 and "storm_limit" in storm.text
    huge = browser.post(f"/projects/{slug}/alerts/channels", {"kind": "slack", "name": "x" * 5000})
    assert huge.status_code == 400
    assert [c.name for c in _channels(sqlite_server)] == ["ops-renamed"]

    # Escaped: a hostile name is text.
    hostile = _slack(browser, slug, name="<script>alert(1)</script>")
    assert hostile.status_code == 303
    page = browser.get(f"/projects/{slug}/alerts/channels").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page

    browser.post(f"/projects/{slug}/alerts/channels/{channel.id}/delete")
    assert [c.name for c in _channels(sqlite_server)] == ["<script>alert(1)</script>"]


def test_rule_form_creates_edits_disables_and_deletes(sqlite_server: LiveServer) -> None:
    slug = sqlite_server.project.slug
    browser = admin(sqlite_server)
    _slack(browser, slug, name="chat")
    _slack(browser, slug, name="pager", url=WEBHOOK.replace("99", "77"))
    ids = {c.name: c.id for c in _channels(sqlite_server)}
    page = browser.get(f"/projects/{slug}/alerts")
    assert page.status_code == 200 and "No alert rules yet" in page.text
    assert 'name="p.threshold.count"' in page.text and 'name="p.spike.baseline"' in page.text
    assert 'href="/projects/' + slug + '/alerts" class="active"' in page.text  # the nav

    form = {
        "name": "payments errors",
        "enabled": "1",
        "condition": "threshold",
        "p.threshold.count": "10",
        "p.threshold.window": "300",
        "p.threshold.group_by": "issue",
        "p.spike.k": "3",  # another condition's field: not read
        "filter": "service:payments level:error",
        "severity": "P1",
        "target.P1": [str(ids["pager"])],
        "target.*": [str(ids["chat"])],
        "throttle_seconds": "600",
        "quiet_windows": "22:00-07:00 Europe/Berlin\n\n12:00-13:00",
        "esc.0.after": "15",
        "esc.0.channels": [str(ids["chat"]), str(ids["pager"])],
    }
    created = browser.post(f"/projects/{slug}/alerts/rules", form)
    assert created.status_code == 303, created.text
    [rule] = _rules(sqlite_server)
    assert rule.params == {"count": 10, "window": 300, "group_by": "issue"}
    assert rule.targets == {"P1": [ids["pager"]], "*": [ids["chat"]]}
    assert rule.quiet_windows == [
        {"start": "22:00", "end": "07:00", "tz": "Europe/Berlin"},
        {"start": "12:00", "end": "13:00", "tz": "UTC"},
    ]
    assert rule.escalation == [{"after_minutes": 15, "channels": [ids["chat"], ids["pager"]]}]
    assert (rule.severity, rule.throttle_seconds, rule.enabled) == ("P1", 600, True)

    listing = browser.get(f"/projects/{slug}/alerts").text
    assert 'data-rule="payments errors"' in listing and "service:payments level:error" in listing
    assert "after 15 min → chat, pager" in listing

    with write_transaction(sqlite_server.engine) as conn:
        alert_rules.record_firing(
            conn,
            rule_id=rule.id,
            project_id=sqlite_server.project.id,
            subject="issue:7",
            fired_at=1_800_000_000.0,
            value=12,
            threshold=10,
            issue_id=None,
            severity="P1",
            explanation="12 events in 5 min <b>over</b> 10",
            dedup_key="x",
            suppressed="quiet_window",
        )
    edit = browser.get(f"/projects/{slug}/alerts/rules/{rule.id}").text
    assert edit.count("data-firing-row") == 1 and "not sent: quiet_window" in edit
    assert "&lt;b&gt;over&lt;/b&gt;" in edit
    assert 'value="payments errors"' in edit and "22:00-07:00 Europe/Berlin" in edit
    assert re.search(rf'name="target.P1" value="{ids["pager"]}"[^>]*checked', edit)
    assert re.search(r'name="esc.0.after"[^>]*value="15"', edit)

    # A bad change is refused with the reason, the form keeps what was typed.
    bad = browser.post(
        f"/projects/{slug}/alerts/rules/{rule.id}",
        {**form, "filter": "level:(oops", "quiet_windows": "whenever"},
    )
    assert bad.status_code == 400 and "22:00-07:00 Zone" in bad.text
    for change, reason in (
        ({"filter": "level:(oops"}, "Filter:"),
        ({"condition": "sometimes"}, "Unknown condition"),
        ({"severity": "P7"}, "Severity must be one of"),
        ({"throttle_seconds": "-1"}, "must not be negative"),
        ({"throttle_seconds": "soon"}, "whole number"),
        ({"p.threshold.count": "many"}, "Count must be a number"),
        ({"quiet_windows": "25:00-07:00"}, "HH:MM"),
        ({"esc.1.after": "0", "esc.1.channels": [str(ids["chat"])]}, "after_minutes"),
        ({"target.P1": ["999999"]}, "No channel 999999"),
        ({"target.P1": ["pager"]}, "is not a channel"),
        ({"name": ""}, "Name: required"),
    ):
        refused = browser.post(f"/projects/{slug}/alerts/rules/{rule.id}", {**form, **change})
        assert refused.status_code == 400 and reason in refused.text, (change, refused.text[:300])
    assert _rules(sqlite_server)[0].filter == "service:payments level:error"

    saved = browser.post(
        f"/projects/{slug}/alerts/rules/{rule.id}",
        {**form, "severity": "", "target.P1": [], "esc.0.after": "", "esc.0.channels": []},
    )
    assert saved.status_code == 303, saved.text
    [rule] = _rules(sqlite_server)
    assert (rule.severity, rule.targets, rule.escalation) == (None, {"*": [ids["chat"]]}, [])

    browser.post(f"/projects/{slug}/alerts/rules/{rule.id}/enabled", {"enabled": "0"})
    assert _rules(sqlite_server)[0].enabled is False
    assert "Enable</button>" in browser.get(f"/projects/{slug}/alerts").text
    browser.post(f"/projects/{slug}/alerts/rules/{rule.id}/enabled", {"enabled": "1"})
    assert _rules(sqlite_server)[0].enabled is True

    # The channel a rule sends to is not deleted; once the rule is gone, it is.
    kept = browser.post(f"/projects/{slug}/alerts/channels/{ids['chat']}/delete")
    assert kept.status_code == 409 and "payments errors" in kept.text
    browser.post(f"/projects/{slug}/alerts/rules/{rule.id}/delete")
    assert _rules(sqlite_server) == []
    assert browser.post(f"/projects/{slug}/alerts/channels/{ids['chat']}/delete").status_code == 303


def test_send_test_notification_shows_the_outcome(sqlite_server: LiveServer) -> None:
    slug = sqlite_server.project.slug
    browser = admin(sqlite_server)
    with serve(FakeService(slack)) as fake:
        _slack(browser, slug, url=f"{fake.url}/services/T1/B1/pagetestpagetest")
        [channel] = _channels(sqlite_server)
        fragment = browser.post(f"/projects/{slug}/alerts/channels/{channel.id}/test", htmx=True)
        assert fragment.status_code == 200
        assert 'data-test-result="ok"' in fragment.text and "answered 200" in fragment.text
        assert "<html" not in fragment.text
        validate_slack(fake.requests[0].json())
        fake.fail(1, 403, b"invalid_token")
        page = browser.post(f"/projects/{slug}/alerts/channels/{channel.id}/test")
        assert page.status_code == 200 and 'data-test-result="failed"' in page.text
        assert "invalid_token" in page.text
    log = browser.get(f"/projects/{slug}/alerts/deliveries").text
    assert log.count("data-delivery-row") == 2
    assert "failed" in log and "sent" in log and "invalid_token" in log
    assert "pagetestpagetest" not in log
    bad_cursor = browser.get(f"/projects/{slug}/alerts/deliveries", params={"cursor": "%%"})
    assert bad_cursor.status_code == 400


def test_csrf_roles_and_teams(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    slug = server.project.slug
    owner = admin(server)
    _slack(owner, slug)
    [channel] = _channels(server)
    owner.post(f"/projects/{slug}/alerts/rules", {"name": "r", "condition": "new_issue"})
    [rule] = _rules(server)

    posts = [
        (f"/projects/{slug}/alerts/rules", {"name": "x", "condition": "new_issue"}),
        (f"/projects/{slug}/alerts/rules/{rule.id}", {"name": "x", "condition": "new_issue"}),
        (f"/projects/{slug}/alerts/rules/{rule.id}/enabled", {"enabled": "0"}),
        (f"/projects/{slug}/alerts/rules/{rule.id}/delete", {}),
        (f"/projects/{slug}/alerts/channels", {"kind": "slack", "name": "y"}),
        (f"/projects/{slug}/alerts/channels/{channel.id}", {"name": "y"}),
        (f"/projects/{slug}/alerts/channels/{channel.id}/delete", {}),
        (f"/projects/{slug}/alerts/channels/{channel.id}/test", {}),
    ]
    pages = [
        f"/projects/{slug}/alerts",
        f"/projects/{slug}/alerts/rules/{rule.id}",
        f"/projects/{slug}/alerts/channels",
        f"/projects/{slug}/alerts/channels/{channel.id}",
        f"/projects/{slug}/alerts/deliveries",
    ]
    # Without the CSRF token (a signed-in session all the same): refused.
    for path, data in posts:
        forged = owner.client.post(path, data=data, headers={"accept": "text/html"})
        assert forged.status_code == 403 and "CSRF" in forged.text, path

    # A viewer sees everything read-only and may change nothing.
    person(server.engine, "viewer@example.com", role="viewer")
    viewer = sign_in(server, "viewer@example.com")
    for path in pages:
        shown = viewer.get(path)
        assert shown.status_code == 200, path
        assert "Read-only" in shown.text or path.endswith("deliveries")
        assert "Create rule" not in shown.text and "Send test notification" not in shown.text
    for path, data in posts:
        assert viewer.post(path, data).status_code == 403, path

    # A member changes alerts (Sentry's default for members).
    person(server.engine, "member@example.com", role="member")
    member = sign_in(server, "member@example.com")
    renamed = member.post(
        f"/projects/{slug}/alerts/rules/{rule.id}", {"name": "by member", "condition": "new_issue"}
    )
    assert renamed.status_code == 303
    assert _rules(server)[0].name == "by member"

    # Another team's person: every page and post is 404; so are ids of another project.
    other = other_team_project(server)
    person(server.engine, "stranger@example.com", role="admin", team="others")
    stranger = sign_in(server, "stranger@example.com")
    for path in pages:
        assert stranger.get(path).status_code == 404, path
    for path, data in posts:
        assert stranger.post(path, data).status_code == 404, path
    misplaced = stranger.get(f"/projects/{other.slug}/alerts/rules/{rule.id}")
    assert misplaced.status_code == 404
    assert stranger.get(f"/projects/{other.slug}/alerts/channels/{channel.id}").status_code == 404
    assert [c.name for c in _channels(server)] == ["ops"]
