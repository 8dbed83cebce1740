"""Ticket channels against local GitHub, GitLab and Jira fakes that validate each request
and keep state: create with the issue's summary, link and report; comment when the alert
fires again; close on resolve; a test that creates nothing; every failure classified."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from faultbox import clock
from faultbox.alerts.channels import CHANNELS, DeliveryResult, DigestItem, Notification
from tests.fakes.services import FakeService, closed_port, serve, silent_port
from tests.fakes.tickets import GitHubFake, GitLabFake, JiraFake, github_rate_limited

GH_TOKEN = "ghp_s3cretTOKENvalue0123456789"
GL_TOKEN = "glpat-s3cretTOKENvalue"
JIRA_TOKEN = "ATATT3xs3cretTOKENvalue"
JIRA_EMAIL = "bot@acme.example"

REPORT = """# ERR-1A: ValueError: bad

- **Project:** shop
- **Status:** unresolved

## App frame

```python
raise ValueError("bad")
```

## Activity

No activity recorded.
"""


def make(kind: str = "trigger", **overrides: Any) -> Notification:
    base: dict[str, Any] = {
        "kind": kind,
        "title": "ERR-1A: ValueError: <bad> & worse",
        "text": "Errors above 10 per minute: 14 events in the last minute",
        "dedup_key": "faultbox-1-7-issue-123",
        "project": "shop",
        "short_id": "ERR-1A",
        "level": "error",
        "severity": "P1",
        "environment": "production",
        "event_count": 14,
        "url": "https://faultbox.example/issues/123",
        "report": REPORT,
    }
    base.update(overrides)
    return Notification(**base)


@dataclass
class Setup:
    kind: str
    service: FakeService
    fake: GitHubFake | GitLabFake | JiraFake
    config: dict[str, Any]
    secrets: dict[str, Any]

    def send(self, n: Notification, **config: Any) -> DeliveryResult:
        return CHANNELS[self.kind].send(n, {**self.config, **config}, self.secrets, timeout=3)

    def body_of(self, reference: str) -> str:
        """The ticket's body as text (Jira's ADF as its JSON)."""
        body = self.fake.tickets[reference].body
        return body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)

    def comments_of(self, reference: str) -> list[str]:
        return [
            c if isinstance(c, str) else json.dumps(c, ensure_ascii=False)
            for c in self.fake.tickets[reference].comments
        ]


@pytest.fixture(params=["github", "gitlab", "jira"])
def setup(request: pytest.FixtureRequest) -> Iterator[Setup]:
    kind: str = request.param
    fake: GitHubFake | GitLabFake | JiraFake
    if kind == "github":
        fake = GitHubFake(token=GH_TOKEN)
        with serve(FakeService(fake)) as s:
            yield Setup(
                kind, s, fake, {"repository": "acme/shop", "api_url": s.url}, {"token": GH_TOKEN}
            )
    elif kind == "gitlab":
        fake = GitLabFake(token=GL_TOKEN)
        with serve(FakeService(fake)) as s:
            yield Setup(
                kind, s, fake, {"project": "acme/shop", "base_url": s.url}, {"token": GL_TOKEN}
            )
    else:
        fake = JiraFake(email=JIRA_EMAIL, token=JIRA_TOKEN)
        with serve(FakeService(fake)) as s:
            config = {"base_url": s.url, "project_key": "OPS", "email": JIRA_EMAIL}
            yield Setup(kind, s, fake, config, {"api_token": JIRA_TOKEN})


def test_a_trigger_opens_a_ticket_with_summary_link_and_report(setup: Setup) -> None:
    result = setup.send(make(), labels="faultbox, prod alerts")
    assert result.ok, result.response
    assert result.reference and result.reference in setup.fake.tickets
    assert result.link.startswith(("https://", setup.service.url))
    ticket = setup.fake.tickets[result.reference]
    assert ticket.title == "ERR-1A: ValueError: <bad> & worse"
    assert ticket.state == ("To Do" if setup.kind == "jira" else "open")
    body = setup.body_of(result.reference)
    for expected in ("14 events in the last minute", "production", "P1", "App frame"):
        assert expected in body
    assert "https://faultbox.example/issues/123" in body
    code = 'raise ValueError(\\"bad\\")' if setup.kind == "jira" else 'raise ValueError("bad")'
    assert code in body
    assert ticket.labels == (
        ["faultbox", "prod-alerts"] if setup.kind == "jira" else ["faultbox", "prod alerts"]
    )


def test_a_trigger_for_an_open_ticket_comments_and_resolve_closes(setup: Setup) -> None:
    created = setup.send(make())
    again = setup.send(make(reference=created.reference, event_count=99))
    assert again.ok, again.response
    assert again.reference == created.reference
    assert len(setup.fake.tickets) == 1  # no second ticket
    [comment] = setup.comments_of(created.reference)
    assert "Fired again" in comment and "99" in comment
    ack = setup.send(make("acknowledge", reference=created.reference))
    assert ack.ok and "Acknowledged" in setup.comments_of(created.reference)[-1]
    resolved = setup.send(make("resolve", reference=created.reference))
    assert resolved.ok, resolved.response
    assert resolved.reference == created.reference
    ticket = setup.fake.tickets[created.reference]
    assert ticket.state == ("Done" if setup.kind == "jira" else "closed")
    if setup.kind == "github":
        assert ticket.state_reason == "completed"
        assert resolved.link == created.link
    if setup.kind == "jira":
        assert "Resolved in Faultbox" in setup.comments_of(created.reference)[-1]


def test_resolving_twice_is_fine(setup: Setup) -> None:
    created = setup.send(make())
    assert setup.send(make("resolve", reference=created.reference)).ok
    assert setup.send(make("resolve", reference=created.reference)).ok


def test_resolve_or_acknowledge_without_a_ticket_sends_nothing(setup: Setup) -> None:
    for kind in ("resolve", "acknowledge"):
        assert setup.send(make(kind)).ok
    assert setup.service.requests == []


def test_a_test_proves_credentials_and_target_without_a_ticket(setup: Setup) -> None:
    result = setup.send(make("test"))
    assert result.ok and result.status_code == 200
    assert setup.fake.tickets == {} and [r.method for r in setup.service.requests] == ["GET"]
    wrong = {"github": {"repository": "acme/other"}, "gitlab": {"project": "acme/other"}}
    failed = setup.send(make("test"), **wrong.get(setup.kind, {"project_key": "NOPE"}))
    assert failed.permanent and failed.status_code == 404


def test_wrong_credentials_are_permanent_and_the_secret_is_never_recorded(setup: Setup) -> None:
    secret_name = next(iter(setup.secrets))
    setup.secrets = {secret_name: "wrong-" + setup.secrets[secret_name]}
    result = setup.send(make())
    assert result.permanent and result.status_code == 401
    assert setup.secrets[secret_name] not in result.response
    with silent_port() as url:
        key = {"github": "api_url", "gitlab": "base_url", "jira": "base_url"}[setup.kind]
        slow = CHANNELS[setup.kind].send(
            make(), {**setup.config, key: url}, setup.secrets, timeout=0.3
        )
    assert slow.transient and "timeout" in slow.response
    assert setup.secrets[secret_name] not in slow.response
    if setup.kind == "jira":  # the Basic header's base64 is a secret too
        encoded = base64.b64encode(f"{JIRA_EMAIL}:{setup.secrets[secret_name]}".encode())
        assert encoded.decode() not in result.response + slow.response


def test_5xx_is_transient_then_the_retry_succeeds(setup: Setup) -> None:
    setup.service.fail(1, 502, b"<html>Bad gateway</html>")
    first = setup.send(make())
    assert first.transient and first.status_code == 502 and not first.reference
    second = setup.send(make())
    assert second.ok and second.reference
    assert len(setup.fake.tickets) == 1


def test_429_with_retry_after_is_transient_with_the_wait(setup: Setup) -> None:
    setup.service.fail(1, 429, b'{"message":"slow down"}', {"Retry-After": "30"})
    result = setup.send(make())
    assert result.transient and result.retry_after == 30.0


def test_a_validation_failure_is_permanent(setup: Setup) -> None:
    setup.service.fail(1, 422 if setup.kind == "github" else 400, b'{"message":"invalid"}')
    result = setup.send(make())
    assert result.permanent


def test_a_ticket_deleted_meanwhile_is_opened_again_when_the_alert_fires(setup: Setup) -> None:
    first = setup.send(make())
    gone = setup.fake.tickets.pop(first.reference)
    if isinstance(setup.fake, GitHubFake):
        setup.fake.deleted.add(gone.number)  # GitHub answers 410 Gone, the others 404
    again = setup.send(make(reference=first.reference))
    assert again.ok and again.reference not in ("", first.reference)
    assert list(setup.fake.tickets) == [again.reference]
    resolved = setup.send(make("resolve", reference=first.reference))
    assert resolved.permanent and resolved.status_code in (404, 410)


def test_connection_refused_is_transient(setup: Setup) -> None:
    key = {"github": "api_url", "gitlab": "base_url", "jira": "base_url"}[setup.kind]
    result = setup.send(make(), **{key: closed_port()})
    assert result.transient and "connection error" in result.response


def test_a_huge_report_is_cut_to_the_services_limit(setup: Setup) -> None:
    huge = REPORT + "\n".join(f"- line {i} " + "x" * 200 for i in range(10_000))
    result = setup.send(make(report=huge, text="t" * 50_000, title="T" * 5000))
    assert result.ok, result.response
    body = setup.body_of(result.reference)
    assert "cut to fit" in body
    assert "https://faultbox.example/issues/123" in body  # the link survives the cut


@pytest.fixture
def pinned_clock() -> Iterator[float]:
    clock.pin(1_800_000_000.0)
    try:
        yield 1_800_000_000.0
    finally:
        clock.pin(None)


def test_github_primary_rate_limit_waits_until_the_reset(pinned_clock: float) -> None:
    fake = GitHubFake(token=GH_TOKEN)
    with serve(FakeService(fake)) as s:
        s.fail(1, *github_rate_limited(reset_at=1_800_000_090))
        result = CHANNELS["github"].send(
            make(), {"repository": "acme/shop", "api_url": s.url}, {"token": GH_TOKEN}
        )
        assert result.transient and result.status_code == 403
        assert result.retry_after == 90.0
        s.fail(1, 403, b'{"message":"You have exceeded a secondary rate limit."}')
        secondary = CHANNELS["github"].send(
            make(), {"repository": "acme/shop", "api_url": s.url}, {"token": GH_TOKEN}
        )
        assert secondary.transient and secondary.retry_after == 60.0
        s.fail(1, 403, b'{"message":"Resource not accessible by personal access token"}')
        forbidden = CHANNELS["github"].send(
            make(), {"repository": "acme/shop", "api_url": s.url}, {"token": GH_TOKEN}
        )
        assert forbidden.permanent
    assert [r.headers["x-github-api-version"] for r in s.requests] == ["2022-11-28"] * 3


def test_github_redirect_is_not_followed() -> None:
    fake = GitHubFake(token=GH_TOKEN)
    with serve(FakeService(fake)) as s:
        s.fail(1, 301, b"", {"Location": "https://elsewhere.example/"})
        result = CHANNELS["github"].send(
            make(), {"repository": "acme/shop", "api_url": s.url}, {"token": GH_TOKEN}
        )
    assert result.permanent and result.status_code == 301 and len(s.requests) == 1


def test_gitlab_encodes_the_project_path_and_takes_a_numeric_id() -> None:
    fake = GitLabFake(token=GL_TOKEN, project="group/sub/shop", project_id=42)
    with serve(FakeService(fake)) as s:
        by_path = CHANNELS["gitlab"].send(
            make(), {"project": "group/sub/shop", "base_url": s.url}, {"token": GL_TOKEN}
        )
        by_id = CHANNELS["gitlab"].send(
            make(), {"project": "42", "base_url": s.url}, {"token": GL_TOKEN}
        )
    assert by_path.ok and by_id.ok
    assert s.requests[0].path == "/api/v4/projects/group%2Fsub%2Fshop/issues"
    assert by_path.link.endswith("/group/sub/shop/-/issues/1")


def test_jira_without_a_done_transition_is_permanent_and_already_done_is_fine() -> None:
    fake = JiraFake(email=JIRA_EMAIL, token=JIRA_TOKEN, has_done_transition=False)
    with serve(FakeService(fake)) as s:
        config = {
            "base_url": s.url,
            "project_key": "OPS",
            "email": JIRA_EMAIL,
            "issue_type": "Task",
        }
        secrets = {"api_token": JIRA_TOKEN}
        created = CHANNELS["jira"].send(make(), config, secrets)
        stuck = CHANNELS["jira"].send(make("resolve", reference=created.reference), config, secrets)
        assert stuck.permanent and "done status" in stuck.response
        fake.tickets[created.reference].state = "Done"  # someone closed it by hand
        done = CHANNELS["jira"].send(make("resolve", reference=created.reference), config, secrets)
    assert done.ok and created.link == f"{s.url}/browse/OPS-1"
    assert s.requests[0].json()["fields"]["issuetype"] == {"name": "Task"}


def test_jira_refuses_an_unknown_issue_type_permanently() -> None:
    fake = JiraFake(email=JIRA_EMAIL, token=JIRA_TOKEN)
    with serve(FakeService(fake)) as s:
        config = {
            "base_url": s.url,
            "project_key": "OPS",
            "email": JIRA_EMAIL,
            "issue_type": "Epic",
        }
        result = CHANNELS["jira"].send(make(), config, {"api_token": JIRA_TOKEN})
    assert result.permanent and result.status_code == 400 and "issuetype" in result.response


def test_hostile_event_text_stays_text(setup: Setup) -> None:
    title = "@everyone [click](https://evil.example) <script>x</script>\n# heading"
    result = setup.send(make(title=title, text=title, culprit="@org/team"))
    assert result.ok, result.response
    body = setup.body_of(result.reference)
    ticket_title = setup.fake.tickets[result.reference].title
    assert "\n" not in ticket_title
    if setup.kind == "jira":  # text nodes only: the one link is ours
        hrefs = [
            m["attrs"]["href"]
            for m in _marks(setup.fake.tickets[result.reference].body)
            if m["type"] == "link"
        ]
        assert hrefs == ["https://faultbox.example/issues/123"]
    else:
        assert "[click](https" not in body and "<script>" not in body
        assert "@everyone" not in body and "@org" not in body  # no mentions


def _marks(node: Any) -> list[dict[str, Any]]:
    found = list(node.get("marks", [])) if isinstance(node, dict) else []
    for child in node.get("content", []) if isinstance(node, dict) else []:
        found += _marks(child)
    return found


# -- the fakes refuse what the services refuse (so their acceptance above means something)


def test_the_github_fake_refuses_bad_requests() -> None:
    fake = GitHubFake(token=GH_TOKEN)
    headers = {
        "Authorization": f"Bearer {GH_TOKEN}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    with serve(FakeService(fake)) as s:
        url = f"{s.url}/repos/acme/shop/issues"
        assert httpx.post(url, json={"title": "x"}, headers=headers).status_code == 201
        assert httpx.post(url, json={"body": "no title"}, headers=headers).status_code == 422
        assert httpx.post(url, json={"title": "t" * 257}, headers=headers).status_code == 422
        big = {"title": "x", "body": "b" * 65537}
        assert httpx.post(url, json=big, headers=headers).status_code == 422
        no_version = {k: v for k, v in headers.items() if k != "X-GitHub-Api-Version"}
        assert httpx.post(url, json={"title": "x"}, headers=no_version).status_code == 400
        assert httpx.post(url, json={"title": "x"}).status_code == 401
    assert len(fake.tickets) == 1


def test_the_gitlab_fake_refuses_bad_requests() -> None:
    fake = GitLabFake(token=GL_TOKEN)
    headers = {"PRIVATE-TOKEN": GL_TOKEN}
    with serve(FakeService(fake)) as s:
        raw = f"{s.url}/api/v4/projects/acme/shop/issues"  # path not encoded
        assert httpx.post(raw, json={"title": "x"}, headers=headers).status_code == 404
        url = f"{s.url}/api/v4/projects/acme%2Fshop/issues"
        assert httpx.post(url, json={"title": "x" * 256}, headers=headers).status_code == 400
        big = {"title": "x", "description": "d" * 1_048_577}
        assert httpx.post(url, json=big, headers=headers).status_code == 400
        assert httpx.post(url, json={}, headers=headers).status_code == 400
        assert httpx.post(url, json={"title": "x"}).status_code == 401
    assert fake.tickets == {}


@pytest.mark.parametrize(
    "description",
    [
        "plain text, as in API v2",
        {"type": "doc", "version": 2, "content": []},
        {"type": "doc", "version": 1, "content": [{"type": "text", "text": "inline at top"}]},
        {
            "type": "doc",
            "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": ""}]}],
        },
        {"type": "doc", "version": 1, "content": [{"type": "heading", "content": []}]},
        {"type": "doc", "version": 1, "content": [{"type": "bulletList", "content": []}]},
        {
            "type": "doc",
            "version": 1,
            "content": [
                {
                    "type": "codeBlock",
                    "content": [{"type": "text", "text": "x", "marks": [{"type": "strong"}]}],
                }
            ],
        },
        {
            "type": "doc",
            "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": "x" * 33000}]}],
        },
    ],
)
def test_the_jira_fake_refuses_what_is_not_adf(description: Any) -> None:
    fake = JiraFake(email=JIRA_EMAIL, token=JIRA_TOKEN)
    fields = {
        "project": {"key": "OPS"},
        "issuetype": {"name": "Bug"},
        "summary": "s",
        "description": description,
    }
    assert "description" in fake.validate_create({"fields": fields})
    ok = {**fields, "description": {"type": "doc", "version": 1, "content": []}}
    assert fake.validate_create({"fields": ok}) == {}
    assert "summary" in fake.validate_create({"fields": {**ok, "summary": "a\nb"}})


def test_a_storm_ticket_lists_its_issues(setup: Setup) -> None:
    items = tuple(
        DigestItem(
            title=f"KeyError {i} [x](y)",
            url=f"https://faultbox.example/issues/{i}",
            short_id=f"ERR-{i}",
            event_count=i,
        )
        for i in range(1, 4)
    )
    result = setup.send(make(title="3 alerts in shop", items=items, report=""))
    assert result.ok, result.response
    body = setup.body_of(result.reference)
    for i in range(1, 4):
        assert f"https://faultbox.example/issues/{i}" in body and f"ERR-{i}" in body


def test_a_secret_echoed_by_the_service_is_blanked_in_the_record(setup: Setup) -> None:
    [secret] = setup.secrets.values()
    # What the channel sent as its credential: the token, or Jira's Basic email:token.
    sent = secret
    if setup.kind == "jira":
        sent = base64.b64encode(f"{JIRA_EMAIL}:{secret}".encode()).decode()
    setup.service.fail(1, 500, f"bad header Authorization: {sent} / {secret}".encode())
    result = setup.send(make())
    assert result.transient and "[redacted]" in result.response
    assert secret not in result.response and sent not in result.response


def test_a_trigger_for_a_closed_ticket_reopens_it(setup: Setup) -> None:
    created = setup.send(make())
    assert setup.send(make("resolve", reference=created.reference)).ok
    reopened = setup.send(make(reference=created.reference, reopen=True))
    assert reopened.ok, reopened.response
    assert reopened.reference == created.reference and len(setup.fake.tickets) == 1
    ticket = setup.fake.tickets[created.reference]
    assert ticket.state == ("To Do" if setup.kind == "jira" else "open")
    if setup.kind == "github":
        assert ticket.state_reason == "reopened"
    assert "reopened by Faultbox" in setup.comments_of(created.reference)[-1]
    # Reopened by hand already: left as it is, and the comment still comes.
    again = setup.send(make(reference=created.reference, reopen=True))
    assert again.ok and len(setup.comments_of(created.reference)) == 2 + (setup.kind == "jira")
    assert ticket.state == ("To Do" if setup.kind == "jira" else "open")
