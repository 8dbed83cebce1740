"""Merge and unmerge through the API, with events from the real sentry-sdk."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sentry_sdk

from tests.support import LiveServer, wait_for


@pytest.fixture
def sdk(live_server: LiveServer) -> Iterator[LiveServer]:
    sentry_sdk.init(dsn=live_server.dsn, release="shop@2.0.0", environment="production")
    yield live_server
    sentry_sdk.get_client().close(timeout=5)


def parse_amount(text: str) -> float:
    return float(text)


def parse_count(text: str) -> int:
    return int(text)


def _report(fn: Any, arg: str, user: str) -> None:
    try:
        fn(arg)
    except ValueError:
        with sentry_sdk.new_scope() as scope:
            scope.set_user({"id": user})
            scope.set_tag("tenant", user)
            sentry_sdk.capture_exception()


def _two_issues(server: LiveServer) -> tuple[dict[str, Any], dict[str, Any]]:
    """Three events in parse_amount (users a, b), two in parse_count (users b, c)."""
    for arg, user in (("x1", "a"), ("x2", "b"), ("x3", "a")):
        _report(parse_amount, arg, user)
    for arg, user in (("y1", "b"), ("y2", "c")):
        _report(parse_count, arg, user)
    sentry_sdk.flush(timeout=10)
    server.wait_events(5)
    issues = wait_for(lambda: len(server.issues()) == 2 and server.issues())
    by_culprit = {i["culprit"].rsplit(" in ", 1)[-1]: i for i in issues}
    return by_culprit["parse_amount"], by_culprit["parse_count"]


def _post(server: LiveServer, path: str, body: Any, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token or server.token}"}
    return httpx.post(server.url + path, json=body, headers=headers, timeout=10)


def test_merge_keeps_every_event_and_counter_and_unmerge_restores(sdk: LiveServer) -> None:
    server = sdk
    amount, count = _two_issues(server)
    assert (amount["count"], amount["user_count"], count["count"]) == (3, 2, 2)
    slug = server.project.slug

    merged = _post(
        server, f"/api/v1/projects/{slug}/issues/merge", {"issues": [count["id"], amount["id"]]}
    )
    assert merged.status_code == 200, merged.text
    kept = merged.json()["issue"]
    assert kept["id"] == amount["id"]  # the busiest issue is kept by default
    assert merged.json()["merged"] == [count["id"]]
    assert (kept["count"], kept["user_count"]) == (5, 3)  # users a, b, c
    assert sorted((t["value"], t["count"]) for t in kept["tags"]["tenant"]) == [
        ("a", 2),
        ("b", 2),
        ("c", 1),
    ]
    assert sum(n for _, n in kept["stats"]["24h"]) == 5
    assert [i["id"] for i in server.issues()] == [amount["id"]]
    log = server.api_json(f"/api/v1/issues/{amount['id']}/activity")["data"]
    assert [(a["kind"], a["note"]) for a in log if a["kind"] == "merge"] == [
        ("merge", count["short_id"])
    ]
    events = server.api_json(f"/api/v1/issues/{amount['id']}/events")["data"]
    assert len(events) == 5

    # The merged issue's id keeps answering, with the issue it went into.
    redirected = server.api_json(f"/api/v1/issues/{count['id']}")
    assert redirected["id"] == amount["id"] and redirected["merged_from"] == count["id"]
    assert len(server.api_json(f"/api/v1/issues/{count['id']}/events")["data"]) == 5

    # New events of the merged bug land in the kept issue.
    _report(parse_count, "y3", "d")
    sentry_sdk.flush(timeout=10)
    server.wait_events(6)
    assert wait_for(lambda: server.api_json(f"/api/v1/issues/{amount['id']}")["count"] == 6)
    assert len(server.issues()) == 1

    hashes = server.api_json(f"/api/v1/issues/{amount['id']}/hashes")["data"]
    assert [h["event_count"] for h in hashes] == [3, 3]
    count_hash = next(
        h for h in hashes if any("parse_count" in c for c in h["latest_event"]["components"])
    )
    assert count_hash["grouping_version"] == amount["grouping_version"]

    out = _post(server, f"/api/v1/issues/{amount['id']}/unmerge", {"hashes": [count_hash["hash"]]})
    assert out.status_code == 200, out.text
    new, source = out.json()["issue"], out.json()["source"]
    assert out.json()["moved_events"] == 3
    assert (new["count"], new["user_count"]) == (3, 3)  # users b, c, d
    assert (source["count"], source["user_count"]) == (3, 2)  # users a, b
    assert new["culprit"].endswith("parse_count") and source["culprit"].endswith("parse_amount")
    assert sorted((t["value"], t["count"]) for t in new["tags"]["tenant"]) == [
        ("b", 1),
        ("c", 1),
        ("d", 1),
    ]
    assert sorted((t["value"], t["count"]) for t in source["tags"]["tenant"]) == [
        ("a", 2),
        ("b", 1),
    ]
    assert new["short_id"] not in (amount["short_id"], count["short_id"])
    assert len(server.issues()) == 2
    log = server.api_json(f"/api/v1/issues/{amount['id']}/activity")["data"]
    assert f"moved to {new['short_id']}" in [a for a in log if a["kind"] == "unmerge"][0]["note"]

    # The moved hash stays moved: the next event of that bug goes to the new issue.
    _report(parse_count, "y4", "e")
    sentry_sdk.flush(timeout=10)
    server.wait_events(7)
    assert wait_for(lambda: server.api_json(f"/api/v1/issues/{new['id']}")["count"] == 4)


def test_merge_and_unmerge_refuse_bad_requests(sdk: LiveServer) -> None:
    server = sdk
    amount, count = _two_issues(server)
    url = f"/api/v1/projects/{server.project.slug}/issues/merge"
    reader = server.admin_token(["project:read", "event:read"])

    assert _post(server, url, {"issues": [amount["id"], count["id"]]}, reader).status_code == 403
    no_auth = httpx.post(server.url + url, json={"issues": [amount["id"], count["id"]]})
    assert no_auth.status_code == 401
    for body in (
        {"issues": [amount["id"]]},
        {"issues": "1,2"},
        {"issues": [amount["id"], -3]},
        {"issues": [amount["id"], count["id"]], "extra": 1},
        {"issues": list(range(1, 200))},
    ):
        assert _post(server, url, body).status_code == 422, body
    same = _post(server, url, {"issues": [amount["id"], amount["id"]]})
    assert same.status_code == 400 and "two different" in same.json()["detail"]
    unknown = _post(server, url, {"issues": [amount["id"], 999999]})
    assert unknown.status_code == 400 and "999999" in unknown.json()["detail"]
    outside = _post(server, url, {"issues": [amount["id"], count["id"]], "into": 5})
    assert outside.status_code == 400
    missing = _post(server, "/api/v1/projects/nope/issues/merge", {"issues": [1, 2]})
    assert missing.status_code == 404

    unmerge = f"/api/v1/issues/{amount['id']}/unmerge"
    only = server.api_json(f"/api/v1/issues/{amount['id']}/hashes")["data"]
    assert len(only) == 1
    last = _post(server, unmerge, {"hashes": [only[0]["hash"]]})
    assert last.status_code == 400 and "must stay" in last.json()["detail"]
    foreign = server.api_json(f"/api/v1/issues/{count['id']}/hashes")["data"][0]["hash"]
    wrong = _post(server, unmerge, {"hashes": [foreign]})
    assert wrong.status_code == 400 and "does not belong" in wrong.json()["detail"]
    assert _post(server, unmerge, {"hashes": ["NOT-HEX"]}).status_code == 422
    assert _post(server, unmerge, {"hashes": []}).status_code == 422
    assert _post(server, "/api/v1/issues/999999/unmerge", {"hashes": ["ab"]}).status_code == 404
    assert server.api("/api/v1/issues/999999/hashes").status_code == 404

    # Nothing changed after all the refusals.
    assert {i["id"]: i["count"] for i in server.issues()} == {amount["id"]: 3, count["id"]: 2}
