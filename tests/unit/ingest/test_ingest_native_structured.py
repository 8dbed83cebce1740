"""The native contract's structured fields: eventId, release, environment, platform, tags,
breadcrumbs and exception (Sentry-shaped frames), each bounded and refused with a reason."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faultbox.ingest.errors import BadRequest
from faultbox.ingest.native import FIELDS, validate_native_batch, validate_native_error
from faultbox.ingest.native_structured import (
    MAX_BREADCRUMBS,
    MAX_CHAINED,
    MAX_DATA_DEPTH,
    MAX_DATA_VALUES,
    MAX_FRAMES,
    MAX_TAGS,
)

MINIMAL = {"errorCode": "E", "errorType": "ZeroDivisionError", "message": "division by zero"}
FRAME = {
    "filename": "shop/pay.py",
    "abs_path": "/srv/shop/pay.py",
    "module": "shop.pay",
    "function": "charge",
    "lineno": 12,
    "colno": 5,
    "context_line": "    return 100 / amount",
    "pre_context": ["def charge(amount):"],
    "post_context": [""],
    "vars": {"amount": 0, "basket": {"sku": "A-17", "items": [1, 2]}},
    "in_app": True,
    "platform": "python",
    "package": "/srv/shop",
}


def _with(**changes: Any) -> dict[str, Any]:
    return {**MINIMAL, **changes}


def _ok(**changes: Any) -> dict[str, Any]:
    return validate_native_error(_with(**changes), None)


def _reason(**changes: Any) -> str:
    with pytest.raises(BadRequest) as info:
        validate_native_error(_with(**changes), None)
    assert info.value.status == 400
    return info.value.detail


F0 = "exception.frames[0]"
INT = "must be an integer between 0 and 2147483647"


def _nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {}
    for _ in range(depth - 1):
        node = {"x": node}
    return node


# --- eventId --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"),
        ("0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcdef"),
        ("01234567-89ab-cdef-0123-456789abcdef", "0123456789abcdef0123456789abcdef"),
    ],
)
def test_event_id_is_hex_or_uuid_and_normalized(sent: str, stored: str) -> None:
    assert _ok(eventId=sent)["eventId"] == stored


@pytest.mark.parametrize("bad", ["", "xyz", "0" * 31, "0" * 33, "g" * 32, 12, ["0" * 32]])
def test_event_id_malformed(bad: object) -> None:
    assert _reason(eventId=bad) == "eventId must be 32 hex digits or a UUID"


# --- environment and release ----------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["development", "staging", "production", "prod", "eu-west 2", "QA", "é" * 64]
)
def test_any_environment_sentry_accepts_is_kept_as_sent(name: str) -> None:
    assert _ok(environment=name)["environment"] == name


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("x" * 65, "environment is longer than 64 characters"),
        ("", "environment must not be empty"),
        ("  ", "environment must not be empty"),
        ("prod/eu", "environment must not contain a slash, a tab or a line break"),
        ("prod\n", "environment must not contain a slash, a tab or a line break"),
        (3, "environment must be a string"),
    ],
)
def test_environment_refused(bad: object, reason: str) -> None:
    assert _reason(environment=bad) == reason


@pytest.mark.parametrize("name", ["shop@2.0.0", "1.0", "abc123def", "my app 2024.05"])
def test_release_kept(name: str) -> None:
    assert _ok(release=name)["release"] == name


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("x" * 201, "release is longer than 200 characters"),
        (".", "release must name a release"),
        (" ", "release must name a release"),
        ("a/b", "release must not contain a slash, a backslash, a tab or a line break"),
        ("a\\b", "release must not contain a slash, a backslash, a tab or a line break"),
        ({"v": 1}, "release must be a string"),
    ],
)
def test_release_refused(bad: object, reason: str) -> None:
    assert _reason(release=bad) == reason


def test_platform() -> None:
    assert _ok(platform="javascript")["platform"] == "javascript"
    for bad in ("Python", "", "py thon", "x" * 65):
        assert _reason(platform=bad).startswith("platform ")
    assert _reason(platform=1) == "platform must be a string"


# --- tags -----------------------------------------------------------------------------


def test_tags_kept_nulls_dropped() -> None:
    assert _ok(tags={"region": "eu", "empty": None})["tags"] == {"region": "eu"}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (["eu"], "tags must be a JSON object"),
        ({"region": 3}, "tags.region must be a string"),
        ({"region": "x" * 201}, "tags.region is longer than 200 characters"),
        ({"": "x"}, "tags keys must be 1 to 200 characters without control characters"),
        ({"a\nb": "x"}, "tags keys must be 1 to 200 characters without control characters"),
        ({"k" * 201: "x"}, "tags keys must be 1 to 200 characters without control characters"),
        (
            {f"t{i}": "v" for i in range(MAX_TAGS + 1)},
            f"tags has {MAX_TAGS + 1} entries, at most {MAX_TAGS} are allowed",
        ),
    ],
)
def test_tags_refused(bad: object, reason: str) -> None:
    assert _reason(tags=bad) == reason


# --- breadcrumbs ----------------------------------------------------------------------


def test_breadcrumbs_in_sentry_shape() -> None:
    crumbs = [
        {"timestamp": 1714566600.5, "type": "http", "category": "httplib", "level": "info"},
        {
            "timestamp": "2024-05-01T12:30:00Z",
            "message": "opened checkout",
            "data": {"url": "/cart"},
            "unknown": "dropped",
        },
    ]
    assert _ok(breadcrumbs=crumbs)["breadcrumbs"] == [
        crumbs[0],
        {"timestamp": 1714566600.0, "message": "opened checkout", "data": {"url": "/cart"}},
    ]
    # Sentry's own wrapping is accepted too.
    assert _ok(breadcrumbs={"values": crumbs[:1]})["breadcrumbs"] == crumbs[:1]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("x", "breadcrumbs must be a list"),
        ({"items": []}, "breadcrumbs must be a list"),
        (["x"], "breadcrumbs[0] must be a JSON object"),
        (
            [{"timestamp": "yesterday"}],
            "breadcrumbs[0].timestamp must be Unix seconds or an ISO 8601 string",
        ),
        (
            [{"timestamp": True}],
            "breadcrumbs[0].timestamp must be Unix seconds or an ISO 8601 string",
        ),
        ([{"message": 3}], "breadcrumbs[0].message must be a string"),
        ([{"message": "x" * 8193}], "breadcrumbs[0].message is longer than 8192 characters"),
        ([{"category": ["ui"]}], "breadcrumbs[0].category must be a string"),
        (
            [{"level": "loud"}],
            "breadcrumbs[0].level must be one of fatal, critical, error, warning, info, log, debug",
        ),
        ([{}, {"data": "x"}], "breadcrumbs[1].data must be a JSON object"),
        (
            [{"data": _nested(MAX_DATA_DEPTH + 1)}],
            f"breadcrumbs[0].data is nested deeper than {MAX_DATA_DEPTH} levels",
        ),
        (
            [{}] * (MAX_BREADCRUMBS + 1),
            f"breadcrumbs has {MAX_BREADCRUMBS + 1} items, at most {MAX_BREADCRUMBS} are allowed",
        ),
    ],
)
def test_breadcrumbs_refused(bad: object, reason: str) -> None:
    assert _reason(breadcrumbs=bad) == reason


# --- exception ------------------------------------------------------------------------


def test_exception_with_frames_and_causes_kept() -> None:
    exception = {
        "type": "ZeroDivisionError",
        "value": "division by zero",
        "module": None,
        "frames": [FRAME, {"filename": "app.js", "function": "onClick", "lineno": 1, "colno": 9}],
        "mechanism": {"type": "generic", "handled": True},
        "chained": [{"type": "KeyError", "value": "'x'", "frames": [{"function": "load"}]}],
    }
    cleaned = _ok(exception=exception)["exception"]
    assert cleaned == {k: v for k, v in exception.items() if v is not None}


def test_exception_frames_integral_floats_and_unknown_keys() -> None:
    frame = {"lineno": 12.0, "colno": 3.0, "mystery": 1}
    assert _ok(exception={"frames": [frame]})["exception"] == {
        "frames": [{"lineno": 12, "colno": 3}]
    }


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("boom", "exception must be a JSON object"),
        ({"type": 1}, "exception.type must be a string"),
        ({"value": "x" * 8193}, "exception.value is longer than 8192 characters"),
        ({"frames": {"0": FRAME}}, "exception.frames must be a list"),
        ({"frames": [FRAME, "f"]}, "exception.frames[1] must be a JSON object"),
        ({"frames": [{"lineno": -1}]}, f"{F0}.lineno {INT}"),
        ({"frames": [{"lineno": "12"}]}, f"{F0}.lineno {INT}"),
        ({"frames": [{"colno": 1.5}]}, f"{F0}.colno {INT}"),
        ({"frames": [{"lineno": 2**31}]}, f"{F0}.lineno {INT}"),
        ({"frames": [{"in_app": "yes"}]}, f"{F0}.in_app must be true or false"),
        ({"frames": [{"function": ["f"]}]}, f"{F0}.function must be a string"),
        ({"frames": [{"filename": "x" * 2049}]}, f"{F0}.filename is longer than 2048 characters"),
        (
            {"frames": [{"context_line": "x" * 2001}]},
            f"{F0}.context_line is longer than 2000 characters",
        ),
        ({"frames": [{"pre_context": "x"}]}, f"{F0}.pre_context must be a list"),
        ({"frames": [{"post_context": [1]}]}, f"{F0}.post_context[0] must be a string"),
        (
            {"frames": [{"pre_context": ["x"] * 51}]},
            f"{F0}.pre_context has 51 items, at most 50 are allowed",
        ),
        ({"frames": [{"vars": ["a"]}]}, f"{F0}.vars must be a JSON object"),
        (
            {"frames": [{"vars": _nested(MAX_DATA_DEPTH + 1)}]},
            f"{F0}.vars is nested deeper than {MAX_DATA_DEPTH} levels",
        ),
        (
            {"frames": [{"vars": {"big": list(range(MAX_DATA_VALUES))}}]},
            f"{F0}.vars holds more than {MAX_DATA_VALUES} values",
        ),
        (
            {"frames": [{"vars": {"s": "x" * 16385}}]},
            f"{F0}.vars holds a string longer than 16384 characters",
        ),
        (
            {"frames": [{}] * (MAX_FRAMES + 1)},
            f"exception.frames has {MAX_FRAMES + 1} items, at most {MAX_FRAMES} are allowed",
        ),
        ({"mechanism": "generic"}, "exception.mechanism must be a JSON object"),
        ({"chained": {"type": "X"}}, "exception.chained must be a list"),
        (
            {"chained": [{"frames": [{"lineno": "1"}]}]},
            f"exception.chained[0].frames[0].lineno {INT}",
        ),
        (
            {"chained": [{"chained": []}]},
            "exception.chained[0].chained is not allowed: list every cause in exception.chained",
        ),
        (
            {"chained": [{}] * (MAX_CHAINED + 1)},
            f"exception.chained has {MAX_CHAINED + 1} items, at most {MAX_CHAINED} are allowed",
        ),
    ],
)
def test_exception_refused(bad: object, reason: str) -> None:
    assert _reason(exception=bad) == reason


def test_data_at_the_depth_limit_is_kept() -> None:
    deep = _nested(MAX_DATA_DEPTH)
    assert _ok(exception={"frames": [{"vars": deep}]})["exception"]["frames"][0]["vars"] == deep


def test_a_bad_field_costs_only_its_item_in_a_batch() -> None:
    good = _with(eventId="a" * 32, exception={"frames": [FRAME]})
    bad = _with(exception={"frames": [{"lineno": "x"}]})
    results = validate_native_batch({"errors": [good, bad]}, None)
    assert results[0][2] is None and results[0][1] is not None
    assert results[1] == (1, None, f"{F0}.lineno {INT}")


# --- any JSON either validates or gets a reason ---------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=30,
)
frame_like = st.dictionaries(st.sampled_from(sorted(FRAME) + ["x"]), json_values, max_size=6)
cause_like = st.dictionaries(st.sampled_from(["type", "frames", "chained"]), json_values)
exception_like = st.fixed_dictionaries(
    {},
    optional={
        "type": json_values,
        "value": json_values,
        "frames": st.lists(frame_like, max_size=3) | json_values,
        "chained": st.lists(cause_like, max_size=2) | json_values,
        "mechanism": json_values,
    },
)
crumb_like = st.dictionaries(
    st.sampled_from(["timestamp", "type", "category", "message", "level", "data"]),
    json_values,
    max_size=4,
)
structured = st.fixed_dictionaries(
    {},
    optional={
        "eventId": json_values | st.uuids().map(str),
        "release": json_values,
        "environment": json_values,
        "platform": json_values,
        "tags": st.dictionaries(st.text(max_size=12), json_values, max_size=4) | json_values,
        "breadcrumbs": st.lists(crumb_like, max_size=3) | json_values,
        "exception": exception_like | json_values,
    },
)


@given(structured)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=300)
def test_any_json_validates_or_gets_a_reason(fields: dict[str, Any]) -> None:
    payload = orjson.loads(orjson.dumps(_with(**fields)))  # what the route hands over
    try:
        cleaned = validate_native_error(payload, None)
    except BadRequest as exc:
        assert exc.status == 400 and exc.detail
        return
    assert set(cleaned) <= {f.name for f in FIELDS}
    orjson.dumps(cleaned)  # what the route enqueues


def test_the_readme_example_validates() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    section = readme[readme.index("What an SDK captures beyond a text trace") :]
    block = section[section.index("```json") + len("```json") : section.index("```\n", 10)]
    example = orjson.loads(block)
    cleaned = validate_native_error(_with(**example), None)
    assert cleaned["exception"]["frames"][0]["module"] == "shop.payments"
    assert cleaned["exception"]["chained"][0]["type"] == "KeyError"
