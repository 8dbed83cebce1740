"""Incidents on the dashboard, end to end: the project's list and one incident with
its timeline; acknowledge and resolve buttons for members (CSRF, roles, teams); the
signed link (GET changes nothing, POST acknowledges without signing in; tampered,
expired and other servers' links refused); the issue page and its report."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from faultbox import clock
from faultbox.alerts import ack_links, incidents
from faultbox.store.db import write_transaction
from tests.integration.alerts.incident_support import Paging, quiet_server
from tests.integration.alerts.rules_support import DAY, T0
from tests.support import LiveServer
from tests.web._signin import PASSWORD, add_user, csrf_of, other_team_project, sign_in

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    clock.pin(T0)
    with quiet_server(tmp_path, f"sqlite:///{tmp_path / 'faultbox.sqlite3'}") as live:
        yield live
    clock.pin(None)


def _paging(server: LiveServer) -> Paging:
    return Paging(server.engine, server.project.id, secret=server.settings.secret_key.value)


def _link(server: LiveServer, incident_id: int, at: float = T0, secret: str = "") -> str:
    key = secret or server.settings.secret_key.value
    return ack_links.url_for(server.url, key, incident_id, at).removeprefix(server.url)


def _status(server: LiveServer, incident_id: int) -> str:
    return _paging(server).incident(incident_id).status


def test_list_and_detail_with_timeline_escaped(server: LiveServer) -> None:
    paging = _paging(server)
    chat = paging.channel("team chat")
    issue = paging.issue(HOSTILE)
    first = paging.open_page(issue, [chat], T0 - 3600, title=HOSTILE)
    second = paging.open_page(paging.issue("second"), [], T0)
    with write_transaction(server.engine) as conn:
        incidents.acknowledge(conn, first, now=T0 - 1800, via="link")
    slug = server.project.slug
    with sign_in(server) as client:
        page = client.get(f"/projects/{slug}/incidents")
        assert page.status_code == 200, page.text
        rows = re.findall(r'data-incident-row="(\d+)"', page.text)
        assert rows == [str(second), str(first)]
        assert HOSTILE not in page.text and "&lt;img src=x" in page.text
        assert "via a link" in page.text  # acknowledged by a link, no person
        assert re.search(r'href="/projects/[^"]+/incidents" class="active">Incidents', page.text)
        opened = client.get(f"/projects/{slug}/incidents", params={"status": "open"})
        assert re.findall(r'data-incident-row="(\d+)"', opened.text) == [str(second)]
        assert client.get(f"/projects/{slug}/incidents", params={"status": "x"}).status_code == 400
        bad = client.get(f"/projects/{slug}/incidents", params={"cursor": "nope"})
        assert bad.status_code == 400
        detail = client.get(f"/incidents/{first}")
        assert detail.status_code == 200
        kinds = re.findall(r'data-event-kind="([^"]+)"', detail.text)
        assert kinds == ["opened", "acknowledged"]
        assert "acknowledged via link" in detail.text
        assert "data-acknowledge-button" not in detail.text  # already acknowledged
        assert "data-resolve" in detail.text
        assert client.get("/incidents/999999").status_code == 404


def test_members_acknowledge_and_resolve_with_csrf(server: LiveServer) -> None:
    paging = _paging(server)
    chat = paging.channel("team chat")
    incident_id = paging.open_page(paging.issue(), [chat], T0)
    with sign_in(server) as client:
        detail = client.get(f"/incidents/{incident_id}")
        assert "data-acknowledge-button" in detail.text
        token = csrf_of(detail.text)
        refused = client.post(f"/incidents/{incident_id}/acknowledge", data={})
        assert refused.status_code == 403
        assert _status(server, incident_id) == "open"
        done = client.post(f"/incidents/{incident_id}/acknowledge", data={"csrf_token": token})
        assert done.status_code == 303 and done.headers["location"] == f"/incidents/{incident_id}"
        assert _status(server, incident_id) == "acknowledged"
        shown = client.get(f"/incidents/{incident_id}").text
        assert "acknowledged by admin@example.com via dashboard" in shown
        again = client.post(f"/incidents/{incident_id}/acknowledge", data={"csrf_token": token})
        assert again.status_code == 303
        assert len(paging.deliveries(kind="acknowledge")) == 1
        resolved = client.post(f"/incidents/{incident_id}/resolve", data={"csrf_token": token})
        assert resolved.status_code == 303
        assert _status(server, incident_id) == "resolved"
        late = client.post(f"/incidents/{incident_id}/acknowledge", data={"csrf_token": token})
        assert late.status_code == 409
        assert "data-incident-actions" not in client.get(f"/incidents/{incident_id}").text


def test_viewers_look_and_other_teams_see_nothing(server: LiveServer) -> None:
    paging = _paging(server)
    issue = paging.issue()
    incident_id = paging.open_page(issue, [], T0)
    foreign = Paging(server.engine, other_team_project(server).id)
    foreign_id = foreign.open_page(foreign.issue(), [], T0)
    add_user(server, "viewer@example.com", "viewer")
    with sign_in(server, "viewer@example.com", PASSWORD) as client:
        detail = client.get(f"/incidents/{incident_id}")
        assert detail.status_code == 200 and "data-incident-actions" not in detail.text
        token = csrf_of(detail.text)
        post = client.post(f"/incidents/{incident_id}/acknowledge", data={"csrf_token": token})
        assert post.status_code == 403
        assert client.get(f"/incidents/{foreign_id}").status_code == 404
        issue_page = client.get(f"/issues/{issue}")
        assert f'data-issue-incident="{incident_id}"' in issue_page.text
        assert "data-incident-actions" not in issue_page.text
        assert client.get("/projects/secret-shop/incidents").status_code == 404
        post = client.post(f"/incidents/{foreign_id}/resolve", data={"csrf_token": token})
        assert post.status_code == 404
    assert _status(server, incident_id) == "open"
    assert foreign.incident(foreign_id).status == "open"
    with httpx.Client(base_url=server.url, timeout=20) as anonymous:
        page = anonymous.get(f"/incidents/{incident_id}")
        assert page.status_code == 303 and page.headers["location"].startswith("/login")


# -- the signed link ------------------------------------------------------------------


def test_the_link_shows_a_button_and_only_its_post_acknowledges(server: LiveServer) -> None:
    paging = _paging(server)
    chat = paging.channel("team chat")
    incident_id = paging.open_page(paging.issue(), [chat], T0, title=HOSTILE)
    path = _link(server, incident_id)
    before = paging.deliveries()
    with httpx.Client(base_url=server.url, timeout=20) as anonymous:
        for _ in range(3):  # an unfurler, a mail scanner, the person
            page = anonymous.get(path)
            assert page.status_code == 200
            assert "data-ack-form" in page.text and f'action="{path}"' in page.text
            assert HOSTILE not in page.text and "&lt;img src=x" in page.text
        assert anonymous.head(path).status_code in (200, 405)
        assert _status(server, incident_id) == "open"
        assert paging.deliveries() == before
        done = anonymous.post(path)
        assert done.status_code == 200
        assert 'data-ack-state="done"' in done.text
        assert _status(server, incident_id) == "acknowledged"
        again = anonymous.post(path)
        assert again.status_code == 200 and 'data-ack-state="acknowledged"' in again.text
        shown = anonymous.get(path)
        assert "data-ack-form" not in shown.text and "already acknowledged" in shown.text
    assert len(paging.deliveries(kind="acknowledge")) == 1
    assert paging.timeline(incident_id)[-1]["detail"] == "acknowledged via link"


def test_a_signed_in_member_following_the_link_is_named(server: LiveServer) -> None:
    paging = _paging(server)
    incident_id = paging.open_page(paging.issue(), [], T0)
    with sign_in(server) as client:
        done = client.post(_link(server, incident_id))
        assert done.status_code == 200
    assert paging.timeline(incident_id)[-1]["detail"] == (
        "acknowledged by admin@example.com via link"
    )


@pytest.mark.parametrize("change", ["id", "signature", "other-secret", "garbage", "long"])
def test_bad_links_are_refused_with_400(server: LiveServer, change: str) -> None:
    paging = _paging(server)
    incident_id = paging.open_page(paging.issue(), [], T0)
    other = paging.open_page(paging.issue(), [], T0)
    path = _link(server, incident_id)
    bad = {
        "id": path.replace(f"v1.{incident_id}.", f"v1.{other}."),
        "signature": path[:-1] + ("A" if path[-1] != "A" else "B"),
        "other-secret": _link(server, incident_id, secret="another-server"),
        "garbage": "/alerts/ack/hello",
        "long": "/alerts/ack/" + "v1." * 500,
    }[change]
    with httpx.Client(base_url=server.url, timeout=20, headers={"accept": "text/html"}) as c:
        for method in ("GET", "POST"):
            answer = c.request(method, bad)
            assert answer.status_code == 400, answer.text
            assert 'data-ack-state="bad"' in answer.text
            assert "data-ack-form" not in answer.text
    assert _status(server, incident_id) == _status(server, other) == "open"


def test_an_expired_link_is_refused_with_410(server: LiveServer) -> None:
    paging = _paging(server)
    incident_id = paging.open_page(paging.issue(), [], T0)
    path = _link(server, incident_id, at=T0 - 7 * DAY - 1)
    with httpx.Client(base_url=server.url, timeout=20) as anonymous:
        for method in ("GET", "POST"):
            answer = anonymous.request(method, path)
            assert answer.status_code == 410
            assert "expired" in answer.text and "data-ack-form" not in answer.text
    assert _status(server, incident_id) == "open"
    fresh = _link(server, incident_id, at=T0 - 7 * DAY)  # exactly seven days: still good
    with httpx.Client(base_url=server.url, timeout=20) as anonymous:
        assert anonymous.post(fresh).status_code == 200
    assert _status(server, incident_id) == "acknowledged"


def test_the_link_keeps_the_origin_check_and_refuses_resolved(server: LiveServer) -> None:
    paging = _paging(server)
    incident_id = paging.open_page(paging.issue(), [], T0)
    path = _link(server, incident_id)
    with httpx.Client(base_url=server.url, timeout=20) as c:
        cross = c.post(path, headers={"origin": "https://evil.example"})
        assert cross.status_code == 403
        assert _status(server, incident_id) == "open"
        with write_transaction(server.engine) as conn:
            incidents.resolve(conn, incident_id, now=T0)
        late = c.post(path)
        assert late.status_code == 409 and "already resolved" in late.text
        assert "data-ack-form" not in c.get(path).text
    assert paging.deliveries(kind="acknowledge") == []


# -- the issue page and its report ------------------------------------------------------


def test_issue_page_and_report_show_the_incidents(server: LiveServer) -> None:
    paging = _paging(server)
    chat = paging.channel("team chat")
    issue = paging.issue()
    incident_id = paging.open_page(issue, [chat], T0)
    with write_transaction(server.engine) as conn:
        incidents.note_delivery(conn, incident_id, chat, "paged", "team chat (slack)", T0)
    with sign_in(server) as client:
        token = csrf_of(client.get(f"/incidents/{incident_id}").text)
        client.post(f"/incidents/{incident_id}/acknowledge", data={"csrf_token": token})
        page = client.get(f"/issues/{issue}")
        assert page.status_code == 200, page.text
        section = page.text[page.text.index('id="incidents"') :]
        assert f'data-issue-incident="{incident_id}"' in section
        assert re.findall(r'data-event-kind="([^"]+)"', section)[:3] == [
            "opened",
            "paged",
            "acknowledged",
        ]
        assert "by admin@example.com" in section
        # Acknowledged already: only Resolve is left, posting to the incident.
        assert f'action="/incidents/{incident_id}/resolve"' in section
        assert "data-acknowledge-button" not in section
        report = client.get(f"/issues/{issue}/report")
        assert report.status_code == 200 and "Incidents</h2>" in report.text
    markdown = server.api(f"/api/v1/issues/{issue}/report", format="markdown").text
    assert "## Incidents" in markdown
    assert f"### Incident {incident_id} (P1, acknowledged)" in markdown
    assert "- Paged: team chat" in markdown
    assert "by admin@example.com" in markdown
    data = server.api_json(f"/api/v1/issues/{issue}/report")
    [shown] = data["incidents"]
    assert shown["paged"] == ["team chat"]
    assert [e["kind"] for e in shown["timeline"]] == ["opened", "paged", "acknowledged"]
    empty = server.api(f"/api/v1/issues/{paging.issue()}/report", format="markdown").text
    assert "It never paged anyone." in empty
