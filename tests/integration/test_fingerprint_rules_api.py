"""Server-side fingerprint rules: edit through the API, preview with a dry run, apply."""

from __future__ import annotations

import httpx

from tests.support import LiveServer

RULE = "error.type:ConnectionError module:app.db.* -> database-connection"


def _send(server: LiveServer, n: int, module: str, function: str) -> None:
    server.send_event(
        f"{n:032x}",
        {
            "platform": "python",
            "exception": {
                "values": [
                    {
                        "type": "ConnectionError",
                        "value": f"refused #{n}",
                        "stacktrace": {
                            "frames": [
                                {"module": "app.api", "function": "handle", "in_app": True},
                                {"module": module, "function": function, "in_app": True},
                            ]
                        },
                    }
                ]
            },
        },
    )


def test_rules_are_validated_previewed_and_applied(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    _send(server, 1, "app.db.pool", "connect")
    _send(server, 2, "app.db.replica", "open_replica")
    _send(server, 3, "app.cache", "connect")
    server.wait_events(3)
    assert len(server.issues()) == 3

    writer = server.admin_token(["project:read", "project:write"])
    url = f"{server.url}/api/v1/projects/{server.project.slug}/fingerprint-rules"
    reader = {"Authorization": f"Bearer {server.token}"}
    editor = {"Authorization": f"Bearer {writer}"}
    assert httpx.get(url, headers=reader).json() == {"rules": "", "parsed": []}
    assert httpx.put(url, headers=reader, json={"rules": RULE}).status_code == 403

    bad = httpx.put(url, headers=editor, json={"rules": "# fine\nmodle:app.* -> x"})
    assert bad.status_code == 400
    assert "line 2" in bad.json()["detail"] and "unknown matcher" in bad.json()["detail"]

    preview = httpx.post(url + "/dry-run", headers=reader, json={"rules": RULE}).json()
    assert preview["issues_checked"] == 3
    moved = {c["title"]: c for c in preview["would_change"]}
    assert set(moved) == {"ConnectionError: refused #1", "ConnectionError: refused #2"}
    first = moved["ConnectionError: refused #1"]
    assert first["rule"] == RULE and "fingerprint:database-connection" in first["new_components"]
    assert first["grouped_with"] == [moved["ConnectionError: refused #2"]["issue_id"]]
    assert len(server.issues()) == 3  # a dry run changes nothing

    saved = httpx.put(url, headers=editor, json={"rules": "# db errors\n" + RULE})
    assert saved.status_code == 200
    assert saved.json()["parsed"][0]["fingerprint"] == ["database-connection"]
    assert httpx.get(url, headers=reader).json()["rules"] == "# db errors\n" + RULE

    _send(server, 4, "app.db.pool", "connect")
    _send(server, 5, "app.db.replica", "open_replica")
    _send(server, 6, "app.cache", "connect")
    server.wait_events(6)
    # Both database errors now land in one new issue; the cache error keeps its own.
    counts = {i["title"]: i["count"] for i in server.issues()}
    assert counts == {
        "ConnectionError: refused #1": 1,
        "ConnectionError: refused #2": 1,
        "ConnectionError: refused #5": 2,  # the rule's issue, titled by its newest event
        "ConnectionError: refused #6": 2,  # the cache issue: #3 and #6
    }


def test_in_app_rules_move_the_culprit_of_new_events(sqlite_server: LiveServer) -> None:
    server = sqlite_server

    def send(n: int) -> None:
        item = {
            "platform": "python",
            "exception": {
                "values": [
                    {
                        "type": "ValueError",
                        "value": "bad",
                        "stacktrace": {
                            "frames": [
                                {"module": "shop.checkout", "function": "pay", "in_app": True},
                                {
                                    "module": "shop.vendored.money",
                                    "function": "parse",
                                    "in_app": True,
                                },
                            ]
                        },
                    }
                ]
            },
        }
        server.send_event(f"{n:032x}", item)

    send(1)
    server.wait_events(1)
    assert server.issues()[0]["culprit"] == "shop.vendored.money in parse"

    writer = server.admin_token(["project:read", "project:write"])
    url = f"{server.url}/api/v1/projects/{server.project.slug}/in-app-rules"
    editor = {"Authorization": f"Bearer {writer}"}
    assert httpx.get(url, headers=editor).json() == {"include": [], "exclude": []}
    bad = httpx.put(url, headers=editor, json={"exclude": "shop.vendored."})
    assert bad.status_code == 400 and "exclude" in bad.json()["detail"]
    rules = {"include": ["shop."], "exclude": ["shop.vendored."]}
    assert httpx.put(url, headers=editor, json=rules).json() == rules

    send(2)
    server.wait_events(2)
    # The vendored frame no longer counts as the app's: the raise site is the app's call.
    culprits = sorted(i["culprit"] for i in server.issues())
    assert culprits == ["shop.checkout in pay", "shop.vendored.money in parse"]
