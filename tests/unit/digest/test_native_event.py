"""native_to_event: the /api/v1/errors payload mapped onto the Sentry-shaped model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultbox.digest.enrich import enrich_event
from faultbox.digest.native_event import native_to_event
from faultbox.digest.normalize import NormalizeError
from faultbox.model import Event, Level, event_to_dict
from faultbox.queue.base import IngestMeta

RECEIVED = 1_800_000_000.0
EVENT_ID = "fedcba9876543210fedcba9876543210"

JAVA_TRACE = """java.lang.IllegalStateException: cart is empty
\tat com.acme.shop.Checkout.pay(Checkout.java:42)
\tat com.acme.shop.Api.post(Api.java:7)
Caused by: java.io.IOException: connection reset
\tat com.acme.shop.Gateway.call(Gateway.java:88)
\t... 2 more
"""

PYTHON_TRACE = """Traceback (most recent call last):
  File "/srv/shop/checkout.py", line 12, in pay
    charge(cart)
  File "/srv/shop/gateway.py", line 30, in charge
    raise GatewayError("declined")
shop.gateway.GatewayError: declined
"""


def native(payload: dict[str, Any], meta: IngestMeta | None = None) -> Event:
    return native_to_event(
        payload, project_id=3, event_id=EVENT_ID, received_at=RECEIVED, meta=meta or IngestMeta()
    )


FULL = {
    "errorCode": "CHECKOUT_EMPTY",
    "errorType": "java.lang.IllegalStateException",
    "message": "cart is empty",
    "stackTrace": JAVA_TRACE,
    "appId": "shop",
    "sourceType": "backend",
    "serviceName": "checkout-api",
    "userId": "u-42",
    "sessionId": "s-9",
    "requestUrl": "https://shop.example.com/api/pay",
    "requestMethod": "POST",
    "requestHeaders": {"Content-Type": "application/json", "X-Retry": 2},
    "requestBody": {"cart": []},
    "responseStatusCode": 500,
    "environment": "production",
    "severity": "critical",
    "context": {"orderId": 17},
    "fingerprint": ["checkout", "empty-cart"],
    "occurredAt": "2026-11-22T10:00:00.250Z",
}


def test_full_payload() -> None:
    event = native(FULL)
    assert (event.event_id, event.project_id, event.source) == (EVENT_ID, 3, "native")
    assert event.level is Level.FATAL
    assert event.platform == "java"
    assert event.timestamp == datetime(2026, 11, 22, 10, 0, 0, 250000, UTC).timestamp()
    assert event.message == "cart is empty"
    assert event.tags == {
        "error_code": "CHECKOUT_EMPTY", "app_id": "shop", "source_type": "backend",
        "service": "checkout-api", "session_id": "s-9", "status_code": "500",
    }  # fmt: skip
    assert event.service == "checkout-api" and event.environment == "production"
    assert event.user == {"id": "u-42"}
    assert event.request == {
        "url": "https://shop.example.com/api/pay",
        "method": "POST",
        "headers": {"Content-Type": "application/json", "X-Retry": "2"},
        "data": {"cart": []},
    }
    assert event.contexts == {"response": {"status_code": 500}}
    assert event.extra == {"orderId": 17}
    assert event.fingerprint == ("checkout", "empty-cart")
    orjson.dumps(event_to_dict(event))


def test_stack_trace_gives_frames_and_causes_root_first() -> None:
    cause, main = native(FULL).exceptions
    assert (cause.type, cause.module, cause.value) == ("IOException", "java.io", "connection reset")
    # errorType names the same class the trace shows: kept split like sentry-java sends it.
    assert (main.type, main.module, main.value) == (
        "IllegalStateException",
        "java.lang",
        "cart is empty",
    )
    assert [f.function for f in main.frames] == ["post", "pay"]
    assert [f.function for f in cause.frames] == ["post", "pay", "call"]


def test_error_type_wins_over_the_parsed_type() -> None:
    event = native(
        {"errorType": "PaymentDeclined", "message": "card declined", "stackTrace": PYTHON_TRACE}
    )
    (main,) = event.exceptions
    assert (main.type, main.module, main.value) == ("PaymentDeclined", None, "card declined")
    assert [f.function for f in main.frames] == ["pay", "charge"]
    assert event.platform == "python"


def test_same_type_keeps_module() -> None:
    (main,) = native(
        {"errorType": "GatewayError", "message": "", "stackTrace": PYTHON_TRACE}
    ).exceptions
    assert (main.type, main.module, main.value) == ("GatewayError", "shop.gateway", "declined")


def test_no_stack_trace() -> None:
    event = native({"errorType": "TimeoutError", "message": "upstream timed out"})
    (exc,) = event.exceptions
    assert (exc.type, exc.value, exc.frames) == ("TimeoutError", "upstream timed out", ())
    assert event.platform == "other" and event.level is Level.ERROR
    assert event.timestamp == RECEIVED and event.user is None and event.request is None


def test_frontend_source() -> None:
    ua = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
    )
    payload = {
        "errorType": "TypeError",
        "message": "x is undefined",
        "sourceType": "frontend_web",
        "severity": "warning",
        "userAgent": ua,
        "browserInfo": {"name": "Chrome", "version": "120", "extra": None},
        "deviceInfo": "Pixel 8",
        "fingerprint": "checkout-js",
    }
    event = native(payload)
    assert event.platform == "javascript" and event.level is Level.WARNING
    assert event.contexts == {
        "browser": {"name": "Chrome", "version": "120"},
        "device": {"model": "Pixel 8"},
    }
    assert event.request == {"headers": {"User-Agent": ua}}
    assert event.fingerprint == ("checkout-js",)
    enriched = enrich_event(event)
    assert enriched.contexts["browser"] == {"name": "Chrome", "version": "120"}  # sent wins
    assert enriched.contexts["os"]["name"] == "Windows"
    assert enriched.tags["browser.name"] == "Chrome" and enriched.tags["os.name"] == "Windows"


def test_frontend_without_user_agent_uses_the_request_one() -> None:
    meta = IngestMeta(user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X)")
    event = native({"errorType": "E", "message": "m", "sourceType": "frontend_mobile"}, meta)
    assert event.request == {"headers": {"User-Agent": meta.user_agent}}
    backend = native({"errorType": "E", "message": "m", "sourceType": "backend"}, meta)
    assert backend.request is None  # the caller is a server, not the user's browser


def test_timestamp_drift_and_clamp() -> None:
    meta = IngestMeta(sent_at=RECEIVED - 60)
    assert native({"errorType": "E", "occurredAt": "2027-01-15T08:00:00Z"}, meta).timestamp == (
        datetime(2027, 1, 15, 8, 0, 0, tzinfo=UTC).timestamp() + 60
    )
    assert native({"errorType": "E", "occurredAt": "2999-01-01T00:00:00Z"}).timestamp == RECEIVED
    assert native({"errorType": "E", "occurredAt": "yesterday"}).timestamp == RECEIVED


@pytest.mark.parametrize(
    ("severity", "level"),
    [("debug", Level.DEBUG), ("info", Level.INFO), ("warning", Level.WARNING),
     ("error", Level.ERROR), ("critical", Level.FATAL), (None, Level.ERROR)],
)  # fmt: skip
def test_severity(severity: str | None, level: Level) -> None:
    assert native({"errorType": "E", "severity": severity}).level is level


def test_non_dict_context_is_kept_in_extra() -> None:
    assert native({"errorType": "E", "context": ["a", 1]}).extra == {"context": ["a", 1]}


@pytest.mark.parametrize("payload", [[], "x", None])
def test_non_objects_are_rejected(payload: Any) -> None:
    with pytest.raises(NormalizeError):
        native(payload)


FIELDS = [
    "errorCode", "errorType", "message", "stackTrace", "appId", "sourceType", "serviceName",
    "userId", "sessionId", "requestUrl", "requestMethod", "requestHeaders", "requestBody",
    "responseStatusCode", "environment", "severity", "context", "fingerprint", "browserInfo",
    "deviceInfo", "userAgent", "occurredAt", "release",
]  # fmt: skip
values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats() | st.text(max_size=60),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), values))
def test_never_raises(payload: dict[str, Any]) -> None:
    event = native(payload, IngestMeta(user_agent="curl/8", sent_at=RECEIVED - 1))
    assert event.source == "native" and isinstance(event.level, Level)
    enrich_event(event)
    orjson.dumps(event_to_dict(event), option=orjson.OPT_NON_STR_KEYS)
