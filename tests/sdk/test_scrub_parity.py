"""The SDK scrubs with the server's default rules: both run on the same inputs here."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from faultbox.digest import scrub as server
from faultbox.model import Event, ExceptionValue, Frame
from faultbox.scrub_config import ScrubConfig
from faultbox_sdk import scrub as sdk

KEYS = [
    "password",
    "user_password",
    "X-Api-Key",
    "Authorization",
    "session_id",
    "csrftoken",
    "Cookie",
    "name",
    "id",
    "email",
    "amount",
    "note",
    "ip_address",
    "X-Forwarded-For",
    "items",
]
TEXTS = [
    "4111 1111 1111 1111",
    "card 4111-1111-1111-1111 used",
    "4111111111111112",  # fails Luhn: kept
    "4222222222222",  # 13 digits, a valid old Visa
    "1700000000000",  # a millisecond timestamp: kept
    "v1.4111111111111111",
    "hello",
    "a=1&password=x",
    '{"token": "abc", "ok": 1}',
    "https://shop.example/pay?card=4111111111111111&api_key=k",
]
scalars = st.one_of(st.sampled_from(TEXTS), st.text(max_size=20), st.integers(), st.none())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5),
    ),
    max_leaves=25,
)
mappings = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), values, max_size=6)


def _server(
    vars_: dict[str, Any],
    extra: dict[str, Any],
    user: dict[str, Any],
    request: dict[str, Any],
    message: str,
    config: ScrubConfig,
) -> Event:
    event = Event(
        event_id="0" * 32,
        project_id=1,
        timestamp=0.0,
        received_at=0.0,
        message=message,
        exceptions=(ExceptionValue("E", message, frames=(Frame(function="f", vars=vars_),)),),
        extra=extra,
        contexts={"app": extra} if extra else {},
        breadcrumbs=({"message": message, "data": extra},),
        user=user or None,
        request=request or None,
    )
    return server.scrub_event(event, config)


def _sdk(
    vars_: dict[str, Any],
    extra: dict[str, Any],
    user: dict[str, Any],
    request: dict[str, Any],
    message: str,
    scrubber: sdk.Scrubber,
) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(
        {
            "message": message,
            "exception": {
                "values": [
                    {"type": "E", "value": message, "stacktrace": {"frames": [{"vars": vars_}]}}
                ]
            },
            "extra": extra,
            "contexts": {"app": extra} if extra else {},
            "breadcrumbs": {"values": [{"message": message, "data": extra}]},
            "user": user,
            "request": request,
        }
    )
    return scrubber.event(event)


def _plain(value: Any) -> Any:
    """Tuples → lists, so the server's copy-on-write containers compare with the SDK's."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _check(
    vars_: dict[str, Any],
    extra: dict[str, Any],
    user: dict[str, Any],
    request: dict[str, Any],
    message: str,
    config: ScrubConfig,
    scrubber: sdk.Scrubber,
) -> None:
    theirs = _server(vars_, extra, user, request, message, config)
    ours = _sdk(vars_, extra, user, request, message, scrubber)
    assert ours["message"] == theirs.message
    exc = ours["exception"]["values"][0]
    assert exc["value"] == theirs.exceptions[0].value
    assert _plain(exc["stacktrace"]["frames"][0]["vars"]) == _plain(
        theirs.exceptions[0].frames[0].vars or {}
    )
    assert _plain(ours["extra"]) == _plain(theirs.extra)
    assert _plain(ours["contexts"]) == _plain(theirs.contexts)
    assert _plain(ours["breadcrumbs"]["values"]) == _plain(list(theirs.breadcrumbs))
    assert _plain(ours["user"] or None) == _plain(theirs.user)
    assert _plain(ours["request"] or None) == _plain(theirs.request)


@settings(max_examples=300, deadline=None)
@given(
    vars_=mappings,
    extra=mappings,
    user=st.fixed_dictionaries(
        {},
        optional={
            "id": st.sampled_from(["4111111111111111", "42"]),
            "email": st.just("a@example.com"),
            "ip_address": st.just("10.1.2.3"),
            "password": st.text(max_size=5),
        },
    ),
    message=st.sampled_from(TEXTS),
)
def test_same_verdicts_as_the_server_with_the_default_rules(
    vars_: dict[str, Any], extra: dict[str, Any], user: dict[str, Any], message: str
) -> None:
    _check(vars_, extra, user, {}, message, ScrubConfig(), sdk.Scrubber())


@settings(max_examples=200, deadline=None)
@given(
    headers=st.one_of(
        st.dictionaries(st.sampled_from(KEYS), st.sampled_from(TEXTS), max_size=4),
        st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(TEXTS)).map(list), max_size=4),
    ),
    data=st.one_of(st.sampled_from(TEXTS), mappings),
    url=st.sampled_from(TEXTS),
    query=st.sampled_from(["a=1&password=x&token=", "card=4111111111111111", "q=shoes"]),
    cookies=st.sampled_from(["", "sid=abc", None]),
)
def test_requests_scrub_alike(
    headers: Any, data: Any, url: str, query: str, cookies: str | None
) -> None:
    request = {
        "headers": headers,
        "data": data,
        "url": url,
        "query_string": query,
        "cookies": cookies,
        "method": "POST",
    }
    _check({}, {}, {}, request, "hello", ScrubConfig(), sdk.Scrubber())


@settings(max_examples=100, deadline=None)
@given(vars_=mappings, extra=mappings)
def test_extra_fields_and_ip_scrubbing_alike(vars_: dict[str, Any], extra: dict[str, Any]) -> None:
    config = ScrubConfig(extra_fields=("amount", "Note"), scrub_ip_addresses=True)
    scrubber = sdk.Scrubber(extra_fields=("amount", "Note"), scrub_ip_addresses=True)
    user = {"id": "1", "ip_address": "10.0.0.1"}
    _check(vars_, extra, user, {}, "hello", config, scrubber)


def test_the_default_rules_are_the_servers() -> None:
    assert sdk.DEFAULT_FIELDS == server.DEFAULT_FIELDS
    assert sdk.IP_FIELDS == server.IP_FIELDS
    assert sdk.FILTERED == server.FILTERED and sdk.MAX_DEPTH == server.MAX_DEPTH
    assert sdk._CARD_RE.pattern == server._CARD_RE.pattern


def test_a_password_in_a_local_variable_is_filtered_and_nothing_else() -> None:
    event = _sdk({"password": "hunter2", "n": 3}, {}, {}, {}, "hello", sdk.Scrubber())
    frame_vars = event["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]
    assert frame_vars == {"password": "[Filtered]", "n": 3}
