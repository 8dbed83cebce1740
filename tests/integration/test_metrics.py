"""GET /metrics through HTTP: what the official sentry-sdk sends shows up as counted,
queued, digested, dead-lettered and delivered, in Prometheus's own text format."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest
import sentry_sdk
from prometheus_client.parser import text_string_to_metric_families

from tests.fakes.services import FakeService, serve, slack
from tests.support import LiveServer, wait_for

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

ERRORS_ACCEPTED = ("faultbox_ingest_items_total", (("category", "error"),
                   ("outcome", "accepted"), ("reason", "")))  # fmt: skip
DIGEST_COUNT = ("faultbox_digest_latency_seconds_count", ())


def scrape(server: LiveServer, token: str | None = None) -> Samples:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(server.url + "/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


def scrape_until(
    server: LiveServer, done: Callable[[Samples], bool], timeout: float = 15.0
) -> Samples:
    """Scrape until ``done`` holds (the digest records a batch just after its commit)."""
    found: Samples = wait_for(lambda: (s := scrape(server)) and done(s) and s, timeout)
    return found


def parse(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def grown(before: Samples, after: Samples, key: tuple[str, tuple[tuple[str, str], ...]]) -> float:
    return after.get(key, 0.0) - before.get(key, 0.0)


@pytest.fixture
def sdk(live_server: LiveServer) -> Iterator[LiveServer]:
    sentry_sdk.init(dsn=live_server.dsn, default_integrations=False, auto_session_tracking=False)
    yield live_server
    sentry_sdk.get_client().close(timeout=5)


def test_sdk_events_are_counted_at_ingest_and_in_the_digest(sdk: LiveServer) -> None:
    before = scrape(sdk)
    for n in range(5):
        sentry_sdk.capture_message(f"metrics test message {n}")
    sentry_sdk.flush(timeout=10)
    sdk.wait_events(5)
    after = scrape_until(sdk, lambda s: grown(before, s, DIGEST_COUNT) >= 5)

    assert grown(before, after, ERRORS_ACCEPTED) == 5
    assert grown(before, after, ("faultbox_ingest_responses_total", (("code", "200"),))) == 5
    assert grown(before, after, ("faultbox_ingest_request_duration_seconds_count", ())) == 5
    assert grown(before, after, DIGEST_COUNT) == 5
    assert grown(before, after, ("faultbox_digest_events_stored_total", ())) == 5
    # Digested within the largest bucket: every observation is counted there.
    assert grown(before, after, ("faultbox_digest_latency_seconds_bucket", (("le", "+Inf"),))) == 5
    assert after[("faultbox_queue_depth", ())] == 0
    assert after[("faultbox_queue_lag_seconds", ())] == 0
    assert after[("process_resident_memory_bytes", ())] > 0
    assert after[("faultbox_dead_letters", ())] == 0


def test_queue_depth_and_lag_while_the_digest_is_held(
    sdk: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = sdk.app.state.worker
    held = threading.Event()

    def claim_nothing() -> int:
        held.set()
        return 0

    monkeypatch.setattr(worker, "run_once", claim_nothing)
    # A batch the worker had begun before the patch is over once the patch is called.
    assert held.wait(10)
    for n in range(3):
        sentry_sdk.capture_message(f"held message {n}")
    sentry_sdk.flush(timeout=10)
    queued = scrape_until(sdk, lambda s: s[("faultbox_queue_depth", ())] >= 3)
    assert queued[("faultbox_queue_depth", ())] == 3
    assert queued[("faultbox_queue_lag_seconds", ())] >= 0
    assert sdk.event_count() == 0
    monkeypatch.undo()
    sdk.wait_events(3)
    scrape_until(sdk, lambda s: s[("faultbox_queue_depth", ())] == 0)


def test_a_poison_event_shows_as_a_dead_letter(live_server: LiveServer) -> None:
    before = scrape(live_server)
    # Accepted at the edge, refused by the digest: a user report without its comments.
    report = b'{"event_id":"%032x","name":"Ada"}' % 7
    body = b"\n".join([b"{}", b'{"type":"user_report"}', report])
    response = live_server.post(
        f"/api/{live_server.project.id}/envelope/", body, live_server.auth_header()
    )
    assert response.status_code == 200, response.text
    dead_total = ("faultbox_digest_dead_letters_total", ())
    after = scrape_until(live_server, lambda s: grown(before, s, dead_total) >= 1)
    assert after[("faultbox_dead_letters", ())] == 1
    assert grown(before, after, dead_total) == 1
    assert grown(before, after, ("faultbox_digest_events_stored_total", ())) == 0


@pytest.fixture
def chat() -> Iterator[FakeService]:
    with serve(FakeService(slack)) as service:
        yield service


def _api(server: LiveServer, path: str, body: Any) -> None:
    token = server.admin_token(["project:read", "alerts:read", "alerts:write"])
    made = httpx.post(
        server.url + f"/api/v1/projects/{server.project.slug}/{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert made.status_code == 201, made.text


def test_alert_deliveries_by_status(sdk: LiveServer, chat: FakeService) -> None:
    _api(
        sdk,
        "alert-channels",
        {
            "name": "ops chat",
            "kind": "slack",
            "role": "chat",
            "secrets": {"webhook_url": f"{chat.url}/services/T1/B1/token"},
        },
    )
    _api(sdk, "alert-rules", {"name": "new errors", "condition": "new_issue", "severity": "P2"})
    before = scrape(sdk)
    assert before[("faultbox_alert_deliveries", (("status", "sent"),))] == 0
    try:
        raise KeyError("sku-4711")
    except KeyError:
        sentry_sdk.capture_exception()
    sentry_sdk.flush(timeout=10)
    sent = ("faultbox_alert_deliveries", (("status", "sent"),))
    after = scrape_until(sdk, lambda s: s[sent] == 1, 20)
    assert after[("faultbox_alert_deliveries", (("status", "failed"),))] == 0
    sends = ("faultbox_alert_sends_total", (("channel", "slack"), ("result", "sent")))
    assert grown(before, after, sends) == 1
    assert "KeyError" in orjson.dumps(chat.requests[0].json()).decode()


def test_the_metrics_token_guards_the_endpoint(sqlite_server: LiveServer) -> None:
    state = sqlite_server.app.state
    state.settings = dataclasses.replace(state.settings, metrics_token="s3cret-scrape")
    url = sqlite_server.url + "/metrics"

    missing = httpx.get(url, timeout=10)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "faultbox_" not in missing.text
    for wrong in ("Bearer s3cret", "Bearer s3cret-scrape2", "s3cret-scrape", "Basic s3cret-scrape"):
        assert httpx.get(url, headers={"Authorization": wrong}, timeout=10).status_code == 401

    families = {f.name for f in text_string_to_metric_families(scrape_text(url, "s3cret-scrape"))}
    assert {"faultbox_ingest_items", "faultbox_queue_depth", "faultbox_build_info"} <= families


def scrape_text(url: str, token: str) -> str:
    response = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200, response.text
    return response.text


def test_rejected_items_are_counted_with_their_reason(sqlite_server: LiveServer) -> None:
    before = scrape(sqlite_server)
    # A transaction is acknowledged but not stored: dropped, reason not_stored.
    body = b"\n".join([b"{}", b'{"type":"transaction"}', b'{"type":"transaction"}'])
    response = sqlite_server.post(
        f"/api/{sqlite_server.project.id}/envelope/", body, sqlite_server.auth_header()
    )
    assert response.status_code == 200, response.text
    after = scrape(sqlite_server)
    dropped = (
        "faultbox_ingest_items_total",
        (("category", "transaction"), ("outcome", "dropped"), ("reason", "not_stored")),
    )
    assert grown(before, after, dropped) == 1
    assert grown(before, after, ERRORS_ACCEPTED) == 0
