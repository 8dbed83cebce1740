"""/deadletters end to end: who sees which letters, the payload shown escaped and cut
short, retry for admins only (403 for a viewer, CSRF required), pagination."""

from __future__ import annotations

import re

import orjson

from faultbox.store.db import read_connection, write_transaction
from faultbox.store.deadletter import DeadLetter, add_dead_letters, list_dead_letters
from tests.support import LiveServer
from tests.web._signin import PASSWORD, add_user, csrf_of, other_team_project, sign_in

HOSTILE = b'{"message": "<script>alert(1)</script>", "extra": {"x": "</pre><b>hi</b>"}}'


def _letter(project_id: int | None, payload: bytes = HOSTILE, **kw: object) -> DeadLetter:
    values: dict[str, object] = {
        "project_id": project_id,
        "event_id": "ab" * 16,
        "kind": "sentry_event",
        "payload": payload,
        "meta": {"client_ip": "10.0.0.1", "user_agent": "<script>ua</script>"},
        "reason": "not an event: <b>bad</b>",
        "attempts": 3,
    }
    values.update(kw)
    return DeadLetter(**values)  # type: ignore[arg-type]


def _ids(server: LiveServer) -> dict[str, int]:
    hidden = other_team_project(server)
    with write_transaction(server.engine) as conn:
        add_dead_letters(conn, [_letter(server.project.id)])
        add_dead_letters(conn, [_letter(hidden.id, reason="other team")])
        add_dead_letters(conn, [_letter(None, reason="no project")])
    with read_connection(server.engine) as conn:
        rows = list_dead_letters(conn)
    by_reason = {str(r["reason"]): int(r["id"]) for r in rows}  # type: ignore[call-overload]
    return {
        "mine": by_reason["not an event: <b>bad</b>"],
        "other": by_reason["other team"],
        "none": by_reason["no project"],
    }


def _rows(html: str) -> int:
    return html.count("data-deadletter-row")


def test_viewer_sees_own_letters_without_retry(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    ids = _ids(server)
    add_user(server, "viewer@example.com", "viewer")
    with sign_in(server, "viewer@example.com", PASSWORD) as client:
        page = client.get("/deadletters")
        assert page.status_code == 200
        assert _rows(page.text) == 1 and "data-retry" not in page.text
        assert "other team" not in page.text and "no project" not in page.text
        assert "&lt;b&gt;bad&lt;/b&gt;" in page.text and "<b>bad</b>" not in page.text
        detail = client.get(f"/deadletters/{ids['mine']}")
        assert detail.status_code == 200 and "data-retry" not in detail.text
        token = csrf_of(page.text)
        refused = client.post(f"/deadletters/{ids['mine']}/retry", data={"csrf_token": token})
        assert refused.status_code == 403
        for hidden in ("other", "none"):
            assert client.get(f"/deadletters/{ids[hidden]}").status_code == 404
            answer = client.post(f"/deadletters/{ids[hidden]}/retry", data={"csrf_token": token})
            assert answer.status_code == 404
        assert client.get("/deadletters/999999").status_code == 404
        assert client.get("/deadletters/99999999999999999999").status_code in (404, 422)
    with read_connection(server.engine) as conn:
        assert len(list_dead_letters(conn)) == 3  # nothing was retried


def test_superuser_sees_all_and_payload_is_escaped(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    ids = _ids(server)
    with sign_in(server) as client:
        page = client.get("/deadletters")
        assert _rows(page.text) == 3 and page.text.count("data-retry") == 3
        detail = client.get(f"/deadletters/{ids['none']}")
        assert detail.status_code == 200
        text = detail.text
        assert "<script>alert(1)" not in text and "<script>ua" not in text
        assert "</pre><b>hi</b>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "&lt;script&gt;ua&lt;/script&gt;" in text and "10.0.0.1" in text
        # htmx "Details" expands in place: a fragment, not a page.
        fragment = client.get(f"/deadletters/{ids['mine']}", headers={"hx-request": "true"})
        assert fragment.status_code == 200
        assert "data-deadletter-detail" in fragment.text and "<html" not in fragment.text


def test_oversized_and_binary_payloads(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    big = orjson.dumps({"message": "<i>" + "x" * 2_000_000 + "</i>"})
    with write_transaction(server.engine) as conn:
        add_dead_letters(conn, [_letter(server.project.id, payload=big, reason="big")])
        add_dead_letters(
            conn, [_letter(server.project.id, payload=b"\x00\xff<svg onload=x>", reason="bin")]
        )
    with read_connection(server.engine) as conn:
        ids = {str(r["reason"]): r["id"] for r in list_dead_letters(conn)}
    with sign_in(server) as client:
        detail = client.get(f"/deadletters/{ids['big']}")
        assert detail.status_code == 200 and "shown cut short" in detail.text
        assert len(detail.text) < 100_000 and "<i>" not in detail.text
        binary = client.get(f"/deadletters/{ids['bin']}")
        assert binary.status_code == 200 and "<svg onload" not in binary.text
        assert "&lt;svg onload=x&gt;" in binary.text


def test_admin_retries(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    ids = _ids(server)
    add_user(server, "admin2@example.com", "admin")
    add_user(server, "member@example.com", "member")
    with sign_in(server, "member@example.com", PASSWORD) as member:
        page = member.get("/deadletters")
        assert "data-retry" not in page.text  # project:write is admin and owner only
        answer = member.post(
            f"/deadletters/{ids['mine']}/retry", data={"csrf_token": csrf_of(page.text)}
        )
        assert answer.status_code == 403
    with sign_in(server, "admin2@example.com", PASSWORD) as client:
        page = client.get("/deadletters")
        assert _rows(page.text) == 1 and page.text.count("data-retry") == 1
        no_token = client.post(f"/deadletters/{ids['mine']}/retry")
        assert no_token.status_code == 403
        wrong = client.post(f"/deadletters/{ids['mine']}/retry", data={"csrf_token": "forged"})
        assert wrong.status_code == 403
        done = client.post(
            f"/deadletters/{ids['mine']}/retry", data={"csrf_token": csrf_of(page.text)}
        )
        assert done.status_code == 303
        assert done.headers["location"] == f"/deadletters?retried={ids['mine']}"
        after = client.get(done.headers["location"])
        assert f"Dead letter {ids['mine']} queued again" in after.text
        assert f'href="/deadletters/{ids["mine"]}"' not in after.text
        # A second retry of the same letter (a double click) finds nothing.
        again = client.post(
            f"/deadletters/{ids['mine']}/retry", data={"csrf_token": csrf_of(page.text)}
        )
        assert again.status_code == 404
        # The admin of the default team may not retry another team's or no project's letter.
        for hidden in ("other", "none"):
            answer = client.post(
                f"/deadletters/{ids[hidden]}/retry", data={"csrf_token": csrf_of(page.text)}
            )
            assert answer.status_code == 404


def test_pagination(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    with write_transaction(server.engine) as conn:
        add_dead_letters(
            conn, [_letter(server.project.id, reason=f"reason {n}") for n in range(60)]
        )
    with sign_in(server) as client:
        first = client.get("/deadletters")
        assert _rows(first.text) == 50
        older = re.search(r'href="(/deadletters\?before=\d+)">Older', first.text)
        assert older
        second = client.get(older.group(1))
        assert _rows(second.text) == 10 and "Older" not in second.text
        assert client.get("/deadletters?before=0").status_code == 422
        assert client.get("/deadletters?before=abc").status_code == 422
        assert _rows(client.get("/deadletters?before=1").text) == 0
