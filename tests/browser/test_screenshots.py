"""The dashboard's main pages with realistic data, pictured for the README.

A few bugs of a shop sent with the real sentry-sdk over the last days (two releases,
two environments, several users), a release created and deployed through the REST
API, issues resolved, assigned and given a severity, a dead letter and a few users.
Each page is checked for what it must show before it is pictured, so a broken page
fails here instead of being committed as a picture.  ``FAULTBOX_SCREENSHOTS=1``
writes docs/screenshots/; an ordinary run writes to a temporary directory.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from playwright.sync_api import Page, expect

from faultbox import clock
from faultbox.lifecycle.changes import IssueChange, change_issues
from faultbox.lifecycle.status import Status
from faultbox.store.accounts import get_user_by_email
from faultbox.store.db import write_transaction
from faultbox.store.deadletter import DeadLetter, add_dead_letters
from tests.browser.conftest import (
    ADMIN_EMAIL,
    make_user,
    screenshot,
    send_sentry_event,
    sign_in_as,
)
from tests.support import LiveServer

NOW = datetime.now(UTC)


def add_to_cart(cart: dict[str, Any], sku: str) -> int:
    return int(cart["items"][sku]["quantity"]) + 1


def charge(total_cents: int, installments: int) -> float:
    return total_cents / installments


def parse_coupon(code: str) -> int:
    return int(code.removeprefix("SAVE"))


def render_invoice(order: Any) -> str:
    return str(order.customer.name)


def send(server: LiveServer, call: Any, *args: Any, hours_ago: float, **kwargs: Any) -> int:
    try:
        call(*args)
    except Exception as exc:  # noqa: BLE001 - whatever the shop raises is the point
        when = NOW - timedelta(hours=hours_ago)
        return send_sentry_event(server, error=exc, timestamp=when, **kwargs).issue_id
    raise AssertionError(f"{call.__name__} did not fail")


def shop_data(server: LiveServer) -> dict[str, int]:
    """A dozen events from five bugs; returns issue ids by bug name."""
    token = server.admin_token(["project:releases", "project:read"])
    headers = {"Authorization": f"Bearer {token}"}
    release = httpx.post(
        f"{server.url}/api/v1/releases",
        json={
            "project": server.project.slug,
            "version": "shop@1.4.1",
            "commit": "9f3c2e1",
            "url": "https://git.example.com/shop/releases/1.4.1",
        },
        headers=headers,
        timeout=10,
    )
    assert release.status_code in (201, 208), release.text
    bugs: dict[str, int] = {}
    checkout = {"url": "https://shop.example.com/checkout/cart", "method": "POST"}
    for i, hours in enumerate((70, 30, 20, 6, 3, 1.5, 0.5)):
        bugs["cart"] = send(
            server,
            add_to_cart,
            {"items": {}},
            "sku-4711",
            hours_ago=hours,
            release="shop@1.4.0" if hours > 24 else "shop@1.4.1",
            user={"id": str(100 + i % 4), "email": f"customer{i % 4}@example.com"},
            tags={"service": "checkout", "browser": "Firefox" if i % 2 else "Chrome"},
            request=checkout,
        )
    for hours in (50, 9, 2):
        bugs["charge"] = send(
            server,
            charge,
            4999,
            0,
            hours_ago=hours,
            release="shop@1.4.0",
            tags={"service": "payments"},
            user={"id": "103"},
        )
    for hours in (26, 4):
        bugs["coupon"] = send(
            server,
            parse_coupon,
            "SAVE-TEN",
            hours_ago=hours,
            environment="staging",
            release="shop@1.4.1",
            tags={"service": "checkout"},
        )
    billing = {"service": "billing"}
    bugs["invoice"] = send(
        server, render_invoice, None, hours_ago=12, release="shop@1.4.0", tags=billing
    )
    bugs["export"] = send_sentry_event(
        server,
        message="Nightly order export took 41 minutes (limit 30)",
        level="warning",
        release="shop@1.4.0",
        timestamp=NOW - timedelta(hours=8),
        tags={"service": "reports"},
    ).issue_id
    deploy = httpx.post(
        f"{server.url}/api/v1/projects/{server.project.slug}/releases/shop@1.4.1/deploys",
        json={"environment": "production", "deployed_at": (NOW - timedelta(hours=22)).isoformat()},
        headers=headers,
        timeout=10,
    )
    assert deploy.status_code == 201, deploy.text

    ana = make_user(server, "ana.lima@example.com", "admin")
    make_user(server, "ben.okafor@example.com", "member")
    make_user(server, "chen.wu@example.com", "viewer")
    now = clock.now()
    with write_transaction(server.engine) as conn:
        admin = get_user_by_email(conn, ADMIN_EMAIL).id
        changes = [
            ([bugs["cart"]], IssueChange(severity="P1", assignee=ana)),
            ([bugs["charge"]], IssueChange(status=Status.INVESTIGATING, assignee=admin)),
            ([bugs["invoice"]], IssueChange(status=Status.RESOLVED)),
            ([bugs["export"]], IssueChange(severity="P3")),
            (
                [bugs["cart"]],
                IssueChange(
                    catalogue={
                        "diagnosis": "The cart is read **before** the session restores it; "
                        "`items` is empty for returning customers."
                    }
                ),
            ),
        ]
        for ids, change in changes:
            assert not change_issues(conn, ids, change, actor=admin, now=now)
        add_dead_letters(
            conn,
            [
                DeadLetter(
                    project_id=server.project.id,
                    event_id="5e1f" * 8,
                    kind="sentry_event",
                    payload=orjson.dumps({"message": 42, "platform": ["python"]}),
                    meta={"client_ip": "203.0.113.7", "user_agent": "sentry.python/2.19.0"},
                    reason="not an event: 'platform' must be a string",
                    attempts=3,
                )
            ],
        )
    return bugs


def test_screenshots_of_the_main_pages(page: Page, server: LiveServer) -> None:
    bugs = shop_data(server)
    slug = server.project.slug

    sign_in_as(page, server, next_path=f"/projects/{slug}/issues")
    rows = page.locator("[data-stream-row]")
    expect(rows).to_have_count(4)  # the resolved invoice bug is not unresolved
    expect(rows.first).to_contain_text("KeyError")  # last seen half an hour ago
    expect(page.locator("[data-stream-row] svg").first).to_be_visible()
    screenshot(page, "stream")

    page.goto(f"/issues/{bugs['cart']}")
    expect(page.locator("[data-issue-title]")).to_contain_text("KeyError")
    expect(page.locator("dd[data-count]")).to_have_text("7")
    expect(page.locator("[data-severity]")).to_have_text("P1")
    expect(page.locator("[data-assignee]")).to_have_text("ana.lima@example.com")
    screenshot(page, "issue")

    page.goto("/overview")
    expect(page.locator("main")).to_contain_text(server.project.name)
    screenshot(page, "overview")

    page.goto(f"/projects/{slug}/releases")
    expect(page.locator("main")).to_contain_text("shop@1.4.1")
    expect(page.locator("main")).to_contain_text("shop@1.4.0")
    screenshot(page, "releases")

    page.goto("/deadletters")
    expect(page.locator("main")).to_contain_text("'platform' must be a string")
    screenshot(page, "deadletters")

    page.goto("/admin/users")
    expect(page.locator("main")).to_contain_text("chen.wu@example.com")
    screenshot(page, "admin-users")
