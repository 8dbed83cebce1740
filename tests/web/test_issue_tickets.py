"""The way back from an issue to its tickets: the API's issue detail lists them
(provider, reference, url, state), the issue page links them, the report names them;
a link the service answered with that is not http(s) is never rendered."""

from __future__ import annotations

import uuid
from typing import Any

from faultbox.alerts import channel_admin
from faultbox.store import issue_tickets
from faultbox.store.db import write_transaction
from tests.support import LiveServer
from tests.web.admin_client import admin, close_browsers, person, sign_in  # noqa: F401

SECRET = "tickets-test-secret-key-0123456789abcdef"


def _issue_with_tickets(server: LiveServer) -> dict[str, Any]:
    server.send_event(
        uuid.uuid4().hex,
        {"platform": "python", "level": "error", "message": "checkout failed"},
    )
    server.wait_events(1)
    [issue] = server.issues()
    with write_transaction(server.engine) as conn:
        for kind, config, secrets, reference, url, state in (
            ("github", {"repository": "acme/shop"}, {"token": "t"}, "12",
             "https://github.com/acme/shop/issues/12", "open"),
            ("jira", {"base_url": "https://acme.atlassian.net", "project_key": "OPS",
                      "email": "bot@acme.example"}, {"api_token": "t"}, "OPS-7",
             "javascript:alert(1)", "closed"),
        ):  # fmt: skip
            channel_id = channel_admin.create(
                conn, SECRET, project_id=server.project.id, name=f"{kind} tickets", kind=kind,
                config=config, secrets=secrets, now=0.0, role="ticket",
            )  # fmt: skip
            issue_tickets.record_ticket(
                conn, issue_id=int(issue["id"]), channel_id=channel_id, provider=kind,
                reference=reference, url=url, state=state, now=1_800_000_000.0,
            )  # fmt: skip
    return issue


def test_the_issue_detail_lists_its_tickets(live_server: LiveServer) -> None:
    issue = _issue_with_tickets(live_server)
    detail = live_server.api_json(f"/api/v1/issues/{issue['id']}")
    tickets = [
        {k: t[k] for k in ("provider", "reference", "url", "state")} for t in detail["tickets"]
    ]
    assert tickets == [
        {"provider": "github", "reference": "12", "url": "https://github.com/acme/shop/issues/12",
         "state": "open"},
        {"provider": "jira", "reference": "OPS-7", "url": "", "state": "closed"},
    ]  # fmt: skip
    assert detail["tickets"][0]["channel"] == "github tickets"


def test_the_issue_page_links_its_tickets(live_server: LiveServer) -> None:
    issue = _issue_with_tickets(live_server)
    html = admin(live_server).get(f"/issues/{issue['id']}").text
    assert 'id="tickets"' in html
    assert '<a href="https://github.com/acme/shop/issues/12"' in html and "GitHub #12" in html
    assert 'data-ticket="jira:OPS-7"' in html and "Jira OPS-7" in html
    assert "javascript:alert" not in html  # the service's odd link is not rendered


def test_the_report_names_its_tickets(live_server: LiveServer) -> None:
    issue = _issue_with_tickets(live_server)
    report = live_server.api_json(f"/api/v1/issues/{issue['id']}/report")
    assert [(t["provider"], t["state"]) for t in report["tickets"]] == [
        ("github", "open"),
        ("jira", "closed"),
    ]
    markdown = live_server.api(f"/api/v1/issues/{issue['id']}/report", format="markdown").text
    section = markdown.split("## Tickets", 1)[1].split("##", 1)[0]
    assert "[GitHub 12](<https://github.com/acme/shop/issues/12>): open" in section
    assert "- Jira OPS-7: closed" in section and "javascript" not in section
