"""The search language end to end: real events through ingest and the digest, then
``GET /api/v1/projects/{slug}/issues?query=…`` on a live server (SQLite and
PostgreSQL), one assertion per term kind, and the same language in bulk updates."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from faultbox.store.db import write_transaction
from faultbox.store.schema import issues
from tests.support import LiveServer

SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/17.1 Safari/605.1.15"
)
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/120.0.0.0 Safari/537.36"
)


def _exception(type_: str, value: str, function: str, module: str, line: str) -> dict[str, Any]:
    frame = {
        "function": function,
        "module": module,
        "filename": module.replace(".", "/") + ".py",
        "lineno": 10,
        "context_line": line,
        "in_app": True,
    }
    return {"values": [{"type": type_, "value": value, "stacktrace": {"frames": [frame]}}]}


# name → (event fields, how many events)
ISSUES: dict[str, tuple[dict[str, Any], int]] = {
    "checkout": (
        {
            "exception": _exception(
                "TimeoutError",
                "gateway timed out after 30s",
                "charge_card",
                "shop.payments",
                "response = gateway.post(payload, timeout=30)",
            ),
            "request": {
                "url": "https://shop.example.com/checkout?order=991",
                "headers": {"User-Agent": SAFARI},
            },
            "level": "error",
            "environment": "production",
            "release": "1.4.2",
            "tags": {"service": "api"},
            "user": {"id": "42"},
        },
        3,
    ),
    "cart": (
        {
            "exception": _exception(
                "ValueError",
                "invalid quantity -1",
                "update_cart",
                "shop.cart",
                "raise ValueError(f'invalid quantity {qty}')",
            ),
            "request": {"url": "https://shop.example.com/cart", "headers": {"User-Agent": CHROME}},
            "level": "warning",
            "environment": "staging",
            "release": "1.4.1",
            "tags": {"service": "worker"},
            "user": {"id": "7"},
        },
        1,
    ),
    "stock": (
        {
            "exception": _exception(
                "KeyError",
                "out of stock: sku timed by the scheduler",
                "reserve",
                "shop.stock",
                "return self.levels[sku]",
            ),
            "level": "error",
            "environment": "production",
            "release": "2.0.0",
            "user": {"id": "420"},
        },
        2,
    ),
    "signin": (
        {
            "message": "user signed in",
            "level": "info",
            "environment": "production",
            "tags": {"tenant": "acme-corp"},
        },
        1,
    ),
}


TITLE_WORDS = {
    "checkout": "TimeoutError",
    "cart": "ValueError",
    "stock": "KeyError",
    "signin": "signed",
}


@pytest.fixture
def stream(live_server: LiveServer) -> dict[str, int]:
    """The ISSUES sent through the envelope endpoint; name → issue id.  checkout is P1,
    assigned to the admin and a regression; stock P0 and resolved; signin has no severity."""
    server = live_server
    now = time.time()
    total = 0
    for name, (fields, count) in ISSUES.items():
        for n in range(count):
            event = {
                **fields,
                "fingerprint": [name],
                "timestamp": now - 600 + n,
                "platform": "python",
            }
            server.send_event(uuid.uuid4().hex, event)
            total += 1
    server.wait_events(total)
    titles = {i["title"]: i["id"] for i in server.issues(limit=100)}
    assert len(titles) == len(ISSUES)
    by_name = {
        name: next(i for title, i in titles.items() if word in title)
        for name, word in TITLE_WORDS.items()
    }
    severity = {"checkout": "P1", "cart": "P3", "stock": "P0", "signin": None}
    with write_transaction(server.engine) as conn:
        for name, issue_id in by_name.items():
            conn.execute(
                update(issues).where(issues.c.id == issue_id).values(severity=severity[name])
            )
        admin = conn.execute(
            update(issues)
            .where(issues.c.id == by_name["checkout"])
            .values(is_regression=True, assignee_id=1)
            .returning(issues.c.assignee_id)
        ).scalar_one()
        assert admin == 1  # the seeded admin, the token's owner
        conn.execute(
            update(issues).where(issues.c.id == by_name["stock"]).values(status="resolved")
        )
    return by_name


def found(server: LiveServer, ids: dict[str, int], query: str, **params: Any) -> set[str]:
    names = {v: k for k, v in ids.items()}
    return {names[i["id"]] for i in server.issues(limit=100, query=query, **params)}


ALL = set(ISSUES)


QUERIES: list[tuple[str, set[str]]] = [
    # is:, status:, assigned:
    ("is:unresolved", {"checkout", "cart", "signin"}),
    ("is:resolved", {"stock"}),
    ("!is:unresolved", {"stock"}),
    ("status:detected", {"checkout", "cart", "signin"}),
    ("is:regression", {"checkout"}),
    ("is:assigned", {"checkout"}),
    ("is:unassigned", {"cart", "stock", "signin"}),
    ("assigned:me", {"checkout"}),
    ("assigned:ADMIN@example.com", {"checkout"}),
    ("assigned:none", {"cart", "stock", "signin"}),
    ("!assigned:me", {"cart", "stock", "signin"}),
    # tag facets, negation, wildcards
    ("level:error", {"checkout", "stock"}),
    ("-level:error", {"cart", "signin"}),
    ("service:api", {"checkout"}),
    ("release:1.4.2", {"checkout"}),
    ("release:1.4.*", {"checkout", "cart"}),
    ("environment:production level:error", {"checkout", "stock"}),
    ("environment:Production", {"checkout", "stock", "signin"}),  # values ignore case
    ("browser:Safari", {"checkout"}),  # the browser.name facet
    ("!browser:Safari", {"cart", "stock", "signin"}),
    ('browser:"Chrome 120*"', {"cart"}),
    ("url:*/checkout*", {"checkout"}),
    ("url:https://shop.example.com/cart", {"cart"}),
    ("has:url", {"checkout", "cart"}),
    ("!has:tenant", {"checkout", "cart", "stock"}),
    ("tenant:acme*", {"signin"}),
    ("user.id:42", {"checkout"}),
    ("user.id:42*", {"checkout", "stock"}),
    ("!user.id:42", {"cart", "stock", "signin"}),
    # comparisons
    ("times-seen:>2", {"checkout"}),
    ("events:>=2", {"checkout", "stock"}),
    ("times-seen:1", {"cart", "signin"}),
    ("users:>=1", {"checkout", "cart", "stock"}),
    ("users:0", {"signin"}),
    ("first-seen:-1h", ALL),
    ("first-seen:+1h", set()),
    ("last-seen:>2020-01-01", ALL),
    ("last-seen:<2020-01-01", set()),
    ("severity:P1", {"checkout"}),
    ("severity:<=P1", {"checkout", "stock"}),
    ("severity:>P0", {"checkout", "cart"}),
    ("severity:none", {"signin"}),
    ("!severity:P1", {"cart", "stock", "signin"}),
    # free text, through the index
    ("charge_card", {"checkout"}),  # a frame's function
    ("gateway.post", {"checkout"}),  # the context line
    ("shop.example.com/cart", {"cart"}),  # a URL
    ("acme-corp", {"signin"}),  # a tag value
    ("ValueError", {"cart"}),  # an exception type
    ('"signed in"', {"signin"}),  # a message
    ('"timed out"', {"checkout"}),  # a phrase: the words side by side
    ("timed out", {"checkout", "stock"}),  # two words: each anywhere
    ("TIMED", {"checkout", "stock"}),
    ("charg*", {"checkout"}),  # a prefix
    ("charg", set()),  # a word is a whole word
    ("!timed", {"cart", "signin"}),
    ('!"timed out" level:error', {"stock"}),
    ("shop.stock is:resolved", {"stock"}),
    ("%", ALL),  # nothing to look for
]


def test_each_term_kind(live_server: LiveServer, stream: dict[str, int]) -> None:
    wrong = [
        (query, got, expected)
        for query, expected in QUERIES
        if (got := found(live_server, stream, query)) != expected
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("is:foo", "query: column 1: unknown is: value 'foo'; known: unresolved, fixed"),
        ("times-seen:>many", "query: bad comparison 'times-seen:>many'"),
        ('"timed out', "query: column 1: unterminated quote"),
        ("first-seen:>-24h", "a relative time takes no >, <"),
        ("severity:P7", "bad severity"),
    ],
)
def test_malformed_queries_are_400_with_the_reason(
    sqlite_server: LiveServer, query: str, message: str
) -> None:
    path = f"/api/v1/projects/{sqlite_server.project.slug}/issues"
    response = sqlite_server.api(path, query=query)
    assert response.status_code == 400, response.text
    assert message in response.json()["detail"]


def test_severity_sort_pages_p0_first_then_newest(
    live_server: LiveServer, stream: dict[str, int]
) -> None:
    server = live_server
    path = f"/api/v1/projects/{server.project.slug}/issues"
    names = {v: k for k, v in stream.items()}
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        body = server.api_json(
            path, sort="severity", limit=1, **({"cursor": cursor} if cursor else {})
        )
        seen += [names[i["id"]] for i in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["stock", "checkout", "cart", "signin"]  # P0, P1, P3, none
    # A cursor of another sort is refused, not misread.
    other = server.api_json(path, sort="last_seen", limit=1)["next_cursor"]
    response = server.api(path, sort="severity", cursor=other)
    assert response.status_code == 400 and "malformed cursor" in response.json()["detail"]


def test_bulk_update_takes_the_language(live_server: LiveServer, stream: dict[str, int]) -> None:
    server = live_server
    response = httpx.patch(
        f"{server.url}/api/v1/projects/{server.project.slug}/issues",
        params={"query": "is:unresolved !level:error timed"},
        json={"severity": "P2"},
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.json()["updated"] == []  # cart is a warning but never "timed"
    response = httpx.patch(
        f"{server.url}/api/v1/projects/{server.project.slug}/issues",
        params={"query": 'is:unresolved "invalid quantity"'},
        json={"severity": "P2"},
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=10,
    )
    assert response.json()["updated"] == [stream["cart"]]
    assert found(server, stream, "severity:P2") == {"cart"}
    bad = httpx.patch(
        f"{server.url}/api/v1/projects/{server.project.slug}/issues",
        params={"query": "is:nope"},
        json={"severity": "P2"},
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=10,
    )
    assert bad.status_code == 400 and "unknown is: value 'nope'" in bad.json()["detail"]
