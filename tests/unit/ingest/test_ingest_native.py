from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faultbox.ingest.errors import BadRequest
from faultbox.ingest.native import FIELDS, validate_native_batch, validate_native_error

MINIMAL = {"errorCode": "DB_TIMEOUT", "errorType": "TimeoutError", "message": "query timed out"}


def _with(**changes: Any) -> dict[str, Any]:
    return {**MINIMAL, **changes}


def _reason(obj: object, app_id: str | None = None) -> str:
    with pytest.raises(BadRequest) as info:
        validate_native_error(obj, app_id)
    assert info.value.status == 400
    return info.value.detail


def test_minimal_payload() -> None:
    assert validate_native_error(MINIMAL, None) == MINIMAL


def test_full_payload_keeps_every_field() -> None:
    full = _with(
        stackTrace="Traceback...",
        appId="chat",
        sourceType="frontend_web",
        serviceName="api",
        userId="user_1",
        sessionId="s1",
        requestUrl="https://x/y?z=1",
        requestMethod="POST",
        requestHeaders={"content-type": "application/json"},
        requestBody={"a": 1},
        responseStatusCode=504,
        environment="production",
        severity="critical",
        context={"k": [1, 2]},
        fingerprint=["db", "timeout"],
        browserInfo={"name": "Firefox"},
        deviceInfo={"model": "Pixel"},
        userAgent="Mozilla/5.0",
        occurredAt="2024-05-01T12:30:00Z",
        eventId="0123456789abcdef0123456789abcdef",
        release="shop@2.0.0",
        platform="python",
        tags={"region": "eu"},
        breadcrumbs=[{"message": "opened checkout", "category": "ui", "timestamp": 1.5}],
        exception={"type": "ValueError", "frames": [{"module": "shop", "lineno": 3}]},
    )
    cleaned = validate_native_error(full, "other-app")
    assert cleaned == {**full, "occurredAt": "2024-05-01T12:30:00+00:00"}
    assert set(cleaned) == {field.name for field in FIELDS}


def test_unknown_fields_are_dropped() -> None:
    assert validate_native_error(_with(extra=1, __proto__={}, ErrorCode="x"), None) == MINIMAL


def test_null_optional_fields_are_dropped() -> None:
    assert validate_native_error(_with(severity=None, context=None), None) == MINIMAL


@pytest.mark.parametrize("obj", [[], "x", None, 3, [MINIMAL]])
def test_body_must_be_an_object(obj: object) -> None:
    assert _reason(obj) == "body must be a JSON object"


@pytest.mark.parametrize("field", ["errorCode", "errorType", "message"])
def test_required_fields(field: str) -> None:
    missing = {k: v for k, v in MINIMAL.items() if k != field}
    assert _reason(missing) == f"{field} is required"
    assert _reason(_with(**{field: None})) == f"{field} is required"


def test_error_code_must_not_be_empty() -> None:
    assert _reason(_with(errorCode="")) == "errorCode must not be empty"
    assert _reason(_with(errorCode="   ")) == "errorCode must not be empty"
    assert validate_native_error(_with(message=""), None)["message"] == ""


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("errorCode", 100),
        ("errorType", 100),
        ("message", 5000),
        ("stackTrace", 50000),
        ("appId", 100),
        ("serviceName", 200),
        ("userId", 200),
        ("sessionId", 200),
        ("requestUrl", 4096),
        ("requestMethod", 16),
        ("userAgent", 1000),
        ("fingerprint", 200),
    ],
)
def test_string_length_limits(field: str, limit: int) -> None:
    assert validate_native_error(_with(**{field: "é" * limit}), None)[field] == "é" * limit
    reason = _reason(_with(**{field: "x" * (limit + 1)}))
    assert reason == f"{field} is longer than {limit} characters"


@pytest.mark.parametrize(
    "field",
    ["errorCode", "errorType", "message", "stackTrace", "appId", "userId", "requestMethod"],
)
def test_string_fields_reject_other_types(field: str) -> None:
    assert _reason(_with(**{field: 12})) == f"{field} must be a string"
    assert _reason(_with(**{field: ["x"]})) == f"{field} must be a string"


@pytest.mark.parametrize(
    ("field", "choices"),
    [
        ("sourceType", "backend, frontend_web, frontend_mobile"),
        ("severity", "debug, info, warning, error, critical"),
    ],
)
def test_enum_fields(field: str, choices: str) -> None:
    for choice in choices.split(", "):
        assert validate_native_error(_with(**{field: choice}), None)[field] == choice
    for bad in ("ERROR", "fatal", 3, ["error"], {"a": 1}):
        assert _reason(_with(**{field: bad})) == f"{field} must be one of {choices}"


@pytest.mark.parametrize("field", ["requestHeaders", "context", "browserInfo", "deviceInfo"])
def test_object_fields(field: str) -> None:
    assert validate_native_error(_with(**{field: {}}), None)[field] == {}
    for bad in ("x", [1], 3, True):
        assert _reason(_with(**{field: bad})) == f"{field} must be a JSON object"


def test_request_body_object_or_string() -> None:
    assert validate_native_error(_with(requestBody="raw"), None)["requestBody"] == "raw"
    assert validate_native_error(_with(requestBody={"a": 1}), None)["requestBody"] == {"a": 1}
    assert _reason(_with(requestBody=[1])) == "requestBody must be a JSON object or a string"


@pytest.mark.parametrize(("value", "expected"), [(100, 100), (599, 599), (500.0, 500)])
def test_status_code_valid(value: object, expected: int) -> None:
    assert validate_native_error(_with(responseStatusCode=value), None)["responseStatusCode"] == (
        expected
    )


@pytest.mark.parametrize("value", [99, 600, 0, -1, 500.5, "500", True, [500]])
def test_status_code_invalid(value: object) -> None:
    reason = _reason(_with(responseStatusCode=value))
    assert reason == "responseStatusCode must be an integer between 100 and 599"


def test_fingerprint_forms() -> None:
    assert validate_native_error(_with(fingerprint="a"), None)["fingerprint"] == "a"
    assert validate_native_error(_with(fingerprint=["a", "b"]), None)["fingerprint"] == ["a", "b"]
    assert (
        _reason(_with(fingerprint=["a", 1])) == "fingerprint must be a string or a list of strings"
    )
    assert _reason(_with(fingerprint={"a": 1})) == (
        "fingerprint must be a string or a list of strings"
    )
    assert _reason(_with(fingerprint=["a", "x" * 201])) == (
        "fingerprint[1] is longer than 200 characters"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T12:30:00Z", "2024-05-01T12:30:00+00:00"),
        ("2024-05-01T12:30:00.123456Z", "2024-05-01T12:30:00.123456+00:00"),
        ("2024-05-01T14:30:00+02:00", "2024-05-01T12:30:00+00:00"),
        ("2024-05-01T12:30:00", "2024-05-01T12:30:00+00:00"),  # naive means UTC
        ("2024-05-01 12:30:00.5", "2024-05-01T12:30:00.500000+00:00"),
        ("2024-05-01", "2024-05-01T00:00:00+00:00"),
    ],
)
def test_occurred_at_normalized_to_utc(value: str, expected: str) -> None:
    assert validate_native_error(_with(occurredAt=value), None)["occurredAt"] == expected


@pytest.mark.parametrize(
    "value", ["yesterday", "2024-13-01T00:00:00Z", "", "0001-01-01T00:00+01:00"]
)
def test_occurred_at_invalid(value: str) -> None:
    assert _reason(_with(occurredAt=value)).startswith("occurredAt is not an ISO 8601 timestamp")


def test_occurred_at_must_be_a_string() -> None:
    assert _reason(_with(occurredAt=1714566600)) == "occurredAt must be an ISO 8601 string"


def test_app_id_from_header() -> None:
    assert validate_native_error(MINIMAL, "chat")["appId"] == "chat"
    assert validate_native_error(_with(appId="body"), "chat")["appId"] == "body"
    assert "appId" not in validate_native_error(MINIMAL, "  ")
    assert _reason(MINIMAL, "x" * 101) == "X-App-Id header is longer than 100 characters"


def test_first_error_in_field_order_wins() -> None:
    assert _reason({"message": 1, "severity": "nope"}) == "errorCode is required"


@given(st.dictionaries(st.sampled_from([f.name for f in FIELDS] + ["x"]), st.from_type(object)))
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_random_payloads_only_raise_bad_request(obj: dict[str, Any]) -> None:
    try:
        cleaned = validate_native_error(obj, None)
    except BadRequest:
        return
    assert set(cleaned) <= {f.name for f in FIELDS}


# --- batch -------------------------------------------------------------------------------


def test_batch_per_item_results() -> None:
    bad = _with(severity="loud")
    results = validate_native_batch({"errors": [MINIMAL, bad, "nope"]}, "app")
    assert results == [
        (0, {**MINIMAL, "appId": "app"}, None),
        (1, None, "severity must be one of debug, info, warning, error, critical"),
        (2, None, "errors[2] must be a JSON object"),
    ]


def test_batch_accepts_a_bare_list() -> None:
    assert validate_native_batch([MINIMAL], None) == [(0, MINIMAL, None)]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"errors": []}, "errors must not be empty"),
        ([], "errors must not be empty"),
        ({"errors": MINIMAL}, "errors must be a list"),
        ({"errors": None}, "errors must be a list"),
        ({}, "errors is required"),
        ("x", 'body must be a JSON object like {"errors": [...]}'),
    ],
)
def test_batch_shape_errors(body: object, reason: str) -> None:
    with pytest.raises(BadRequest) as info:
        validate_native_batch(body, None)
    assert info.value.detail == reason


def test_batch_max_items() -> None:
    assert len(validate_native_batch([MINIMAL] * 3, None, max_items=3)) == 3
    with pytest.raises(BadRequest, match="^errors has 4 items, at most 3 are allowed$"):
        validate_native_batch([MINIMAL] * 4, None, max_items=3)
