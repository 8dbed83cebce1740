import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultbox.digest.scrub import FILTERED, MAX_DEPTH, ScrubConfig, scrub_event
from faultbox.model import Event, ExceptionValue, Frame, Thread

VISA = "4111111111111111"  # passes Luhn
ORDER = "4111111111111112"  # 16 digits, fails Luhn
DEFAULT = ScrubConfig()


def event(**kw: Any) -> Event:
    return Event(event_id="0" * 32, project_id=1, timestamp=1.0, received_at=1.0, **kw)


def scrub(e: Event, config: ScrubConfig = DEFAULT) -> Event:
    return scrub_event(e, config)


def with_vars(variables: dict[str, Any]) -> Event:
    frame = Frame(module="shop", function="pay", vars=variables)
    return event(exceptions=(ExceptionValue(type="E", value="x", frames=(frame,)),))


def vars_of(e: Event) -> Any:
    return e.exceptions[0].frames[0].vars


# --- request ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "authorization",
        "Cookie",
        "Set-Cookie",
        "X-Api-Key",
        "api-key",
        "X-Auth-Token",
        "Proxy-Authorization",
        "X-CSRFToken",
    ],
)
def test_sensitive_headers(name: str) -> None:
    headers = {name: "secret-value", "Accept": "text/html"}
    out = scrub(event(request={"headers": headers}))
    assert out.request == {"headers": {name: FILTERED, "Accept": "text/html"}}
    as_list = scrub(event(request={"headers": [[name, "v"], ["Accept", "x"]]}))
    assert as_list.request == {"headers": [[name, FILTERED], ["Accept", "x"]]}


@pytest.mark.parametrize("cookies", ["sessionid=abc; theme=dark", {"sessionid": "abc"}])
def test_cookies(cookies: object) -> None:
    assert scrub(event(request={"cookies": cookies})).request == {"cookies": FILTERED}


def test_request_data_dict_json_and_form() -> None:
    as_dict = scrub(event(request={"data": {"user": "jane", "Password": "hunter2"}}))
    assert as_dict.request == {"data": {"user": "jane", "Password": FILTERED}}

    raw = json.dumps({"user": "jane", "nested": {"api_key": "k"}})
    as_json = scrub(event(request={"data": raw}))
    assert as_json.request is not None
    assert json.loads(as_json.request["data"]) == {"user": "jane", "nested": {"api_key": FILTERED}}

    as_form = scrub(event(request={"data": "a=b&password=c&csrf_token=d&x=y"}))
    assert as_form.request == {"data": f"a=b&password={FILTERED}&csrf_token={FILTERED}&x=y"}

    untouched = {"data": '{"user": "jane"}'}
    assert scrub(event(request=untouched)).request is untouched


def test_query_string_in_every_shape() -> None:
    for qs, expected in [
        ("page=2&token=abc", f"page=2&token={FILTERED}"),
        ({"page": "2", "token": "abc"}, {"page": "2", "token": FILTERED}),
        ([["page", "2"], ["token", "abc"]], [["page", "2"], ["token", FILTERED]]),
    ]:
        assert scrub(event(request={"query_string": qs})).request == {"query_string": expected}
    url = scrub(event(request={"url": "https://x.io/a?secret=1&b=2#top"}))
    assert url.request == {"url": f"https://x.io/a?secret={FILTERED}&b=2#top"}


def test_malformed_request_parts_do_not_raise() -> None:
    odd = {"data": "{not json", "headers": [["a"], 5, [1, 2]], "query_string": 7, 3: "x"}
    assert scrub(event(request=odd)).request == odd


# --- free-form parts ------------------------------------------------------------


def test_extra_contexts_user_tags_breadcrumbs() -> None:
    e = event(
        extra={"db": {"host": "h", "credentials": {"user": "u"}}, "ok": 1},
        contexts={"app": {"session_id": "s", "name": "shop"}, "none": None},
        user={"id": "42", "data": {"private_key": "pk", "plan": "pro"}},
        tags={"auth.method": "sso", "browser": "Firefox"},
        breadcrumbs=(
            {"category": "http", "data": {"url": "/x", "X-Auth-Token": "t"}},
            {"category": "ui", "message": "click"},
        ),
    )
    out = scrub(e)
    assert out.extra == {"db": {"host": "h", "credentials": FILTERED}, "ok": 1}
    assert out.contexts == {"app": {"session_id": FILTERED, "name": "shop"}, "none": None}
    assert out.user == {"id": "42", "data": {"private_key": FILTERED, "plan": "pro"}}
    assert out.tags == {"auth.method": FILTERED, "browser": "Firefox"}
    assert out.breadcrumbs == (
        {"category": "http", "data": {"url": "/x", "X-Auth-Token": FILTERED}},
        {"category": "ui", "message": "click"},
    )


def test_frame_vars_in_exceptions_and_threads() -> None:
    frame = Frame(function="login", vars={"self": "<Login>", "pwd": "'x'", "args": [{"token": 1}]})
    e = event(
        exceptions=(ExceptionValue(type="E", value="v", frames=(frame, Frame(function="f"))),),
        threads=(Thread(id="1", name="main", crashed=True, current=True, frames=(frame,)),),
    )
    out = scrub(e)
    expected = {"self": "<Login>", "pwd": FILTERED, "args": [{"token": FILTERED}]}
    assert out.exceptions[0].frames[0].vars == expected
    assert out.exceptions[0].frames[1] is e.exceptions[0].frames[1]
    assert out.threads[0].frames[0].vars == expected


@pytest.mark.parametrize(
    "key", ["password", "PASSWD", "db_pwd", "refresh-token", "client_secret", "X-Api-Key"]
)
def test_key_matching_is_normalized_substring(key: str) -> None:
    assert vars_of(scrub(with_vars({key: "v", "amount": "1"}))) == {key: FILTERED, "amount": "1"}


def test_extra_and_safe_fields() -> None:
    config = ScrubConfig(extra_fields=("iban",), safe_fields=("session_count",))
    out = scrub(with_vars({"IBAN": "DE89", "session_count": 3, "session": "s"}), config)
    assert vars_of(out) == {"IBAN": FILTERED, "session_count": 3, "session": FILTERED}
    safe_tree = ScrubConfig(safe_fields=("debug",))
    tree = {"debug": {"token": "kept on purpose", "card": VISA}}
    assert vars_of(scrub(with_vars(tree), safe_tree)) == tree


def test_depth_bound() -> None:
    deep: dict[str, Any] = {"leaf": "v"}
    for _ in range(MAX_DEPTH + 5):
        deep = {"k": deep}
    out = scrub(event(extra=deep))
    node: Any = out.extra
    depth = 0
    while isinstance(node, dict):
        node = node["k"] if "k" in node else node["leaf"]
        depth += 1
    assert node == FILTERED
    assert depth <= MAX_DEPTH


# --- credit cards ---------------------------------------------------------------


@pytest.mark.parametrize(
    "card",
    [VISA, "4111 1111 1111 1111", "4111-1111-1111-1111", "378282246310005", "5555555555554444"],
)
def test_cards_anywhere(card: str) -> None:
    e = event(
        message=f"paid with {card} today",
        exceptions=(ExceptionValue(type="E", value=f"card {card} declined"),),
        breadcrumbs=({"message": f"card={card}"},),
        request={"data": {"note": f"use {card}"}},
        extra={"list": [f"x {card}"]},
    )
    out = scrub(e)
    assert out.message == f"paid with {FILTERED} today"
    assert out.exceptions[0].value == f"card {FILTERED} declined"
    assert out.breadcrumbs == ({"message": f"card={FILTERED}"},)
    assert out.request == {"data": {"note": f"use {FILTERED}"}}
    assert out.extra == {"list": [f"x {FILTERED}"]}
    assert vars_of(scrub(with_vars({"c": f"'{card}'"}))) == {"c": f"'{FILTERED}'"}


@pytest.mark.parametrize(
    "text",
    [
        f"order {ORDER} shipped",  # fails Luhn
        "ts 1700000000000 ms",  # a millisecond timestamp, passes Luhn, starts with 1
        "id 41111111111",  # too short
        "v 0.4111111111111111",  # a decimal
        "41111111111111111111111",  # too long
    ],
)
def test_card_lookalikes_stay(text: str) -> None:
    e = event(message=text, extra={"t": text})
    assert scrub(e) is e


def test_cards_can_be_left_alone() -> None:
    e = event(message=f"card {VISA}")
    assert scrub(e, ScrubConfig(scrub_credit_cards=False)) is e


def test_user_identity_is_not_a_card() -> None:
    e = event(user={"id": VISA, "email": "a@b.c"})
    assert scrub(e) is e


# --- ip addresses ---------------------------------------------------------------


def test_ip_addresses_only_when_asked() -> None:
    e = event(
        user={"id": "1", "ip_address": "10.0.0.1"},
        request={"headers": {"X-Forwarded-For": "1.2.3.4"}, "env": {"REMOTE_ADDR": "1.2.3.4"}},
    )
    assert scrub(e) is e
    out = scrub(e, ScrubConfig(scrub_ip_addresses=True))
    assert out.user == {"id": "1"}
    assert out.request == {
        "headers": {"X-Forwarded-For": FILTERED},
        "env": {"REMOTE_ADDR": FILTERED},
    }


# --- contract -------------------------------------------------------------------


def test_disabled_returns_the_event() -> None:
    e = with_vars({"password": "x"})
    assert scrub(e, ScrubConfig(enabled=False)) is e


def test_clean_event_is_returned_as_is() -> None:
    e = with_vars({"amount": "'12.50'", "items": [1, 2]})
    assert scrub(e) is e


def test_input_is_not_mutated() -> None:
    e = event(
        request={"headers": {"Authorization": "x"}, "data": {"password": "p"}},
        extra={"a": {"token": "t"}},
        user={"data": {"secret": "s"}},
        tags={"token": "t"},
        breadcrumbs=({"data": {"auth": "a"}},),
    )
    before = copy.deepcopy(e)
    out = scrub(e)
    assert e == before
    assert out != e


def test_non_json_shapes_never_raise() -> None:
    e = event(extra={"s": {1, 2}, 3: {"password": "x"}, "t": (VISA,)})
    out = scrub(e)
    assert out.extra[3] == {"password": FILTERED}  # type: ignore[index]


# --- config ---------------------------------------------------------------------


def test_config_round_trip() -> None:
    config = ScrubConfig(
        enabled=False,
        extra_fields=("iban",),
        safe_fields=("session_count",),
        scrub_credit_cards=False,
        scrub_ip_addresses=True,
    )
    assert ScrubConfig.from_json(json.loads(json.dumps(config.to_json()))) == config
    assert ScrubConfig.from_json({}) == ScrubConfig() == ScrubConfig.from_json(None)


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([], "must be a JSON object"),
        ({"enabled": "yes"}, "'enabled' must be true or false"),
        ({"extra_fields": "iban"}, "'extra_fields' must be a list"),
        ({"extra_fields": [1]}, "non-empty field names"),
        ({"safe_fields": [" "]}, "non-empty field names"),
        ({"safe_fields": ["-_"]}, "non-empty field names"),
        ({"extra_fields": ["x" * 101]}, "longer than"),
        ({"extra_fields": ["x"] * 201}, "more than 200"),
        ({"extrafields": []}, "unknown key(s) extrafields"),
    ],
)
def test_config_errors(obj: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ScrubConfig.from_json(obj)


# --- properties -----------------------------------------------------------------

DENIED = ["password", "Api-Key", "auth_token", "SECRET", "sessionid", "x_csrf", "credentials"]
keys = st.one_of(
    st.sampled_from(DENIED), st.sampled_from(["a", "name", "id", "n"]), st.text(max_size=8)
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=30),
    st.sampled_from([VISA, ORDER, f"x {VISA} y", FILTERED]),
)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=25,
)
objects = st.dictionaries(keys, trees, max_size=5)


def _is_denied(key: object) -> bool:
    if not isinstance(key, str):
        return False
    norm = key.lower().replace("-", "").replace("_", "")
    words = ["password", "passwd", "pwd", "token", "secret", "apikey", "credentials"]
    words += ["privatekey", "session", "auth", "csrf", "xsrf", "cookie"]
    return any(w in norm for w in words)


def _leaks(node: Any) -> list[Any]:
    found: list[Any] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if _is_denied(key) and value != FILTERED:
                found.append((key, value))
            found.extend(_leaks(value))
    elif isinstance(node, list | tuple):
        for item in node:
            found.extend(_leaks(item))
    elif isinstance(node, str) and VISA in node:
        found.append(node)
    return found


def _hypothesis_event(extra: dict[str, Any], variables: dict[str, Any], data: Any) -> Event:
    frame = Frame(function="f", vars=variables)
    return event(
        extra=extra,
        exceptions=(ExceptionValue(type="E", value="v", frames=(frame,)),),
        breadcrumbs=({"data": extra},),
        request={"data": data, "headers": variables},
        contexts={"c": variables},
        user={"data": extra},
    )


@settings(max_examples=150)
@given(objects, objects, st.one_of(trees, trees.map(json.dumps)))
def test_no_leaks_never_raises_idempotent(extra: Any, variables: Any, data: Any) -> None:
    e = _hypothesis_event(extra, variables, data)
    once = scrub(e)
    assert not _leaks(once.extra)
    assert not _leaks(vars_of(once))
    assert not _leaks(once.breadcrumbs)
    assert not _leaks(once.contexts)
    assert once.request is not None and not _leaks(once.request["headers"])
    body = once.request["data"]
    if isinstance(body, str) and body[:1] in "[{":
        try:
            body = json.loads(body)
        except ValueError:
            pass
    assert not _leaks(body)
    assert scrub(once) == once


@pytest.mark.parametrize("levels", range(MAX_DEPTH - 4, MAX_DEPTH + 3))
def test_depth_boundary_is_consistent(levels: int) -> None:
    deep: Any = {"password": "p", "ok": "v"}
    for _ in range(levels):
        deep = {"k": [deep]}
    e = event(extra={"d": deep}, breadcrumbs=({"d": deep},))
    e = event(
        extra=e.extra,
        breadcrumbs=e.breadcrumbs,
        exceptions=(ExceptionValue(type="E", value="v", frames=(Frame(vars={"d": deep}),)),),
    )
    once = scrub(e)
    assert scrub(once) == once
    assert not _leaks(once.extra) and not _leaks(once.breadcrumbs) and not _leaks(vars_of(once))
