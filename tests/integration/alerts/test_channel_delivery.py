"""Real deliveries to local services: an SMTP server (aiosmtpd) and HTTP fakes that
validate each request and answer as the real services do, including their failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

from faultbox import clock
from faultbox.alerts.channels import CHANNELS, DigestItem, Notification, verify_signature
from tests.fakes.services import (
    FakeService,
    closed_port,
    opsgenie,
    pagerduty,
    serve,
    silent_port,
    slack,
    teams,
    webhook_receiver,
)
from tests.fakes.smtp import smtp_server, tls_certificate

ROUTING_KEY = "R0123456789abcdef0123456789abcde"


def make(kind: str = "trigger", **overrides: object) -> Notification:
    base: dict[str, object] = {
        "kind": kind,
        "title": "ValueError: <bad> & worse",
        "text": "in checkout at shop/cart.py:42",
        "dedup_key": "rule-7:issue-123",
        "project": "shop",
        "short_id": "SHOP-1A",
        "level": "error",
        "severity": "P0",
        "environment": "production",
        "event_count": 5,
        "url": "https://faultbox.example/projects/shop/issues/123",
    }
    base.update(overrides)
    return Notification(**base)  # type: ignore[arg-type]


@pytest.fixture
def pd() -> Iterator[FakeService]:
    with serve(FakeService(pagerduty)) as service:
        yield service


@pytest.fixture
def og() -> Iterator[FakeService]:
    with serve(FakeService(opsgenie)) as service:
        yield service


@pytest.fixture
def sl() -> Iterator[FakeService]:
    with serve(FakeService(slack)) as service:
        yield service


def send_pd(service: FakeService, n: Notification) -> object:
    return CHANNELS["pagerduty"].send(
        n, {"events_url": f"{service.url}/v2/enqueue"}, {"routing_key": ROUTING_KEY}, timeout=5
    )


# -- PagerDuty ---------------------------------------------------------------------------


def test_pagerduty_trigger_acknowledge_resolve_share_the_dedup_key(pd: FakeService) -> None:
    for kind in ("trigger", "acknowledge", "resolve"):
        result = CHANNELS["pagerduty"].send(
            make(kind), {"events_url": f"{pd.url}/v2/enqueue"}, {"routing_key": ROUTING_KEY}
        )
        assert result.ok and result.status_code == 202, result
        assert json.loads(result.response) == {
            "status": "success",
            "message": "Event processed",
            "dedup_key": "rule-7:issue-123",
        }
    sent = [r.json() for r in pd.requests]
    assert [b["event_action"] for b in sent] == ["trigger", "acknowledge", "resolve"]
    assert {b["dedup_key"] for b in sent} == {"rule-7:issue-123"}
    assert sent[0]["payload"]["severity"] == "critical"
    assert pd.requests[0].headers["content-type"] == "application/json"


def test_pagerduty_invalid_event_is_permanent(pd: FakeService) -> None:
    # A routing key longer than the service takes: the fake's own validation answers 400.
    result = CHANNELS["pagerduty"].send(
        make(), {"events_url": f"{pd.url}/v2/enqueue"}, {"routing_key": "x" * 100}
    )
    assert not result.ok and result.permanent and result.status_code == 400
    assert json.loads(result.response)["status"] == "invalid event"


def test_pagerduty_5xx_then_success(pd: FakeService) -> None:
    pd.fail(2, 503, b"Service Unavailable")
    first, second, third = (send_pd(pd, make()) for _ in range(3))
    for result in (first, second):
        assert not result.ok and not result.permanent and result.status_code == 503  # type: ignore[attr-defined]
    assert third.ok  # type: ignore[attr-defined]
    assert len(pd.requests) == 3


def test_pagerduty_429_is_transient_with_retry_after(pd: FakeService) -> None:
    throttled = b'{"status":"throttle event","message":"Requests are arriving too quickly."}'
    pd.fail(1, 429, throttled, {"Retry-After": "30"})
    result = send_pd(pd, make())
    assert not result.ok and result.transient and result.retry_after == 30.0  # type: ignore[attr-defined]
    assert result.status_code == 429  # type: ignore[attr-defined]


def test_timeout_and_connection_refused_are_transient() -> None:
    channel = CHANNELS["pagerduty"]
    with silent_port() as url:
        result = channel.send(
            make(), {"events_url": url}, {"routing_key": ROUTING_KEY}, timeout=0.2
        )
    assert not result.ok and result.transient and result.status_code is None
    assert result.response.startswith("timeout")
    result = channel.send(
        make(), {"events_url": closed_port()}, {"routing_key": ROUTING_KEY}, timeout=2
    )
    assert not result.ok and result.transient and result.status_code is None
    assert result.response.startswith("connection error")


def test_response_excerpt_is_bounded(pd: FakeService) -> None:
    pd.fail(1, 500, b"x" * 100_000)
    result = send_pd(pd, make())
    assert len(result.response.encode()) <= 2048  # type: ignore[attr-defined]


# -- Opsgenie ----------------------------------------------------------------------------


def test_opsgenie_create_acknowledge_close_by_alias(og: FakeService) -> None:
    config, secrets = {"api_url": og.url}, {"api_key": "key-1"}
    for kind in ("trigger", "acknowledge", "resolve"):
        result = CHANNELS["opsgenie"].send(make(kind), config, secrets)
        assert result.ok and result.status_code == 202, result
        assert json.loads(result.response)["result"] == "Request will be processed"
    create, ack, close = og.requests
    assert create.path == "/v2/alerts" and create.json()["alias"] == "rule-7:issue-123"
    assert create.json()["priority"] == "P1"
    assert unquote(ack.path) == "/v2/alerts/rule-7:issue-123/acknowledge"
    assert unquote(close.path) == "/v2/alerts/rule-7:issue-123/close"
    assert close.query == {"identifierType": ["alias"]}
    assert {r.headers["authorization"] for r in og.requests} == {"GenieKey key-1"}


def test_opsgenie_failures(og: FakeService) -> None:
    config, secrets = {"api_url": og.url}, {"api_key": "key-1"}
    og.fail(1, 401, b'{"message":"Could not authenticate","took":0.0}')
    og.fail(1, 429, b'{"message":"Too many requests"}', {"Retry-After": "7"})
    og.fail(1, 502, b"Bad Gateway")
    unauthorized, limited, down, ok = (
        CHANNELS["opsgenie"].send(make(), config, secrets) for _ in range(4)
    )
    assert unauthorized.permanent and unauthorized.status_code == 401
    assert limited.transient and limited.retry_after == 7.0
    assert down.transient and down.status_code == 502
    assert ok.ok


def test_opsgenie_region_picks_the_base_url() -> None:
    from faultbox.alerts.channels.opsgenie import API_URLS

    assert API_URLS["eu"] == "https://api.eu.opsgenie.com"
    result = CHANNELS["opsgenie"].send(make(), {"region": "moon"}, {"api_key": "k"})
    assert result.permanent


# -- Slack and Teams ---------------------------------------------------------------------


def test_slack_delivery_and_its_errors(sl: FakeService) -> None:
    good = {"webhook_url": f"{sl.url}/services/T000/B000/XXXX"}
    result = CHANNELS["slack"].send(make(items=(DigestItem("a"),)), {}, good)
    assert result.ok and result.status_code == 200 and result.response == "ok"
    assert sl.answers[-1][0] == 200
    wrong = CHANNELS["slack"].send(make(), {}, {"webhook_url": f"{sl.url}/hooks/nothing"})
    assert wrong.permanent and wrong.status_code == 404 and wrong.response == "no_service"
    sl.fail(1, 400, b"invalid_payload")
    bad = CHANNELS["slack"].send(make(), {}, good)
    assert bad.permanent and bad.response == "invalid_payload"
    sl.fail(1, 429, b"rate_limited", {"Retry-After": "1"})
    limited = CHANNELS["slack"].send(make(), {}, good)
    assert limited.transient and limited.retry_after == 1.0


def test_teams_delivery() -> None:
    with serve(FakeService(teams)) as service:
        result = CHANNELS["teams"].send(make("test"), {}, {"webhook_url": f"{service.url}/wf"})
        assert result.ok and result.status_code == 202
        body = service.requests[0].json()
        assert body["attachments"][0]["content"]["body"][0]["text"].startswith("Test: ")


# -- webhook -----------------------------------------------------------------------------


def test_webhook_is_signed_and_carries_an_idempotency_key() -> None:
    clock.pin(1_800_000_000.0)
    try:
        with serve(FakeService(webhook_receiver("s3cret"))) as service:
            secrets = {"url": f"{service.url}/hook", "secret": "s3cret"}
            assert CHANNELS["webhook"].send(make("resolve"), {}, secrets).ok
            wrong = CHANNELS["webhook"].send(make(), {}, {**secrets, "secret": "nope"})
            assert wrong.permanent and wrong.status_code == 401
        req = service.requests[0]
        assert req.headers["idempotency-key"] == "rule-7:issue-123-resolve"
        assert req.headers["x-faultbox-timestamp"] == "1800000000"
        assert verify_signature(
            req.body,
            req.headers["x-faultbox-signature"],
            "s3cret",
            timestamp=req.headers["x-faultbox-timestamp"],
            tolerance=300,
        )
        body = req.json()
        assert body["notification"]["kind"] == "resolve"
        assert body["notification"]["dedup_key"] == "rule-7:issue-123"
    finally:
        clock.pin(None)


# -- email over real SMTP ----------------------------------------------------------------


def test_email_through_a_real_smtp_server() -> None:
    with smtp_server(users={"alerts": "pw"}) as mailbox:
        config = {
            "host": "127.0.0.1",
            "port": mailbox.port,
            "security": "none",
            "username": "alerts",
            "from_addr": "alerts@faultbox.local",
            "to": ["oncall@example.com", "lead@example.com"],
            "domain": "faultbox.example",
        }
        result = CHANNELS["email"].send(make(), config, {"password": "pw"}, timeout=5)
        assert result.ok and result.status_code == 250, result
        assert mailbox.logins == [("alerts", "pw")]
        denied = CHANNELS["email"].send(make(), config, {"password": "wrong"}, timeout=5)
        assert denied.permanent and denied.status_code == 535
    (received,) = mailbox.received
    assert received.rcpt_tos == ["oncall@example.com", "lead@example.com"]
    msg = received.message()
    assert msg["Subject"] == "ValueError: <bad> & worse"
    assert msg["X-Faultbox-Dedup-Key"] == "rule-7:issue-123"
    assert msg["List-Id"] == "Faultbox shop alerts <shop.alerts.faultbox.example>"
    assert msg["Message-ID"].endswith("@faultbox.example>")
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None and html is not None
    assert "ValueError: <bad> & worse" in plain.get_content()
    assert "ValueError: &lt;bad&gt; &amp; worse" in html.get_content()


def test_email_digest_through_smtp() -> None:
    items = tuple(
        DigestItem(f"Error {i}", url=f"https://f/{i}", event_count=i) for i in range(1, 4)
    )
    with smtp_server() as mailbox:
        config = {"host": "127.0.0.1", "port": mailbox.port, "security": "none",
                  "from_addr": "a@faultbox.local", "to": "o@example.com"}  # fmt: skip
        assert CHANNELS["email"].send(make(items=items, title="storm"), config, {}).ok
    msg = mailbox.received[0].message()
    assert msg["Subject"] == "3 issues: storm"
    html = msg.get_body(("html",))
    assert html is not None and html.get_content().count("<li>") == 3


def test_email_failures_are_classified() -> None:
    with smtp_server() as mailbox:
        mailbox.refuse = {
            "gone@example.com": "550 5.1.1 No such user",
            "busy@example.com": "451 4.3.0 Try again later",
        }
        base = {
            "host": "127.0.0.1",
            "port": mailbox.port,
            "security": "none",
            "from_addr": "a@f.local",
        }
        gone = CHANNELS["email"].send(make(), {**base, "to": "gone@example.com"}, {})
        busy = CHANNELS["email"].send(make(), {**base, "to": "busy@example.com"}, {})
        no_tls = CHANNELS["email"].send(
            make(), {**base, "security": "starttls", "to": "o@e.com"}, {}
        )
    assert gone.permanent and gone.status_code == 550
    assert busy.transient and busy.status_code == 451
    assert no_tls.permanent  # the server offers no STARTTLS: never fall back to plain text
    port = int(closed_port().rsplit(":", 1)[1])
    refused = CHANNELS["email"].send(make(), {**base, "port": port, "to": "o@e.com"}, {}, timeout=2)
    assert refused.transient and refused.status_code is None
    assert mailbox.received == []


def test_email_over_starttls_and_smtps_with_a_private_ca(tmp_path: Path) -> None:
    with tls_certificate(tmp_path) as (server_context, ca_file):
        base = {"host": "127.0.0.1", "from_addr": "a@faultbox.local", "to": "o@example.com"}
        with smtp_server(users={"alerts": "pw"}, starttls=server_context) as mailbox:
            config = {**base, "port": mailbox.port, "security": "starttls", "ca_file": ca_file}
            result = CHANNELS["email"].send(
                make(), {**config, "username": "alerts"}, {"password": "pw"}
            )
            assert result.ok, result
            assert mailbox.logins == [("alerts", "pw")]  # AUTH only after STARTTLS
            untrusted = CHANNELS["email"].send(make(), {**config, "ca_file": ""}, {})
            assert untrusted.permanent and "CERTIFICATE_VERIFY_FAILED" in untrusted.response
        with smtp_server(implicit_tls=server_context) as smtps:
            config = {**base, "port": smtps.port, "security": "ssl", "ca_file": ca_file}
            assert CHANNELS["email"].send(make(), config, {}).ok
    assert len(mailbox.received) == 1 and len(smtps.received) == 1
    assert smtps.received[0].message()["X-Faultbox-Dedup-Key"] == "rule-7:issue-123"
    missing = CHANNELS["email"].send(make(), {**config, "ca_file": str(tmp_path / "nope.pem")}, {})
    assert missing.permanent and missing.response.startswith("email: ca_file")


def test_secrets_never_appear_in_recorded_responses(sl: FakeService) -> None:
    hook = f"{sl.url}/services/T000/B000/SECRETTOKEN"
    sl.fail(1, 500, f"upstream said: bad hook {hook}".encode())
    result = CHANNELS["slack"].send(make(), {}, {"webhook_url": hook})
    assert result.transient and "SECRETTOKEN" not in result.response
    assert "[redacted]" in result.response


def test_redirects_are_not_followed() -> None:
    moved = FakeService(lambda req: (301, b"", {"Location": "http://127.0.0.1:1/elsewhere"}))
    with serve(moved) as service:
        result = CHANNELS["teams"].send(make(), {}, {"webhook_url": f"{service.url}/wf"})
    assert result.permanent and result.status_code == 301 and len(service.requests) == 1


def test_teams_connector_failure_inside_a_200_is_a_retry() -> None:
    with serve(FakeService(teams)) as service:
        service.fail(
            1,
            200,
            b"Webhook message delivery failed with error: Microsoft Teams endpoint returned "
            b"HTTP error 429 with ContextId tcid=0,server=msgapi-production",
        )
        throttled = CHANNELS["teams"].send(make(), {}, {"webhook_url": f"{service.url}/wh"})
        assert not throttled.ok and throttled.transient and throttled.status_code == 200
        assert CHANNELS["teams"].send(make(), {}, {"webhook_url": f"{service.url}/wh"}).ok


def test_email_server_that_never_greets_is_a_transient_timeout() -> None:
    with silent_port() as url:
        port = int(url.rsplit(":", 1)[1])
        config = {"host": "127.0.0.1", "port": port, "security": "none",
                  "from_addr": "a@f.local", "to": "o@e.com"}  # fmt: skip
        result = CHANNELS["email"].send(make(), config, {}, timeout=0.2)
    assert not result.ok and result.transient and "timed out" in result.response
