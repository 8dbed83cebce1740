"""The two wire formats against the server's own parsers and validators."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from faultbox.ingest.envelope import parse_envelope
from faultbox.ingest.native import validate_native_batch
from faultbox_sdk.dsn import parse_dsn
from faultbox_sdk.envelope import envelope_body
from faultbox_sdk.frames import InApp, exception_values
from faultbox_sdk.native import native_body, native_environment, native_release, stack_text
from faultbox_sdk.scope import Scope

texts = st.text(max_size=300)
events = st.fixed_dictionaries(
    {
        "event_id": st.uuids().map(lambda u: u.hex),
        "timestamp": st.floats(0, 4e9),
        "level": st.sampled_from(["debug", "info", "warning", "error", "fatal"]),
    },
    optional={
        "message": st.text(max_size=6000),
        "environment": texts,
        "release": texts,
        "tags": st.dictionaries(
            st.sampled_from(["service", "error_code", "x", " ", "a\nb"]), texts
        ),
        "user": st.dictionaries(st.sampled_from(["id", "email", "username"]), texts),
        "request": st.fixed_dictionaries(
            {"url": st.text(max_size=5000), "method": st.text(max_size=30)}
        ),
        "fingerprint": st.lists(st.text(max_size=300), min_size=1, max_size=3),
    },
)


def _with_exception(event: dict[str, Any], message: str) -> dict[str, Any]:
    try:
        raise ValueError(message)
    except ValueError as exc:
        event["exception"] = {"values": exception_values(exc, InApp())}
    return event


@settings(max_examples=150, deadline=None)
@given(event=events, exception_message=st.one_of(st.none(), texts))
def test_every_event_is_a_valid_native_item(
    event: dict[str, Any], exception_message: str | None
) -> None:
    if exception_message is not None:
        _with_exception(event, exception_message)
    body = json.loads(native_body([event]))
    ((index, cleaned, error),) = validate_native_batch(body, None)
    assert error is None, error
    assert cleaned is not None
    assert cleaned["severity"] == {"fatal": "critical"}.get(event["level"], event["level"])
    env = native_environment(event.get("environment"))
    assert cleaned.get("environment") == env
    if env is None and event.get("environment"):  # a name the server would refuse
        assert body["errors"][0]["context"]["faultbox_sdk"]["environment"] == event["environment"]
    assert cleaned["eventId"] == event["event_id"]
    assert cleaned.get("release") == native_release(event.get("release"))
    sent_tags = {k: v for k, v in event.get("tags", {}).items() if k.strip() and "\n" not in k}
    assert cleaned.get("tags", {}) == {k: v[:200] for k, v in sent_tags.items()}
    if exception_message is not None:
        assert cleaned["exception"]["type"] == "ValueError"
        assert cleaned["exception"]["frames"][-1]["function"] == "_with_exception"


small_json = st.recursive(
    st.none() | st.booleans() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


def _tree(depth: int, width: int, text: str) -> Any:
    """A container ``depth`` levels deep, ``width`` wide at each level."""
    if depth == 0:
        return text
    child = _tree(depth - 1, width, text)
    return {f"k{i}": child for i in range(width)} if depth % 2 else [child] * width


@settings(max_examples=40, deadline=None)
@given(
    depth=st.integers(0, 14),
    width=st.integers(1, 12),
    odd=small_json,
    crumbs=st.integers(0, 120),
)
def test_any_locals_and_breadcrumb_data_fit_the_servers_bounds(
    depth: int, width: int, odd: Any, crumbs: int
) -> None:
    # Deeper, larger and longer than the server takes: the SDK cuts, the item stays valid.
    event = _with_exception({"event_id": "a" * 32, "timestamp": 1.7e9, "level": "error"}, "b")
    tree, long = _tree(depth, width, "x"), "y" * 20000
    frame = event["exception"]["values"][-1]["stacktrace"]["frames"][-1]
    frame["vars"] = {**{f"v{i}": tree for i in range(60)}, "odd": odd, "long": long}
    data = {"d": _tree(depth, 2, "z"), "odd": odd}
    event["breadcrumbs"] = {
        "values": [{"message": "m", "data": data} for _ in range(crumbs)]
        + [{"message": long, "data": {"long": long}}]
    }
    body = json.loads(native_body([event]))
    ((_, cleaned, error),) = validate_native_batch(body, None)
    assert error is None, error
    assert cleaned is not None and len(cleaned["breadcrumbs"]) == min(crumbs + 1, 100)
    kept = cleaned["exception"]["frames"][-1]["vars"]
    assert len(kept["long"]) == 16384 and len(cleaned["breadcrumbs"][-1]["message"]) == 8192
    # Cut inside, not dropped: the first local is whole unless it alone is over a bound
    # (the server's 10 levels, 1000 values less the 62 names).
    values = sum(width**level for level in range(1, depth + 1))
    assert (kept["v0"] == tree) == (depth <= 9 and values <= 1000 - 62)


@settings(max_examples=100, deadline=None)
@given(event=events)
def test_every_event_is_a_valid_envelope(event: dict[str, Any]) -> None:
    _with_exception(event, "boom")
    dsn = "http://0123456789abcdef0123456789abcdef@example.com/prefix/7"
    envelope = parse_envelope(envelope_body(event, dsn, 1.7e9))
    assert envelope.headers["event_id"] == event["event_id"]
    assert envelope.headers["dsn"] == dsn
    (item,) = envelope.items
    assert item.headers["type"] == "event"
    assert json.loads(item.payload) == json.loads(json.dumps(event))


def test_the_text_trace_is_what_python_prints() -> None:
    import traceback

    def load() -> None:
        try:
            {}["missing"]  # noqa: B018
        except KeyError as exc:
            raise RuntimeError("config could not be loaded") from exc

    try:
        load()
    except RuntimeError as exc:
        event = {"exception": {"values": exception_values(exc, InApp(), with_locals=False)}}
        printed = "".join(traceback.format_exception(exc)).rstrip("\n")
    # Python marks the failing expression with ^^^ lines (3.11+); the rest is the same.
    assert stack_text(event) == "\n".join(
        line for line in printed.splitlines() if not line.strip() or set(line.strip()) - {"^", "~"}
    )


@given(
    scheme=st.sampled_from(["http", "https"]),
    key=st.text("0123456789abcdef", min_size=32, max_size=32),
    host=st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z]{2,5})?", fullmatch=True),
    port=st.one_of(st.none(), st.integers(1, 65535)),
    prefix=st.from_regex(r"(/[a-z]{1,8}){0,2}", fullmatch=True),
    project=st.integers(1, 10**9),
)
def test_dsn_urls(
    scheme: str, key: str, host: str, port: int | None, prefix: str, project: int
) -> None:
    netloc = host if port is None else f"{host}:{port}"
    dsn = parse_dsn(f"{scheme}://{key}@{netloc}{prefix}/{project}")
    assert dsn.public_key == key and dsn.project_id == str(project)
    assert dsn.envelope_url == f"{scheme}://{netloc}{prefix}/api/{project}/envelope/"
    assert dsn.native_batch_url == f"{scheme}://{netloc}{prefix}/api/v1/errors/batch"


def test_bad_dsns_name_the_problem() -> None:
    import pytest

    for bad, words in [
        ("ftp://k@h/1", "scheme"),
        ("http://h/1", "public key"),
        ("http://k@h/", "project id"),
        ("http://k@h:99999/1", "invalid DSN"),
    ]:
        with pytest.raises(ValueError, match=words):
            parse_dsn(bad)


def test_scope_fields_reach_both_formats() -> None:
    scope = Scope()
    scope.set_user({"id": "u1"})
    scope.set_tag("service", "payments")
    event: dict[str, Any] = {"event_id": "a" * 32, "timestamp": 1.7e9, "level": "error"}
    scope.apply(_with_exception(event, "x"))
    item = json.loads(native_body([event]))["errors"][0]
    assert item["userId"] == "u1" and item["serviceName"] == "payments"
