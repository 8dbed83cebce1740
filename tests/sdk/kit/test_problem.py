"""The problem builder and the request-id and traceparent readers, by property."""

from __future__ import annotations

import json
import string

from hypothesis import given
from hypothesis import strategies as st

from faultbox_sdk import errors
from faultbox_sdk.problem import TYPE_BASE, problem_for
from faultbox_sdk.request_context import (
    MAX_BODY,
    RequestInfo,
    parse_traceparent,
    sanitize_request_id,
    sanitized_body,
    sanitized_headers,
)

SAFE = string.ascii_letters + string.digits + "._:-"


@given(st.text(max_size=300))
def test_a_request_id_is_kept_only_when_short_and_safe(value: str) -> None:
    result = sanitize_request_id(value)
    if result is not None:
        assert result == value.strip()
        assert 1 <= len(result) <= 128 and set(result) <= set(SAFE)
    else:
        stripped = value.strip()
        assert not stripped or len(stripped) > 128 or not set(stripped) <= set(SAFE)


@given(st.text(alphabet=SAFE, min_size=1, max_size=128))
def test_every_safe_request_id_is_kept(value: str) -> None:
    assert sanitize_request_id(value) == value


@given(
    st.sampled_from([cls for cls in errors.ALL_ERRORS]),
    st.one_of(st.none(), st.text(max_size=200)),
    st.dictionaries(st.text(max_size=10), st.integers(), max_size=3),
    st.booleans(),
)
def test_an_app_error_becomes_a_well_formed_problem(
    cls: type[errors.AppError], detail: str | None, details: dict[str, int], debug: bool
) -> None:
    exc = cls(detail, details=details)
    problem = problem_for(exc, debug=debug)
    body = json.loads(problem.encode(instance="/x", request_id="r1"))
    assert body["status"] == cls.status_code and 400 <= body["status"] <= 599
    assert body["type"] == TYPE_BASE + cls.error_code
    assert body["title"] == cls.title and body["error_code"] == cls.error_code
    assert body["detail"] == (detail or cls.title)
    assert body["instance"] == "/x" and body["request_id"] == "r1"
    assert body.get("details") == (details or None)
    assert ("debug" in body) == debug
    assert problem.reportable == (cls.status_code >= 500)


@given(st.text(max_size=200))
def test_an_unexpected_exception_never_shows_its_text(message: str) -> None:
    body = problem_for(ValueError(message)).body(instance="/", request_id=None)
    assert body == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "Internal Server Error",
        "instance": "/",
        "error_code": "internal_error",
    }


def test_an_out_of_range_status_is_a_500() -> None:
    assert problem_for(errors.AppError("x", status_code=302)).status == 500
    assert problem_for(errors.AppError("x", status_code=418)).status == 418


@given(st.text(max_size=80))
def test_a_traceparent_is_read_only_when_valid(value: str) -> None:
    parsed = parse_traceparent(value)
    if parsed is not None:
        trace_id, span_id = parsed
        assert len(trace_id) == 32 and len(span_id) == 16


def test_traceparent_examples() -> None:
    good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert parse_traceparent(good) == ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
    assert parse_traceparent("00-" + "0" * 32 + "-00f067aa0ba902b7-01") is None
    assert parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-" + "0" * 16 + "-01") is None
    assert parse_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") is None
    assert parse_traceparent("00-4bf92f35-00f067aa0ba902b7-01") is None


def test_secret_headers_are_filtered_and_the_rest_kept() -> None:
    headers = sanitized_headers(
        [
            ("authorization", "Bearer t0ken"),
            ("cookie", "sessionid=abc"),
            ("x-api-key", "k3y"),
            ("accept", "application/json"),
        ]
    )
    assert headers == {
        "Authorization": "[Filtered]",
        "Cookie": "[Filtered]",
        "X-Api-Key": "[Filtered]",
        "Accept": "application/json",
    }


def test_bodies_are_scrubbed_bounded_and_binary_is_not_kept() -> None:
    body = b'{"user": "ada", "password": "hunter2"}'
    assert sanitized_body(body, "application/json") == '{"user":"ada","password":"[Filtered]"}'
    assert sanitized_body(b"user=ada&token=abc", "application/x-www-form-urlencoded") == (
        "user=ada&token=[Filtered]"
    )
    assert sanitized_body(b"\x89PNG...", "image/png") == "[7 bytes of image/png]"
    info = RequestInfo("r")
    big = b'{"a": "' + b"x" * (MAX_BODY * 2) + b'", "password": "hunter2"}'
    info.keep_body(big[:100])
    info.keep_body(big[100:])
    assert len(info.body) == MAX_BODY and info.body_truncated
    cut = b'{"password": "hunter2", "note": "' + b"y" * MAX_BODY
    text = sanitized_body(cut[:MAX_BODY], "application/json", truncated=True)
    assert text is not None and "hunter2" not in text and text.endswith("…")


def test_a_request_knows_its_raw_secrets_to_hide_them_anywhere() -> None:
    info = RequestInfo.from_headers(
        [("authorization", "Bearer abcd1234"), ("content-type", "application/json")],
        method="post",
        url="http://x/y",
        path="/y",
    )
    info.keep_body(b'{"login": {"password": "hunter2"}, "note": "fine"}')
    assert set(info.secrets()) == {"Bearer abcd1234", "abcd1234", "hunter2"}
