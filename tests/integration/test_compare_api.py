"""Similar issues and stack diffs through the HTTP API, fed by the real sentry-sdk.

The shop code below raises three different bugs along partly shared call paths, so
the stacks the SDK captures overlap by known frames.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
import sentry_sdk

from faultbox.query.dsn import dsn_for
from faultbox.store.accounts import add_member, create_token, create_user, ensure_team
from faultbox.store.db import write_transaction
from faultbox.store.projects import create_project
from tests.support import LiveServer, password_hash, wait_for

MODULE = __name__
PRICES = {"apple": 3}


def price_of(item: str) -> int:
    return PRICES[item]


def compute_total(cart: list[str]) -> int:
    return sum(price_of(item) for item in cart)


def average_price(cart: list[str]) -> float:
    return compute_total(cart) / len(cart)


def apply_coupon(total: float, coupon: str) -> float:
    raise ValueError(f"unknown coupon {coupon}")


def checkout(cart: list[str], coupon: str | None = None) -> float:
    total = average_price(cart)
    return apply_coupon(total, coupon) if coupon else total


def ratio(a: int, b: int) -> float:
    return a / b


def report_empty_cart(other_call_site: bool = False) -> None:
    """ZeroDivisionError in average_price; the same bug from two lines of this function."""
    try:
        if other_call_site:
            checkout([])
        else:
            checkout([])
    except ZeroDivisionError:
        sentry_sdk.capture_exception()


def report_unknown_item() -> None:
    """KeyError in price_of: shares checkout and average_price with the empty cart."""
    try:
        checkout(["pear"])
    except KeyError:
        sentry_sdk.capture_exception()


def report_bad_coupon() -> None:
    """ValueError in apply_coupon: shares only checkout with the empty cart."""
    try:
        checkout(["apple"], coupon="FREE")
    except ValueError:
        sentry_sdk.capture_exception()


def report_bad_ratio() -> None:
    """The empty cart's exception type, but not one frame in common."""
    try:
        ratio(1, 0)
    except ZeroDivisionError:
        sentry_sdk.capture_exception()


@pytest.fixture
def shop(sqlite_server: LiveServer) -> Iterator[dict[str, dict[str, Any]]]:
    """Each bug reported through the SDK; name → {"issue": …, "events": [event ids]}."""
    sentry_sdk.init(dsn=sqlite_server.dsn, default_integrations=False)
    report_empty_cart()
    report_empty_cart(other_call_site=True)
    report_unknown_item()
    report_bad_coupon()
    report_bad_ratio()
    sentry_sdk.flush(timeout=10)
    sqlite_server.wait_events(5)
    # The culprit (the raise site) tells the bugs apart; two share the title.
    raised_in = {
        "average_price": "empty_cart",
        "price_of": "unknown_item",
        "apply_coupon": "bad_coupon",
        "ratio": "bad_ratio",
    }
    issues = wait_for(lambda: len(sqlite_server.issues()) == 4 and sqlite_server.issues())
    found: dict[str, dict[str, Any]] = {}
    for issue in issues:
        name = raised_in[issue["culprit"].rpartition(" in ")[2]]
        events = sqlite_server.api_json(f"/api/v1/issues/{issue['id']}/events")["data"]
        found[name] = {"issue": issue, "events": [e["event_id"] for e in events]}
    assert len(found["empty_cart"]["events"]) == 2  # one bug, two call sites: one issue
    yield found
    sentry_sdk.get_client().close(timeout=5)


def _similar(server: LiveServer, issue: dict[str, Any], **params: Any) -> dict[str, Any]:
    body: dict[str, Any] = server.api_json(f"/api/v1/issues/{issue['id']}/similar", **params)
    return body


def _diff(server: LiveServer, left: str, right: str) -> dict[str, Any]:
    body: dict[str, Any] = server.api_json(f"/api/v1/events/{left}/diff/{right}")
    return body


def _located(function: str) -> str:
    return f"{MODULE}:{function}"


def test_similar_issues_rank_by_shared_frames(
    sqlite_server: LiveServer, shop: dict[str, dict[str, Any]]
) -> None:
    body = _similar(sqlite_server, shop["empty_cart"]["issue"])
    assert body["issue_id"] == shop["empty_cart"]["issue"]["id"]
    assert body["event_id"] in shop["empty_cart"]["events"]
    assert body["candidates_checked"] == 3 and body["candidate_limit"] == 500
    ranked = [item["issue_id"] for item in body["data"]]
    # Two shared frames, then one; the same exception type with no shared frame is no match.
    assert ranked == [shop["unknown_item"]["issue"]["id"], shop["bad_coupon"]["issue"]["id"]]
    best, second = body["data"]
    assert best["short_id"] == shop["unknown_item"]["issue"]["short_id"]
    assert best["title"] == "KeyError: 'pear'" and "price_of" in best["culprit"]
    assert best["event_id"] == shop["unknown_item"]["events"][0]
    assert best["same_exception_type"] is False
    assert best["shared_frames"] == [
        {"location": _located("average_price"), "in_app": True},
        {"location": _located("checkout"), "in_app": True},
    ]
    assert best["shared_frame_count"] == 2
    assert second["shared_frames"] == [{"location": _located("checkout"), "in_app": True}]
    assert 1 >= best["score"] > second["score"] > 0

    assert [i["issue_id"] for i in _similar(sqlite_server, shop["empty_cart"]["issue"],
                                            limit=1)["data"]] == ranked[:1]  # fmt: skip
    unrelated = _similar(sqlite_server, shop["bad_ratio"]["issue"])
    assert unrelated["data"] == [] and unrelated["candidates_checked"] == 3


def test_similar_issues_stay_within_the_project(
    sqlite_server: LiveServer, shop: dict[str, dict[str, Any]]
) -> None:
    server = sqlite_server
    with write_transaction(server.engine) as conn:
        other = create_project(conn, name="storefront", team_id=ensure_team(conn, "default"))
    sentry_sdk.init(dsn=dsn_for(server.settings.public_url, other), default_integrations=False)
    report_empty_cart()  # the very same stack, in another project
    sentry_sdk.flush(timeout=10)
    wait_for(lambda: server.api_json(f"/api/v1/projects/{other.slug}")["event_count"] == 1)
    body = _similar(server, shop["empty_cart"]["issue"])
    assert body["candidates_checked"] == 3
    assert [i["title"] for i in body["data"]] == [
        "KeyError: 'pear'",
        "ValueError: unknown coupon FREE",
    ]


def test_a_merged_issue_answers_for_the_issue_it_went_into(
    sqlite_server: LiveServer, shop: dict[str, dict[str, Any]]
) -> None:
    server = sqlite_server
    kept, gone = shop["unknown_item"]["issue"]["id"], shop["bad_coupon"]["issue"]["id"]
    merged = httpx.post(
        f"{server.url}/api/v1/projects/{server.project.slug}/issues/merge",
        json={"issues": [kept, gone], "into": kept},
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=10,
    )
    assert merged.status_code == 200, merged.text
    via_old_id = _similar(server, shop["bad_coupon"]["issue"])
    assert via_old_id["issue_id"] == kept and via_old_id["merged_from"] == gone
    after = _similar(server, shop["empty_cart"]["issue"])
    assert after["candidates_checked"] == 2 and [i["issue_id"] for i in after["data"]] == [kept]
    assert "merged_from" not in after


def test_diff_of_two_events_of_one_bug_is_equal_frames_with_a_moved_line(
    sqlite_server: LiveServer, shop: dict[str, dict[str, Any]]
) -> None:
    newer, older = shop["empty_cart"]["events"]
    body = _diff(sqlite_server, older, newer.upper())  # any UUID spelling is accepted
    issue = shop["empty_cart"]["issue"]
    assert body["left"]["event_id"] == older and body["right"]["event_id"] == newer
    assert body["left"]["issue_id"] == body["right"]["issue_id"] == issue["id"]
    assert body["left"]["grouping_hash"] == body["right"]["grouping_hash"]
    [position] = body["exceptions"]
    assert (
        position["left"]
        == position["right"]
        == {
            "type": "ZeroDivisionError",
            "value": "division by zero",
        }
    )
    rows = position["rows"]
    assert [(r["op"], r["left"]["function"]) for r in rows] == [
        ("equal", "average_price"),
        ("equal", "checkout"),
        ("equal", "report_empty_cart"),
    ]
    assert [r["line_changed"] for r in rows] == [False, False, True]
    caller = rows[2]
    assert caller["right"]["lineno"] != caller["left"]["lineno"]
    assert caller["left"]["context_line"].strip() == "checkout([])"
    assert caller["context_changed"] is False and caller["left"]["in_app"] is True
    assert body["summary"] == {
        "same_issue": True,
        "same_grouping_hash": True,
        "same_type": True,
        "same_in_app_frames": True,
        "first_differing_in_app_frame": None,
    }


def test_diff_across_bugs_shows_changed_rows(
    sqlite_server: LiveServer, shop: dict[str, dict[str, Any]]
) -> None:
    left = shop["empty_cart"]["events"][0]
    right = shop["unknown_item"]["events"][0]
    body = _diff(sqlite_server, left, right)
    [position] = body["exceptions"]
    assert position["same_type"] is False
    assert (position["left"]["type"], position["right"]["type"]) == (
        "ZeroDivisionError",
        "KeyError",
    )
    functions = [
        (r["op"], r["left"] and r["left"]["function"], r["right"] and r["right"]["function"])
        for r in position["rows"]
    ]
    # Innermost first: the KeyError's extra frames, the shared path, different callers.
    assert [f for f in functions if f[0] != "added"] == [
        ("equal", "average_price", "average_price"),
        ("equal", "checkout", "checkout"),
        ("changed", "report_empty_cart", "report_unknown_item"),
    ]
    added = [f[2] for f in functions if f[0] == "added"]
    assert {"price_of", "compute_total"} <= set(added)
    summary = body["summary"]
    assert summary["same_issue"] is False and summary["same_grouping_hash"] is False
    assert summary["same_type"] is False and summary["same_in_app_frames"] is False
    first = summary["first_differing_in_app_frame"]
    assert (first["position"], first["row"], first["op"]) == (0, 0, "added")
    assert first["right"]["function"] == "price_of"
    assert body["right"]["issue_id"] == shop["unknown_item"]["issue"]["id"]


def _outsider(server: LiveServer) -> tuple[str, str]:
    """A user of another team with every read scope, and an event of that team's project."""
    with write_transaction(server.engine) as conn:
        team_id = ensure_team(conn, "others")
        user = create_user(
            conn,
            email="outsider@example.com",
            password_hash=password_hash("pw-12345678"),
            is_superuser=False,
        )
        add_member(conn, team_id=team_id, user_id=user.id, role="member")
        token = create_token(conn, user_id=user.id, scopes=["project:read", "event:read"])
        project = create_project(conn, name="their-shop", team_id=team_id)
    event_id = uuid.uuid4().hex
    body = b"\n".join(
        [
            orjson.dumps({"event_id": event_id}),
            b'{"type":"event"}',
            orjson.dumps({"exception": {"values": [{"type": "KeyError", "value": "x"}]}}),
        ]
    )
    auth = {"X-Sentry-Auth": f"Sentry sentry_key={project.public_key}, sentry_version=7"}
    assert server.post(f"/api/{project.id}/envelope/", body, auth).status_code == 200
    wait_for(lambda: server.api(f"/api/v1/events/{event_id}").status_code == 200)
    return token, event_id


def test_only_callers_who_see_both_sides_may_compare(
    sqlite_server: LiveServer, shop: dict[str, dict[str, Any]]
) -> None:
    server = sqlite_server
    ours, theirs = shop["empty_cart"]["events"][0], shop["unknown_item"]["events"][0]
    similar = f"/api/v1/issues/{shop['empty_cart']['issue']['id']}/similar"
    diff = f"/api/v1/events/{ours}/diff/{theirs}"
    outsider, outsiders_event = _outsider(server)
    for path in (similar, diff):
        assert httpx.get(server.url + path, timeout=10).status_code == 401, path
        assert server.api(path, token=outsider).status_code == 404, path
        assert server.api(path).status_code == 200, path
    # One side in a project the caller cannot see is as unknown as a missing event.
    mixed = f"/api/v1/events/{outsiders_event}/diff/{ours}"
    assert server.api(mixed, token=outsider).json() == {"detail": f"no event {ours}"}
    own = f"/api/v1/events/{outsiders_event}/diff/{outsiders_event}"
    assert server.api(own, token=outsider).status_code == 200
    assert server.api(diff, token=server.admin_token(["project:read"])).status_code == 403


def test_malformed_ids_are_400_and_unknown_ones_404(
    sqlite_server: LiveServer, shop: dict[str, dict[str, Any]]
) -> None:
    known = shop["empty_cart"]["events"][0]
    unknown = "f" * 32
    for path, status in [
        (f"/api/v1/events/not-a-uuid/diff/{known}", 400),
        (f"/api/v1/events/{known}/diff/{'g' * 32}", 400),
        (f"/api/v1/events/{unknown}/diff/{known}", 404),
        (f"/api/v1/events/{known}/diff/{unknown}", 404),
        ("/api/v1/issues/999999/similar", 404),
        ("/api/v1/issues/0/similar", 404),
        (f"/api/v1/issues/{2**70}/similar", 404),
    ]:
        response = sqlite_server.api(path)
        assert response.status_code == status, (path, response.text)
    response = sqlite_server.api(f"/api/v1/events/{known}/diff/not-a-uuid")
    assert "right event id" in response.json()["detail"]
