"""Alerting in the browser: add a Slack channel pointing at a local fake Slack
(which validates every request against Slack's documented payload), press "Send test
notification" and see the service's answer in place (htmx), never the webhook URL; the
rule form shows only the chosen condition's parameters (CSS, no script)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, sign_in_as
from tests.fakes.services import FakeService, serve, slack, validate_slack
from tests.support import LiveServer


@pytest.fixture
def fake_slack() -> Iterator[FakeService]:
    with serve(FakeService(slack)) as service:
        yield service


def test_add_a_slack_channel_and_send_a_test_notification(
    page: Page, server: LiveServer, fake_slack: FakeService
) -> None:
    slug = server.project.slug
    webhook = f"{fake_slack.url}/services/T0BROWSER/B0BROWSER/browsersecret1234"
    sign_in_as(page, server, next_path=f"/projects/{slug}/alerts/channels")
    expect(page.get_by_role("link", name="Alerts")).to_have_class("active")

    form = page.locator('details[data-kind="slack"]')
    form.locator("summary").click()
    form.locator('input[name="name"]').fill("team chat")
    form.locator('select[name="role"]').select_option("chat")
    secret = form.locator('input[name="secret.webhook_url"]')
    expect(secret).to_have_attribute("type", "password")
    secret.fill(webhook)
    with page.expect_navigation():
        form.get_by_role("button", name="Add slack channel").click()

    expect(page.get_by_role("status").first).to_contain_text("Channel created")
    row = page.locator('[data-channel-row][data-channel="team chat"]')
    expect(row).to_contain_text("webhook_url: …1234")
    assert "browsersecret" not in page.content()

    url_before = page.url
    row.get_by_role("button", name="Send test notification").click()
    result = row.locator('[data-test-result="ok"]')
    expect(result).to_contain_text("answered 200")
    assert page.url == url_before  # swapped in place, no navigation
    screenshot(page, "alert-channels")

    [request] = fake_slack.requests
    assert request.path == "/services/T0BROWSER/B0BROWSER/browsersecret1234"
    validate_slack(request.json())
    assert "team chat" in request.json()["text"] or any(
        "team chat" in str(block) for block in request.json()["blocks"]
    )

    # The outbox log lists the test with its answer.
    page.get_by_role("link", name="Deliveries").click()
    delivery = page.locator("[data-delivery-row]")
    expect(delivery).to_have_count(1)
    expect(delivery.locator("[data-status]")).to_have_text("sent")
    expect(delivery).to_contain_text("team chat")


def test_the_rule_form_shows_the_chosen_conditions_parameters(
    page: Page, server: LiveServer
) -> None:
    slug = server.project.slug
    sign_in_as(page, server, next_path=f"/projects/{slug}/alerts")
    form = page.locator("[data-rule-form]")
    expect(form.locator('fieldset[data-condition="new_issue"]')).to_be_visible()
    expect(form.locator('fieldset[data-condition="threshold"]')).to_be_hidden()
    form.locator('select[name="condition"]').select_option("threshold")
    expect(form.locator('fieldset[data-condition="threshold"]')).to_be_visible()
    expect(form.locator('fieldset[data-condition="new_issue"]')).to_be_hidden()

    form.locator('input[name="name"]').fill("checkout errors")
    form.locator('input[name="p.threshold.count"]').fill("25")
    form.locator('input[name="p.threshold.window"]').fill("600")
    form.locator('input[name="filter"]').fill("service:checkout")
    with page.expect_navigation():
        form.get_by_role("button", name="Create rule").click()
    row = page.locator('[data-rule-row][data-rule="checkout errors"]')
    expect(row).to_contain_text("count=25")
    expect(row).to_contain_text("service:checkout")
    expect(row.locator("[data-enabled]")).to_have_text("yes")
