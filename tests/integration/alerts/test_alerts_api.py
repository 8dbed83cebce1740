"""Alert rules, channels and the delivery log through the HTTP API: happy paths on
SQLite and PostgreSQL, every kind of bad input, tokens and teams, and a channel's
secret never coming back in any answer (API or dashboard page)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from faultbox import clock
from faultbox.alerts import channel_admin
from faultbox.store import alert_deliveries, alert_rules
from faultbox.store.accounts import create_token, get_user_by_email
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.schema import alert_channels
from tests.fakes.services import FakeService, serve, slack, validate_slack
from tests.integration.alerts.rules_support import T0
from tests.support import LiveServer
from tests.web._signin import add_user, other_team_project, sign_in

WEBHOOK = "https://hooks.slack.com/services/T0SECRET/B0SECRET/abcdefghijklmnopqrstuvwx"
_OPEN: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


class Api:
    """A token's view of the API that keeps every answer (to look for leaked secrets)."""

    def __init__(self, server: LiveServer, token: str) -> None:
        self.server = server
        self.client = httpx.Client(
            base_url=server.url + "/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=20,
        )
        _OPEN.append(self.client)
        self.answers: list[str] = []

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, path, **kwargs)
        self.answers.append(response.text)
        return response

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    @property
    def slug(self) -> str:
        return self.server.project.slug

    def channel(self, name: str = "ops-slack", url: str = WEBHOOK, **extra: Any) -> Any:
        body = {"name": name, "kind": "slack", "secrets": {"webhook_url": url}, **extra}
        return self.ok("POST", f"/projects/{self.slug}/alert-channels", 201, json=body)

    def rule(self, **body: Any) -> Any:
        base: dict[str, Any] = {"name": "errors", "condition": "threshold"}
        return self.ok("POST", f"/projects/{self.slug}/alert-rules", 201, json={**base, **body})


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[Api]:
    clock.pin(T0)
    token = live_server.admin_token(["alerts:read", "alerts:write"])
    yield Api(live_server, token)
    clock.pin(None)


@pytest.fixture
def lite(sqlite_server: LiveServer) -> Iterator[Api]:
    clock.pin(T0)
    yield Api(sqlite_server, sqlite_server.admin_token(["alerts:read", "alerts:write"]))
    clock.pin(None)


def test_rule_lifecycle(api: Api) -> None:
    pager = api.channel("pager", url="https://hooks.slack.com/services/T/B/pagerpagerpager")
    chat = api.channel("chat")
    created = api.rule(
        name="  payments errors ",
        params={"count": 10, "window": 300, "group_by": "issue"},
        filter="service:payments level:error",
        severity="P1",
        targets={"P1": [pager["id"]], "*": [chat["id"]]},
        throttle_seconds=600,
        quiet_windows=[{"start": "22:00", "end": "07:00", "tz": "Europe/Berlin"}],
        escalation=[{"after_minutes": 15, "channels": [chat["id"]]}],
    )
    assert created["name"] == "payments errors"
    assert created["enabled"] is True
    assert created["targets"] == {"P1": [pager["id"]], "*": [chat["id"]]}
    assert created["escalation"] == [{"after_minutes": 15, "channels": [chat["id"]]}]
    assert created["quiet_windows"] == [{"start": "22:00", "end": "07:00", "tz": "Europe/Berlin"}]
    assert created["last_fired_at"] is None
    rule_id = created["id"]

    listed = api.ok("GET", f"/projects/{api.slug}/alert-rules")["data"]
    assert [r["id"] for r in listed] == [rule_id]
    assert api.ok("GET", f"/alert-rules/{rule_id}")["params"]["group_by"] == "issue"

    # PUT changes what it is given and keeps the rest; a disabled rule is still listed.
    changed = api.ok("PUT", f"/alert-rules/{rule_id}", json={"enabled": False, "severity": "P2"})
    assert (changed["enabled"], changed["severity"], changed["throttle_seconds"]) == (
        False,
        "P2",
        600,
    )
    assert [r["enabled"] for r in api.ok("GET", f"/projects/{api.slug}/alert-rules")["data"]] == [
        False
    ]
    cleared = api.ok("PUT", f"/alert-rules/{rule_id}", json={"escalation": [], "targets": None})
    assert (cleared["escalation"], cleared["targets"]) == ([], {})

    # Firings newest first, paged with a cursor.
    with write_transaction(api.server.engine) as conn:
        for n in range(5):
            alert_rules.record_firing(
                conn,
                rule_id=rule_id,
                project_id=api.server.project.id,
                subject="stream",
                fired_at=T0 + n * 60,
                value=10 + n,
                threshold=10,
                issue_id=None,
                severity="P2",
                explanation=f"crossing {n}",
                dedup_key=f"k{n}",
            )
    first = api.ok("GET", f"/alert-rules/{rule_id}/firings", params={"limit": 3})
    assert [f["explanation"] for f in first["data"]] == ["crossing 4", "crossing 3", "crossing 2"]
    rest = api.ok(
        "GET",
        f"/alert-rules/{rule_id}/firings",
        params={"limit": 3, "cursor": first["next_cursor"]},
    )
    assert [f["explanation"] for f in rest["data"]] == ["crossing 1", "crossing 0"]
    assert rest["next_cursor"] is None
    assert api.ok("GET", f"/alert-rules/{rule_id}")["last_fired_at"] == "2027-01-15T08:04:00Z"

    api.ok("DELETE", f"/alert-rules/{rule_id}", 204)
    assert api.call("GET", f"/alert-rules/{rule_id}").status_code == 404
    assert api.call("GET", f"/alert-rules/{rule_id}/firings").status_code == 404


def _every_page(server: LiveServer, channel_id: int) -> list[str]:
    slug = server.project.slug
    with sign_in(server) as browser:
        paths = [
            f"/projects/{slug}/alerts",
            f"/projects/{slug}/alerts/channels",
            f"/projects/{slug}/alerts/channels/{channel_id}",
            f"/projects/{slug}/alerts/deliveries",
        ]
        pages = [browser.get(p) for p in paths]
    assert [p.status_code for p in pages] == [200] * len(pages)
    return [p.text for p in pages]


def test_channel_secrets_are_sealed_and_never_returned(api: Api) -> None:
    kinds = api.ok("GET", "/alert-channel-kinds")["data"]
    assert {"name": "webhook_url", "required": True, "secret": True}.items() <= kinds["slack"][
        0
    ].items()

    created = api.channel(role="chat", storm_limit=3)
    assert created["secrets"] == {"webhook_url": "…uvwx"}
    assert (created["kind"], created["role"], created["storm_limit"]) == ("slack", "chat", 3)
    channel_id = created["id"]

    # Renaming keeps the sealed secret; a new URL replaces it (new hint).
    renamed = api.ok("PATCH", f"/alert-channels/{channel_id}", json={"name": "team-slack"})
    assert (renamed["name"], renamed["secrets"]) == ("team-slack", {"webhook_url": "…uvwx"})
    api.ok("GET", f"/alert-channels/{channel_id}")
    api.ok("GET", f"/projects/{api.slug}/alert-channels")
    api.ok("PATCH", f"/alert-channels/{channel_id}", json={"enabled": False, "role": ""})
    disabled = api.ok("GET", f"/alert-channels/{channel_id}")
    assert (disabled["enabled"], disabled["role"]) == (False, None)

    # A delivery recorded for it shows in the log with the channel's name.
    with write_transaction(api.server.engine) as conn:
        delivery = alert_deliveries.enqueue(
            conn,
            project_id=api.server.project.id,
            channel_id=channel_id,
            kind="trigger",
            idempotency_key="k1",
            notification="{}",
            now=T0,
        )
    log = api.ok("GET", f"/projects/{api.slug}/alert-deliveries")["data"]
    assert [(d["id"], d["status"], d["attempts"], d["channel"]["name"]) for d in log] == [
        (delivery, "pending", 0, "team-slack")
    ]

    # Stored sealed: the URL is not in the table either.
    with read_connection(api.server.engine) as conn:
        row = conn.execute(alert_channels.select()).one()._mapping
    assert WEBHOOK not in json.dumps({k: str(v) for k, v in row.items()})

    pages = _every_page(api.server, channel_id)
    assert "…uvwx" in pages[1]
    for text in api.answers + pages:
        assert WEBHOOK not in text
        assert "T0SECRET" not in text

    # Replacing the secret: the new hint, still never the value.
    replaced = api.ok(
        "PATCH",
        f"/alert-channels/{channel_id}",
        json={"secrets": {"webhook_url": WEBHOOK.replace("uvwx", "9999")}},
    )
    assert replaced["secrets"] == {"webhook_url": "…9999"}
    assert "T0SECRET" not in api.answers[-1]


def _problems(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    return json.dumps(response.json()["detail"])


def test_bad_rules_are_refused_with_the_reason(lite: Api) -> None:
    own = lite.channel()
    other = other_team_project(lite.server)
    with write_transaction(lite.server.engine) as conn:
        foreign = channel_admin.create(
            conn,
            lite.server.settings.secret_key.value,
            project_id=other.id,
            name="theirs",
            kind="slack",
            config={},
            secrets={"webhook_url": "https://hooks.slack.com/services/X/Y/Z"},
            now=T0,
        )
    url = f"/projects/{lite.slug}/alert-rules"
    base = {"name": "r", "condition": "threshold"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"condition": "sometimes"}, "unknown condition"),
        ({"params": {"count": -1}}, "count must be at least 0"),
        ({"params": {"colour": 3}}, "does not take"),
        ({"params": {"group_by": "planet"}}, "group_by must be one of"),
        ({"filter": "level:(error"}, "filter"),
        ({"severity": "P9"}, "severity must be one of"),
        ({"throttle_seconds": -5}, "must not be negative"),
        ({"quiet_windows": [{"start": "25:00", "end": "07:00"}]}, "HH:MM"),
        ({"quiet_windows": [{"start": "22:00", "end": "7"}]}, "HH:MM"),
        ({"quiet_windows": [{"start": "22:00", "end": "07:00", "tz": "Mars/Base"}]}, "time zone"),
        ({"targets": {"P1": [foreign]}}, f"no channel {foreign}"),
        ({"targets": {"loud": [own["id"]]}}, "is not a severity"),
        ({"escalation": [{"after_minutes": 10, "channels": [foreign]}]}, f"no channel {foreign}"),
        ({"escalation": [{"after_minutes": 0, "channels": [own["id"]]}]}, "after_minutes"),
        ({"escalation": [{"after_minutes": 5, "channels": []}]}, "at least one channel"),
        (
            {"escalation": [{"after_minutes": n, "channels": [own["id"]]} for n in range(1, 7)]},
            "at most 5 levels",
        ),
        ({"name": "   "}, "name: required"),
        ({"name": "x" * 201}, "at most 200"),
    ]
    for change, reason in cases:
        response = lite.call("POST", url, json={**base, **change})
        assert reason in _problems(response), (change, response.text)
    assert lite.ok("GET", url)["data"] == []

    # Shape errors: the API's usual 422 with the field's location.
    shapes: list[dict[str, Any]] = [
        {"colour": "red"},  # unknown field
        {"name": "x" * 5000},  # oversized string
        {"filter": "f" * 5000},
        {"throttle_seconds": "soon"},
        {"quiet_windows": "always"},
        {"targets": {"P1": ["pager"]}},
        {"params": {"count": {"deep": 1}}},
    ]
    for change in shapes:
        response = lite.call("POST", url, json={**base, **change})
        assert response.status_code == 422, (change, response.text)
        assert isinstance(response.json()["detail"], list)
    missing = lite.call("POST", url, json={"name": "no condition"})
    assert missing.status_code == 422
    huge = lite.call("POST", url, content=b'{"name": "' + b"x" * 70_000 + b'"}')
    assert huge.status_code == 413
    not_json = lite.call(
        "POST", url, content=b"{name", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422

    # A change is checked whole: the stored rule stays as it was.
    rule = lite.rule()
    refused = lite.call("PUT", f"/alert-rules/{rule['id']}", json={"targets": {"P1": [foreign]}})
    assert f"no channel {foreign}" in _problems(refused)
    assert lite.call("PUT", f"/alert-rules/{rule['id']}", json={"id": 5}).status_code == 422
    assert lite.ok("GET", f"/alert-rules/{rule['id']}")["targets"] == {}
    # null: the field's empty value where it has one; never a broken row.
    for nulled, reason in (({"enabled": None}, "enabled"), ({"name": None}, "name: required")):
        refused = lite.call("PUT", f"/alert-rules/{rule['id']}", json=nulled)
        assert reason in _problems(refused)
    emptied = lite.ok(
        "PUT",
        f"/alert-rules/{rule['id']}",
        json={"filter": None, "throttle_seconds": None, "params": None, "quiet_windows": None},
    )
    assert (emptied["filter"], emptied["throttle_seconds"], emptied["params"]) == ("", 0, {})
    bad_cursor = lite.call("GET", f"/alert-rules/{rule['id']}/firings", params={"cursor": "!!"})
    assert bad_cursor.status_code == 400


def test_bad_channels_are_refused_with_the_problems(lite: Api) -> None:
    url = f"/projects/{lite.slug}/alert-channels"
    lite.channel("taken")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"kind": "pigeon"}, "unknown channel kind"),
        ({"secrets": {}}, "webhook_url: required"),
        ({"secrets": {"webhook_url": "not a url"}}, "http:// or https://"),
        ({"secrets": {"webhook_url": "ftp://hooks.example/x"}}, "http:// or https://"),
        ({"config": {"webhook_url": WEBHOOK}, "secrets": {}}, "belongs in secrets"),
        ({"config": {"channel": "#ops"}}, "not a setting of slack"),
        ({"name": "taken"}, "exists"),
        ({"name": ""}, "name: required"),
        ({"role": "boss"}, "role: one of"),
        ({"storm_limit": 0}, "storm_limit"),
        ({"storm_window_seconds": 5}, "storm_window_seconds"),
    ]
    base = {"name": "new", "kind": "slack", "secrets": {"webhook_url": WEBHOOK}}
    for change, reason in cases:
        response = lite.call("POST", url, json={**base, **change})
        assert reason in _problems(response), (change, response.text)
        assert isinstance(response.json()["detail"]["problems"], list)
    email = lite.call(
        "POST",
        url,
        json={"name": "mail", "kind": "email", "config": {"host": "smtp.example"}},
    )
    problems = email.json()["detail"]["problems"]
    assert email.status_code == 400 and any(p.startswith("from_addr") for p in problems)
    assert any(p.startswith("to") for p in problems)
    assert [c["name"] for c in lite.ok("GET", url)["data"]] == ["taken"]

    for shape in ({"surprise": 1}, {"kind": 7}, {"secrets": ["x"]}):
        assert lite.call("POST", url, json={**base, **shape}).status_code == 422
    # A malformed secret is refused without echoing it (a 422 would show the input).
    for secret in ("s3cr3t" * 1000, 123456789012345, ["s3cr3t-in-a-list"]):
        refused = lite.call("POST", url, json={**base, "secrets": {"webhook_url": secret}})
        assert refused.status_code == 400 and "secrets.webhook_url" in refused.text
        assert "s3cr3t" not in refused.text and "123456789012345" not in refused.text
    assert lite.call("POST", url, content=b"x" * 70_000).status_code == 413

    # A PATCH is checked whole as well, and a duplicate name is refused.
    other = lite.channel("other")
    dup = lite.call("PATCH", f"/alert-channels/{other['id']}", json={"name": "taken"})
    assert "exists" in _problems(dup)
    cleared = lite.call(
        "PATCH", f"/alert-channels/{other['id']}", json={"secrets": {"webhook_url": ""}}
    )
    assert "webhook_url: required" in _problems(cleared)
    assert lite.ok("GET", f"/alert-channels/{other['id']}")["secrets"] == {"webhook_url": "…uvwx"}


def test_a_channel_a_rule_sends_to_cannot_be_deleted(lite: Api) -> None:
    channel = lite.channel()
    rule = lite.rule(escalation=[{"after_minutes": 5, "channels": [channel["id"]]}])
    refused = lite.call("DELETE", f"/alert-channels/{channel['id']}")
    assert refused.status_code == 409 and "errors" in refused.text
    lite.ok("DELETE", f"/alert-rules/{rule['id']}", 204)
    lite.ok("DELETE", f"/alert-channels/{channel['id']}", 204)
    assert lite.call("GET", f"/alert-channels/{channel['id']}").status_code == 404


def test_tokens_scopes_and_teams(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    slug = server.project.slug
    writer = Api(server, server.admin_token(["alerts:read", "alerts:write"]))
    channel = writer.channel()
    rule = writer.rule()
    reads = [
        f"/projects/{slug}/alert-rules",
        f"/alert-rules/{rule['id']}",
        f"/alert-rules/{rule['id']}/firings",
        "/alert-channel-kinds",
        f"/projects/{slug}/alert-channels",
        f"/alert-channels/{channel['id']}",
        f"/projects/{slug}/alert-deliveries",
    ]
    writes = [
        ("POST", f"/projects/{slug}/alert-rules", {"name": "n", "condition": "new_issue"}),
        ("PUT", f"/alert-rules/{rule['id']}", {"enabled": False}),
        ("DELETE", f"/alert-rules/{rule['id']}", None),
        ("POST", f"/projects/{slug}/alert-channels", {"name": "n", "kind": "slack"}),
        ("PATCH", f"/alert-channels/{channel['id']}", {"name": "m"}),
        ("DELETE", f"/alert-channels/{channel['id']}", None),
        ("POST", f"/alert-channels/{channel['id']}/test", None),
    ]
    anonymous = httpx.Client(base_url=server.url + "/api/v1", timeout=10)
    for path in reads:
        assert anonymous.get(path).status_code == 401, path
    for method, path, body in writes:
        assert anonymous.request(method, path, json=body).status_code == 401, path
    anonymous.close()

    # project:read reads (as Sentry's project scopes do); neither it nor event:* writes.
    for scopes in (["project:read"], ["alerts:read"]):
        reader = Api(server, server.admin_token(scopes))
        for path in reads:
            reader.ok("GET", path)
        for method, path, body in writes:
            assert reader.call(method, path, json=body).status_code == 403, (scopes, path)
    events_only = Api(server, server.admin_token(["event:read", "event:write"]))
    for path in reads:
        assert events_only.call("GET", path).status_code == 403, path
    # project:write changes alerts too.
    admin = Api(server, server.admin_token(["project:read", "project:write"]))
    admin.ok("PUT", f"/alert-rules/{rule['id']}", json={"name": "renamed"})

    # A member of another team sees none of it: 404, never 403.
    add_user(server, "stranger@example.com", "admin", team="others")
    other_team_project(server)
    with write_transaction(server.engine) as conn:
        user = get_user_by_email(conn, "stranger@example.com")
        token = create_token(conn, user_id=user.id, scopes=["alerts:read", "alerts:write"])
    stranger = Api(server, token)
    for path in reads:
        if path != "/alert-channel-kinds":
            assert stranger.call("GET", path).status_code == 404, path
    for method, path, body in writes:
        assert stranger.call(method, path, json=body).status_code == 404, path
    assert writer.ok("GET", f"/alert-rules/{rule['id']}")["name"] == "renamed"
    assert writer.ok("GET", f"/alert-channels/{channel['id']}")["name"] == "ops-slack"


def test_send_test_notification_reaches_the_service_and_is_logged(lite: Api) -> None:
    with serve(FakeService(slack)) as fake:
        good = lite.channel("good", url=f"{fake.url}/services/T000/B000/secretsecretsecret")
        answer = lite.ok("POST", f"/alert-channels/{good['id']}/test")
        assert (answer["ok"], answer["status_code"]) == (True, 200)
        [request] = fake.requests
        validate_slack(request.json())
        assert "Test" in request.json()["text"]

        fake.fail(1, 404, b"no_service")
        failed = lite.ok("POST", f"/alert-channels/{good['id']}/test")
        assert (failed["ok"], failed["status_code"], failed["response"]) == (
            False,
            404,
            "no_service",
        )
    log = lite.ok("GET", f"/projects/{lite.slug}/alert-deliveries")["data"]
    assert [(d["kind"], d["status"], d["attempts"], d["status_code"]) for d in log] == [
        ("test", "failed", 1, 404),
        ("test", "sent", 1, 200),
    ]
    assert log[1]["sent_at"] is not None and log[0]["channel"]["name"] == "good"
    page = lite.ok("GET", f"/projects/{lite.slug}/alert-deliveries", params={"limit": 1})
    assert [d["status"] for d in page["data"]] == ["failed"]
    rest = lite.ok(
        "GET",
        f"/projects/{lite.slug}/alert-deliveries",
        params={"limit": 1, "cursor": page["next_cursor"]},
    )
    assert [d["status"] for d in rest["data"]] == ["sent"] and rest["next_cursor"] is None
    for text in lite.answers:
        assert "secretsecretsecret" not in text
