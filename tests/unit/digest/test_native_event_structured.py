"""native_to_event with the structured fields: the frames a client captured become the
same Event frames a Sentry payload's would, so both group into one issue."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from faultbox.digest.grouping import group_event
from faultbox.digest.native_event import native_to_event
from faultbox.digest.normalize import normalize_sentry
from faultbox.ingest.errors import BadRequest
from faultbox.ingest.native import validate_native_error
from faultbox.model import Event, event_to_dict
from faultbox.queue.base import IngestMeta
from tests.unit.ingest.test_ingest_native_structured import structured

RECEIVED = 1_800_000_000.0
EVENT_ID = "fedcba9876543210fedcba9876543210"
MINIMAL = {"errorCode": "E", "errorType": "ZeroDivisionError", "message": "division by zero"}

# As sentry-sdk sends them: oldest first, module names, source lines, locals.
FRAMES: list[dict[str, Any]] = [
    {
        "filename": "shop/views.py",
        "abs_path": "/srv/app/releases/101/shop/views.py",
        "module": "shop.views",
        "function": "checkout",
        "lineno": 40,
        "context_line": "    return charge(amount)",
        "pre_context": ["def checkout(amount):"],
        "post_context": [],
        "in_app": True,
        "vars": {"amount": 0},
    },
    {
        "filename": "shop/payments.py",
        "abs_path": "/srv/app/releases/101/shop/payments.py",
        "module": "shop.payments",
        "function": "charge",
        "lineno": 12,
        "context_line": "    return 100 / amount",
        "in_app": True,
        "vars": {"amount": 0, "basket": {"sku": "A-17"}},
    },
]


def native(payload: dict[str, Any], meta: IngestMeta | None = None) -> Event:
    cleaned = validate_native_error({**MINIMAL, **payload}, None)  # as ingest hands it over
    return native_to_event(
        cleaned,
        project_id=3,
        event_id=EVENT_ID,
        received_at=RECEIVED,
        meta=meta or IngestMeta(),
    )


def sentry(payload: dict[str, Any]) -> Event:
    return normalize_sentry(
        payload, project_id=3, event_id=EVENT_ID, received_at=RECEIVED, meta=IngestMeta()
    )


def sentry_payload(frames: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "platform": "python",
        "exception": {
            "values": [
                {
                    "type": "ZeroDivisionError",
                    "value": "division by zero",
                    "stacktrace": {"frames": frames},
                    "mechanism": {"type": "generic", "handled": True},
                }
            ]
        },
    }


def native_payload(frames: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "platform": "python",
        "exception": {
            "type": "ZeroDivisionError",
            "value": "division by zero",
            "frames": frames,
            "mechanism": {"type": "generic", "handled": True},
        },
    }


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_same_frames_group_as_a_sentry_payload(version: str) -> None:
    from_sentry, from_native = sentry(sentry_payload(FRAMES)), native(native_payload(FRAMES))
    assert from_native.exceptions == from_sentry.exceptions
    assert from_native.platform == from_sentry.platform == "python"
    a = group_event(from_sentry, version=version).grouping
    b = group_event(from_native, version=version).grouping
    assert (b.hash, b.title, b.culprit) == (a.hash, a.title, a.culprit)
    assert "shop.payments" in (b.culprit or "")


def test_another_deploy_path_is_the_same_issue_and_another_line_is_not() -> None:
    moved = [{**f, "abs_path": f["abs_path"].replace("101", "102")} for f in FRAMES]
    renumbered = [{**f, "lineno": f["lineno"] + 7} for f in FRAMES]
    other_bug = [*FRAMES[:-1], {**FRAMES[-1], "context_line": "    return total / amount"}]
    base = group_event(native(native_payload(FRAMES))).grouping.hash
    assert group_event(native(native_payload(moved))).grouping.hash == base
    assert group_event(native(native_payload(renumbered))).grouping.hash == base
    assert group_event(native(native_payload(other_bug))).grouping.hash != base


def test_structured_frames_win_over_the_text_trace() -> None:
    text = 'Traceback (most recent call last):\n  File "/x.py", line 1, in other\nX: y\n'
    event = native({**native_payload(FRAMES), "stackTrace": text})
    assert [f.function for f in event.exceptions[-1].frames] == ["checkout", "charge"]
    # An exception without frames leaves the text trace to give them.
    event = native({"exception": {"type": "ZeroDivisionError"}, "stackTrace": text})
    assert [f.function for f in event.exceptions[-1].frames] == ["other"]


def test_causes_come_first_and_the_contract_fills_what_is_left_out() -> None:
    event = native(
        {
            "errorType": "shop.errors.PaymentError",
            "message": "payment failed",
            "exception": {
                "module": "shop.errors",
                "frames": FRAMES,
                "chained": [{"type": "KeyError", "value": "'card'", "frames": FRAMES[:1]}],
            },
        }
    )
    cause, main = event.exceptions
    assert (cause.type, cause.value, len(cause.frames)) == ("KeyError", "'card'", 1)
    assert (main.type, main.module, main.value) == ("PaymentError", "shop.errors", "payment failed")


def test_platform_from_the_field_or_the_source_type() -> None:
    js = [{"filename": "https://shop.example/app.js", "function": "onClick", "lineno": 1}]
    assert native({"platform": "node", "exception": {"frames": js}}).platform == "node"
    assert native({"sourceType": "frontend_web", "exception": {"frames": js}}).platform == (
        "javascript"
    )
    assert native({"exception": {"frames": js}}).platform == "other"


def test_release_environment_tags_and_breadcrumbs() -> None:
    event = native(
        {
            "release": "shop@2.0.0",
            "environment": "eu-prod",
            "serviceName": "payments",
            "tags": {"region": "eu", "service": "from-tags", "error_code": "X"},
            "breadcrumbs": [
                {"timestamp": "2026-11-20T10:00:00Z", "category": "ui", "message": "opened"},
                {"timestamp": 1_700_000_000, "level": "log", "type": "http", "data": {"a": 1}},
            ],
        },
        meta=IngestMeta(sent_at=RECEIVED - 5),  # the client's clock runs 5 s behind
    )
    assert event.release == "shop@2.0.0" and event.environment == "eu-prod"
    # The contract's own fields win over a tag of the same name.
    assert event.tags == {"region": "eu", "service": "payments", "error_code": "E"}
    first, second = event.breadcrumbs
    assert first["message"] == "opened" and first["category"] == "ui"
    assert first["timestamp"] == pytest.approx(1_795_168_800.0 + 5)
    assert (second["type"], second["level"], second["data"]) == ("http", "info", {"a": 1})
    assert second["timestamp"] == pytest.approx(1_700_000_005.0)


def test_the_old_fields_map_as_before() -> None:
    event = native({"environment": "production", "stackTrace": ""})
    assert event.environment == "production" and event.release is None
    assert event.breadcrumbs == () and event.tags == {"error_code": "E"}


@given(structured)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=200)
def test_whatever_validates_maps_to_an_event(fields: dict[str, Any]) -> None:
    payload = orjson.loads(orjson.dumps({**MINIMAL, **fields}))
    try:
        cleaned = validate_native_error(payload, None)
    except BadRequest:
        return
    event = native_to_event(
        orjson.loads(orjson.dumps(cleaned)),  # what the digest reads back from the queue
        project_id=3,
        event_id=EVENT_ID,
        received_at=RECEIVED,
        meta=IngestMeta(),
    )
    orjson.dumps(event_to_dict(event))
    group_event(event)
