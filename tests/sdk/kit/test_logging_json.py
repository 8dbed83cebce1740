"""The JSON log formatter: one parseable object per line, joined to the request."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from faultbox_sdk.handling import request_scope
from faultbox_sdk.logging_json import JsonFormatter
from faultbox_sdk.request_context import RequestInfo

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
def log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(service="checkout", environment="staging"))
    logger = logging.getLogger("kit.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_in_a_request_carries_its_ids(log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log
    info = RequestInfo.from_headers(
        [("x-request-id", "req-1"), ("traceparent", TRACEPARENT)],
        method="GET",
        url="http://x/",
        path="/",
    )
    with request_scope(info):
        logger.info("paid %s", "order-9", extra={"order": {"id": 9}})
    logger.warning("outside\nany request")
    inside, outside = _lines(stream)
    assert inside["message"] == "paid order-9" and inside["level"] == "INFO"
    assert inside["logger"] == "kit.json"
    assert inside["request_id"] == "req-1"
    assert inside["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert inside["span_id"] == "00f067aa0ba902b7"
    assert inside["service"] == "checkout" and inside["environment"] == "staging"
    assert inside["order"] == {"id": 9}
    assert str(inside["time"]).endswith("Z")
    assert "request_id" not in outside and outside["message"] == "outside\nany request"


def test_an_exception_is_one_line_with_its_stack(log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log
    try:
        {}["missing"]
    except KeyError:
        logger.exception("lookup failed")
    assert len(stream.getvalue().splitlines()) == 1
    (line,) = _lines(stream)
    exc = line["exception"]
    assert isinstance(exc, dict) and exc["type"] == "KeyError"
    assert "Traceback" in str(exc["stack"]) and line["level"] == "ERROR"
