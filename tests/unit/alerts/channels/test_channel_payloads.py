"""Channel payloads against the services' documented shapes, without a network."""

from __future__ import annotations

import email
import email.policy
import json
from email.message import EmailMessage

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faultbox import clock
from faultbox.alerts.channels import (
    CHANNELS,
    DigestItem,
    Notification,
    opsgenie,
    pagerduty,
    secret_keys,
    slack,
    teams,
    validate_config,
    verify_signature,
    webhook,
)
from faultbox.alerts.channels import email as email_channel
from faultbox.alerts.channels.base import DeliveryResult, is_permanent_status, parse_retry_after
from tests.fakes.services import (
    validate_opsgenie_create,
    validate_pagerduty,
    validate_slack,
    validate_teams,
)

HOSTILE = '<script>alert("x")</script> & <b>bold</b> <!here> *stars*'


def make(**overrides: object) -> Notification:
    base: dict[str, object] = {
        "kind": "trigger",
        "title": "ZeroDivisionError: division by zero",
        "text": "in checkout.total at shop/cart.py:42",
        "dedup_key": "rule-7:issue-123",
        "project": "shop",
        "short_id": "SHOP-1A",
        "level": "error",
        "severity": "P1",
        "environment": "production",
        "release": "shop@1.2.0",
        "culprit": "shop.cart in total",
        "event_count": 17,
        "first_seen": "2026-11-29T10:00:00+00:00",
        "last_seen": "2026-11-29T11:00:00+00:00",
        "url": "https://faultbox.example/projects/shop/issues/123",
    }
    base.update(overrides)
    return Notification(**base)  # type: ignore[arg-type]


EMAIL_CONFIG = {
    "host": "127.0.0.1",
    "from_addr": "alerts@faultbox.local",
    "to": "oncall@example.com",
}


def parse(msg: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


# -- results ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "permanent"), [(400, True), (401, True), (404, True), (408, False), (429, False)]
)
def test_4xx_is_permanent_except_408_and_429(status: int, permanent: bool) -> None:
    assert is_permanent_status(status) is permanent


def test_retry_after_in_seconds() -> None:
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") is None
    assert parse_retry_after(None) is None
    assert DeliveryResult(ok=False).transient
    assert not DeliveryResult(ok=False, permanent=True).transient


# -- Slack -------------------------------------------------------------------------------


def test_slack_payload_is_block_kit_with_escaped_text() -> None:
    body = slack.payload(make(text=HOSTILE))
    validate_slack(body)
    assert body["text"] == "ZeroDivisionError: division by zero"
    assert body["blocks"][0]["type"] == "header"
    section = body["blocks"][1]["text"]["text"]
    assert "<script>" not in section and "&lt;script&gt;" in section
    assert "&lt;!here&gt;" in section  # no @here mention from an error message
    fields = body["blocks"][2]["fields"]
    assert {"type": "mrkdwn", "text": "*Severity*\nP1"} in fields
    assert body["blocks"][-1]["elements"][0]["url"].endswith("/issues/123")


def test_slack_long_text_is_cut_at_the_section_limit() -> None:
    body = slack.payload(make(text="<" * 5000, title="x" * 500))
    validate_slack(body)
    assert len(body["blocks"][1]["text"]["text"]) <= slack.SECTION_LIMIT
    assert body["blocks"][1]["text"]["text"].endswith("&lt;…")
    assert len(body["blocks"][0]["text"]["text"]) <= 150


def test_slack_digest_lists_items() -> None:
    items = tuple(DigestItem(title=f"Error {i}", url=f"https://f/i/{i}") for i in range(30))
    body = slack.payload(make(items=items))
    validate_slack(body)
    digest = body["blocks"][3]["text"]["text"]
    assert "<https://f/i/0|Error 0>" in digest and "… and 10 more" in digest


# -- Teams -------------------------------------------------------------------------------


def test_teams_payload_is_an_adaptive_card_message() -> None:
    body = teams.payload(make(kind="resolve"))
    validate_teams(body)
    card = body["attachments"][0]["content"]
    assert card["body"][0]["text"].startswith("Resolved: ZeroDivisionError")
    assert {"title": "Release", "value": "shop@1.2.0"} in card["body"][2]["facts"]
    assert card["actions"][0]["url"].endswith("/issues/123")


# -- PagerDuty ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "level", "expected"),
    [
        ("P0", "error", "critical"),
        ("P1", "info", "error"),
        ("P2", "fatal", "warning"),
        ("P3", "fatal", "info"),
        ("", "fatal", "critical"),
        ("", "debug", "info"),
    ],
)
def test_pagerduty_severity_mapping(severity: str, level: str, expected: str) -> None:
    assert pagerduty.severity(make(severity=severity, level=level)) == expected


def test_pagerduty_trigger_event() -> None:
    clock.pin(1_764_410_400.0)
    try:
        body = pagerduty.payload(make(), "R" * 32)
    finally:
        clock.pin(None)
    validate_pagerduty(body)
    assert body["event_action"] == "trigger"
    assert body["dedup_key"] == "rule-7:issue-123"
    assert body["payload"]["severity"] == "error"
    assert body["payload"]["source"] == "shop"
    assert body["payload"]["timestamp"] == "2025-11-29T10:00:00+00:00"
    assert body["payload"]["custom_details"]["Issue"] == "SHOP-1A"
    assert body["links"] == [{"href": make().url, "text": "Open the issue in Faultbox"}]


@pytest.mark.parametrize("kind", ["acknowledge", "resolve"])
def test_pagerduty_acknowledge_and_resolve_need_only_the_key(kind: str) -> None:
    body = pagerduty.payload(make(kind=kind), "R" * 32)
    validate_pagerduty(body)
    assert body == {"routing_key": "R" * 32, "event_action": kind, "dedup_key": "rule-7:issue-123"}


def test_pagerduty_test_notification_does_not_touch_the_real_alert() -> None:
    body = pagerduty.payload(make(kind="test"), "R" * 32)
    assert body["event_action"] == "trigger"
    assert body["dedup_key"] == "rule-7:issue-123:test"
    assert body["payload"]["summary"].startswith("[test] ")


# -- Opsgenie ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "kind", "expected"),
    [("P0", "trigger", "P1"), ("P1", "trigger", "P2"), ("P2", "trigger", "P3"),
     ("P3", "trigger", "P4"), ("P0", "test", "P5")],
)  # fmt: skip
def test_opsgenie_priority_mapping(severity: str, kind: str, expected: str) -> None:
    assert opsgenie.priority(make(severity=severity, kind=kind)) == expected


def test_opsgenie_create_and_close_by_alias() -> None:
    url, body = opsgenie.request(make(), "https://api.eu.opsgenie.com")
    validate_opsgenie_create(body)
    assert url == "https://api.eu.opsgenie.com/v2/alerts"
    assert body["alias"] == "rule-7:issue-123" and body["priority"] == "P2"
    url, body = opsgenie.request(make(kind="resolve", dedup_key="r/1 x"), "https://o/")
    assert url == "https://o/v2/alerts/r%2F1%20x/close?identifierType=alias"
    url, _ = opsgenie.request(make(kind="acknowledge"), "https://o")
    assert url == "https://o/v2/alerts/rule-7%3Aissue-123/acknowledge?identifierType=alias"


# -- webhook -----------------------------------------------------------------------------


def test_webhook_signature_round_trip_and_tolerance() -> None:
    body = orjson.dumps(webhook.payload(make(), 1000))
    signature = webhook.sign(body, "s3cret")
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert verify_signature(body, signature, "s3cret")
    assert not verify_signature(body + b" ", signature, "s3cret")
    assert not verify_signature(body, signature, "other")
    assert verify_signature(body, signature, "s3cret", timestamp="1000", tolerance=300, now=1299)
    assert not verify_signature(
        body, signature, "s3cret", timestamp="1000", tolerance=300, now=1301
    )
    clock.pin(1100.0)
    try:
        assert verify_signature(body, signature, "s3cret", timestamp="1000", tolerance=300)
        assert not verify_signature(body, signature, "s3cret", timestamp="junk", tolerance=300)
    finally:
        clock.pin(None)


def test_webhook_idempotency_key() -> None:
    assert webhook.idempotency_key(make(kind="resolve")) == "rule-7:issue-123-resolve"
    odd = webhook.idempotency_key(make(dedup_key="é\nx"))
    assert len(odd) == 64 and odd.isalnum()


# -- email -------------------------------------------------------------------------------


def test_email_has_text_and_escaped_html_parts_and_headers() -> None:
    msg = parse(email_channel.build_message(make(title=HOSTILE, text=HOSTILE), EMAIL_CONFIG))
    assert msg["Subject"] == HOSTILE
    assert msg["To"] == "oncall@example.com"
    assert msg["X-Faultbox-Dedup-Key"] == "rule-7:issue-123"
    assert msg["List-Id"] == "Faultbox shop alerts <shop.alerts.faultbox.local>"
    assert msg["Message-ID"].endswith("@faultbox.local>")
    assert msg["References"] == msg["In-Reply-To"]
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    plain, markup = text.get_content(), html.get_content()
    assert HOSTILE in plain and "Severity: P1" in plain
    assert "<script>" not in markup
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in markup
    assert '<a href="https://faultbox.example/projects/shop/issues/123">' in markup


def test_email_header_injection_is_flattened() -> None:
    msg = parse(email_channel.build_message(make(title="boom\r\nBcc: evil@x"), EMAIL_CONFIG))
    assert msg["Bcc"] is None
    assert msg["Subject"] == "boom Bcc: evil@x"


def test_email_digest_lists_items_and_drops_unsafe_links() -> None:
    items = (
        DigestItem(title="A <b>", url="https://f/1", event_count=3),
        DigestItem(title="B", url="javascript:alert(1)"),
    )
    msg = parse(email_channel.build_message(make(items=items, title="storm"), EMAIL_CONFIG))
    assert msg["Subject"] == "2 issues: storm"
    html = msg.get_body(("html",))
    assert html is not None
    markup = html.get_content()
    assert '<a href="https://f/1">A &lt;b&gt;</a> (3 events)' in markup
    assert "javascript:" not in markup


# -- config ------------------------------------------------------------------------------


def test_registry_and_secret_keys() -> None:
    assert set(CHANNELS) == {
        "email",
        "slack",
        "teams",
        "pagerduty",
        "opsgenie",
        "webhook",
        "github",
        "gitlab",
        "jira",
    }
    assert secret_keys("github") == secret_keys("gitlab") == {"token"}
    assert secret_keys("jira") == {"api_token"}
    assert secret_keys("slack") == {"webhook_url"}
    assert secret_keys("email") == {"password"}
    assert secret_keys("pagerduty") == {"routing_key"}
    assert secret_keys("webhook") == {"url", "secret"}


def test_validate_config_reports_clear_errors() -> None:
    assert (
        validate_config("slack", {}, {"webhook_url": "https://hooks.slack.com/services/T/B/X"})
        == []
    )
    assert validate_config("slack", {}, {}) == ["webhook_url: required (Incoming webhook URL)"]
    assert validate_config("slack", {}, {"webhook_url": "ftp://x"}) == [
        "webhook_url: must be an http:// or https:// URL"
    ]
    assert validate_config("teams", {"webhook_url": "https://x"}, {"webhook_url": "https://x"}) == [
        "webhook_url: belongs in secrets"
    ]
    assert validate_config("opsgenie", {"region": "mars"}, {"api_key": "k"}) == [
        "region: must be one of us, eu"
    ]
    assert validate_config("pagerduty", {"colour": "red"}, {"routing_key": "k"}) == [
        "colour: not a setting of pagerduty channels"
    ]
    assert validate_config("sms", {}, {})[0].startswith("unknown channel kind 'sms'")
    errors = validate_config(
        "email",
        {"host": "h", "from_addr": "nobody", "to": "a@b, c", "port": "99999", "username": "u"},
        {},
    )
    assert errors == [
        "port: must be a number from 1 to 65535",
        "password: required when username is set",
        "to: 'c' is not an email address",
        "from_addr: not an email address",
    ]


def test_misconfigured_channels_fail_permanently_without_a_request() -> None:
    for name, channel in CHANNELS.items():
        result = channel.send(make(), {}, {}, timeout=0.1)
        assert not result.ok and result.permanent, name


# -- properties: any text gives an accepted payload and a parseable email -----------------

texts = st.text(max_size=5000) | st.text(
    alphabet=st.sampled_from("<>&*_`\x00\x1b\r\n\u2028é|"), max_size=6000
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=texts,
    text=texts,
    dedup=st.text(min_size=1, max_size=300),
    kind=st.sampled_from(["trigger", "acknowledge", "resolve", "test"]),
    culprit=st.text(max_size=300),
    items=st.lists(st.text(max_size=300), max_size=30),
)
def test_any_text_yields_accepted_payloads_and_parseable_email(
    title: str, text: str, dedup: str, kind: str, culprit: str, items: list[str]
) -> None:
    n = make(
        title=title,
        text=text,
        dedup_key=dedup,
        kind=kind,
        culprit=culprit,
        items=tuple(DigestItem(title=t, url="https://f/x") for t in items),
    )
    for builder, validate in ((slack.payload, validate_slack), (teams.payload, validate_teams)):
        body = json.loads(orjson.dumps(builder(n)))
        validate(body)
    sl = slack.payload(n)
    assert all(
        len(b["text"]["text"]) <= 3000
        for b in sl["blocks"]
        if b["type"] == "section" and "text" in b
    )
    pd = pagerduty.payload(n, "R" * 32)
    validate_pagerduty(json.loads(orjson.dumps(pd)))
    if "payload" in pd:
        assert len(pd["payload"]["summary"]) <= 1024
    url, og = opsgenie.request(n, "https://api.opsgenie.com")
    if url.endswith("/v2/alerts"):
        validate_opsgenie_create(json.loads(orjson.dumps(og)))
    assert len(orjson.dumps(webhook.payload(n, 1))) < 500_000
    msg = parse(email_channel.build_message(n, EMAIL_CONFIG))
    assert len(msg["Subject"]) <= email_channel.SUBJECT_LIMIT
    assert msg.get_body(("plain",)) is not None and msg.get_body(("html",)) is not None
