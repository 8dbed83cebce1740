"""Minified JavaScript (v2's ``minified_names``): a function a minifier named is
``<minified>``, and then the message, with its variables masked and the browsers'
wordings unified, tells the bundle's bugs apart."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from faultbox.digest.grouping import _compute, compute_grouping
from faultbox.digest.grouping.fingerprint import message_template, minified_message_template
from faultbox.digest.grouping.minified import mask_variables
from faultbox.digest.grouping.naming import (
    MAX_CONTEXT_LINE,
    frame_display,
    frame_location,
    function_name,
    is_minified_name,
    normalize_filename,
    normalize_function,
)
from faultbox.digest.grouping.options import V1, V2
from faultbox.model import Event, ExceptionValue, Frame

CHUNK = "https://shop.example.com/static/js/account.4e1f9a7c.chunk.js"
NEXT_CHUNK = "https://shop.example.com/static/js/account.b7c20d13.chunk.js"
PRICE = "Cannot read properties of undefined (reading 'price')"


def _frame(function: str | None, url: str = CHUNK, **kw: Any) -> Frame:
    return Frame(filename=url, function=function, lineno=1, colno=48211, in_app=True, **kw)


def _event(*frames: Frame, value: str = PRICE, platform: str = "javascript", **kw: Any) -> Event:
    exc = ExceptionValue(type=kw.pop("type_", "TypeError"), value=value, frames=frames)
    return Event(
        event_id="0" * 32,
        project_id=1,
        timestamp=1.0,
        received_at=1.0,
        platform=platform,
        exceptions=(exc,),
        **kw,
    )


def _components(event: Event, version: str = "v2") -> tuple[str, ...]:
    return compute_grouping(event, version=version).components


# --- naming ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["t", "e", "Xn", "$e", "_t", "$", "n2"])
def test_minifier_names(name: str) -> None:
    assert is_minified_name(name)


@pytest.mark.parametrize("name", ["", "get", "cartTotal", "2x", "t.n", "<anon>", "a-b"])
def test_names_that_are_not_a_minifiers(name: str) -> None:
    assert not is_minified_name(name)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("t.render", "render"),  # V8's minified receiver; Firefox writes "render"
        ("t.n.render", "render"),
        ("Object.t", "t"),
        ("new Xn", "Xn"),
        ("t [as onClick]", "t"),
        ("CartStore.total", "CartStore.total"),  # an app class says something
        ("__webpack_require__.e", "__webpack_require__.e"),  # webpack's stable runtime
        ("Xn/<", "<anon>"),
        ("Xn/t<", "t"),
    ],
)
def test_minified_receivers_dropped(raw: str, expected: str) -> None:
    assert normalize_function(raw, js=True, minified=True) == expected


def test_a_minifiers_name_is_minified_only_where_it_can_be() -> None:
    assert function_name(_frame("t"), platform="javascript", options=V2) == "<minified>"
    assert function_name(_frame("Object.Xn"), platform="javascript", options=V2) == "<minified>"
    assert function_name(_frame("t"), platform="node", options=V2) == "<minified>"
    assert function_name(_frame("t"), platform="javascript", options=V1) == "t"
    assert function_name(_frame("t"), platform="python", options=V2) == "t"
    # A source line short enough to read is no bundle: there "t" is i18next's t().
    readable = _frame("t", context_line="return t('cart.empty')")
    assert function_name(readable, platform="javascript", options=V2) == "t"
    bundle_line = _frame("t", context_line="!function(e){" + "x" * MAX_CONTEXT_LINE + "}")
    assert function_name(bundle_line, platform="javascript", options=V2) == "<minified>"


def test_a_line_the_sdk_cut_is_no_source_line() -> None:
    # @sentry/node sends 140 characters of a long line around the column.
    snipped = "'{snip} function t(e){return e.Items.map(s=>Wt(s))} {snip}"
    frame = _frame("t", context_line=snipped)
    assert function_name(frame, platform="node", options=V2) == "<minified>"
    assert _components(_event(frame, platform="node")) == (
        "type:TypeError",
        "frame:static/js/account.chunk.js:<minified>",
        "message:Cannot access property 'price' of undefined",
    )
    assert "context:" + snipped in _components(_event(frame, platform="node"), "v1")


def test_the_bundle_names_the_frame_across_builds() -> None:
    a = frame_location(_frame("t"), platform="javascript", options=V2)
    b = frame_location(_frame("Qe", NEXT_CHUNK), platform="javascript", options=V2)
    assert a == b == "static/js/account.chunk.js:<minified>"
    shown = frame_display(_frame("t"), platform="javascript", options=V2)
    assert shown == "static/js/account.chunk.js in <minified>"
    lib = "https://cdn.example.com/widget.3.2.1.min.js"
    assert frame_location(_frame("Xn", lib), platform="javascript", options=V2) == (
        "widget.min.js:<minified>"
    )


# --- messages -------------------------------------------------------------------------


UNDEFINED_PRICE = "Cannot access property 'price' of undefined"
NULL_TEXT = "Cannot access property 'textContent' of null"
UNDEFINED_INDEX = "Cannot access property '<int>' of undefined"
SAFARI_CALL = "(In 'n.tags.filter(e=>e.active)', 'n.tags.filter' is undefined)"
REACT_185 = "https://reactjs.org/docs/error-decoder.html?invariant=185"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Reading or writing a property of undefined/null: one wording for V8 (now and
        # before 9.3), Firefox and Safari; the property stays, variables go.
        (PRICE, UNDEFINED_PRICE),
        ("Cannot read property 'price' of undefined", UNDEFINED_PRICE),
        ('can\'t access property "price", e is undefined', UNDEFINED_PRICE),
        ('can\'t access property "price", e.items[t] is undefined', UNDEFINED_PRICE),
        ("undefined is not an object (evaluating 'e.items.price')", UNDEFINED_PRICE),
        ("Cannot destructure property 'price' of 'e' as it is undefined.", UNDEFINED_PRICE),
        ("Cannot set properties of null (setting 'textContent')", NULL_TEXT),
        ('can\'t access property "textContent", t is null', NULL_TEXT),
        ("null is not an object (evaluating 't.textContent=e')", NULL_TEXT),
        ("Cannot read properties of undefined (reading '3')", UNDEFINED_INDEX),
        ("undefined is not an object (evaluating 'e[3]')", UNDEFINED_INDEX),
        ("can't access property 0, e is undefined", UNDEFINED_INDEX),
        (
            "undefined is not an object (evaluating 'e[t]')",
            "undefined is not an object (evaluating <min>[<min>])",
        ),
        # "<expression> is not ...": the variable masked, the members kept.
        ("e.tags.filter is not a function", "<min>.tags.filter is not a function"),
        (f"n.tags.filter is not a function. {SAFARI_CALL}", "<min>.tags.filter is not a function"),
        ("(0 , r.Z) is not a function", "(0 , <min>.Z) is not a function"),
        ("t is not iterable", "<min> is not iterable"),
        ("e.items is null", "<min>.items is null"),
        ("Xn is not defined", "<min> is not defined"),
        ("Can't find variable: Xn", "<min> is not defined"),
        ("cartTotal is not defined", "cartTotal is not defined"),
        ("Cannot access 'r' before initialization", "Cannot access <min> before initialization"),
        (
            "can't access lexical declaration 'r' before initialization",
            "Cannot access <min> before initialization",
        ),
        # Production builds' numbered errors: the number is the error, the link is not.
        (f"Minified React error #185; visit {REACT_185} for the full", "Minified React error #185"),
        (
            "Minified React error #31; visit https://react.dev/errors/31?args[]=x for the full",
            "Minified React error #31",
        ),
        # Anything else is templated as every message is.
        ("It is not possible to pay 12 EUR", "It is not possible to pay <int> EUR"),
        ("Request failed with status code 502", "Request failed with status code <int>"),
    ],
)
def test_minified_messages(text: str, expected: str) -> None:
    assert minified_message_template(text, options=V2) == expected


def test_masking_keeps_properties() -> None:
    assert mask_variables("e.id.toString") == "<min>.id.toString"
    assert mask_variables("Object(o.a)") == "Object(<min>.a)"


def test_other_messages_are_templated_as_before() -> None:
    assert (
        message_template(PRICE, options=V2)
        == "Cannot read properties of undefined (reading <quoted>)"
    )


# --- grouping -------------------------------------------------------------------------


def test_a_minified_frame_is_joined_by_the_message() -> None:
    event = _event(_frame("Ra", "https://shop.example.com/static/js/vendor.91c3e0d2.js"),
                   _frame("Object.Xn"), _frame("t"))  # fmt: skip
    assert _components(event) == (
        "type:TypeError",
        "frame:static/js/account.chunk.js:<minified>",
        "message:Cannot access property 'price' of undefined",
    )
    assert _components(event, "v1") == ("type:TypeError", "frame:static/js/account.chunk.js:t")


def test_one_bug_across_builds_and_browsers_groups_together() -> None:
    chrome = _event(_frame("Object.Xn"), _frame("t"))
    firefox = _event(_frame("e", NEXT_CHUNK), _frame("Qe", NEXT_CHUNK),
                     value='can\'t access property "price", n is undefined')  # fmt: skip
    safari = _event(
        _frame("Wt", NEXT_CHUNK), value="undefined is not an object (evaluating 'r.price')"
    )
    hashes = {compute_grouping(e).hash for e in (chrome, firefox, safari)}
    assert len(hashes) == 1
    v1 = {compute_grouping(e, version="v1").hash for e in (chrome, firefox, safari)}
    assert len(v1) == 3


def test_other_bugs_of_the_bundle_stay_apart() -> None:
    price = _event(_frame("t"))
    sku = _event(_frame("t"), value="Cannot read properties of undefined (reading 'sku')")
    not_a_function = _event(_frame("t"), value="e.price is not a function")
    hashes = {compute_grouping(e).hash for e in (price, sku, not_a_function)}
    assert len(hashes) == 3
    assert compute_grouping(price, version="v1").hash == compute_grouping(sku, version="v1").hash


def test_a_callback_inside_a_minified_function() -> None:
    frames = (
        _frame("Ht"),
        Frame(filename="<anonymous>", function="Array.map", in_app=True),
        _frame(None),
    )
    event = _event(*frames, value="e.tags.filter is not a function")
    # The minified function does not name the callback; the message does.
    assert _components(event) == (
        "type:TypeError",
        "frame:static/js/account.chunk.js:<anon>",
        "message:<min>.tags.filter is not a function",
    )
    named = _event(_frame("filterRows"), *frames[1:], value="e.tags.filter is not a function")
    assert _components(named) == (
        "type:TypeError",
        "frame:static/js/account.chunk.js:<anon>",
        "frame:static/js/account.chunk.js:filterRows",
    )


def test_a_named_app_frame_innermost_changes_nothing() -> None:
    event = _event(_frame("Object.Xn"), _frame("t"), _frame("applyCoupon"))
    off = replace(V2, minified_names=False)
    assert _components(event) == ("type:TypeError", "frame:static/js/account.chunk.js:applyCoupon")
    assert _compute(event, None, off, version="v2").hash == compute_grouping(event).hash


def test_i18n_t_with_its_source_line_is_a_name() -> None:
    event = _event(_frame("t", context_line="return t('cart.empty')"))
    assert _components(event) == (
        "type:TypeError",
        "frame:static/js/account.chunk.js:t",
        "context:return t('cart.empty')",
    )


def test_python_frames_are_never_minified() -> None:
    frame = Frame(module="shop.i18n", function="t", abs_path="/srv/app/shop/i18n.py", in_app=True)
    event = _event(frame, platform="python", type_="KeyError", value="'cart.empty'")
    assert _components(event) == ("type:KeyError", "frame:shop.i18n:t")


def test_a_synthetic_exception_keeps_its_message_once() -> None:
    event = _event(_frame("t"), type_="", value="checkout failed")
    assert _components(event) == (
        "message:checkout failed",
        "frame:static/js/account.chunk.js:<minified>",
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("https://shop.example/assets/index-DkQzRbWa.js", "assets/index.js"),
        ("https://shop.example/assets/index-Bx3a9Zk1.js", "assets/index.js"),
        ("/assets/vendor-runtime.js", "assets/vendor-runtime.js"),
        ("/assets/checkout-Form.js", "assets/checkout-Form.js"),
    ],
)
def test_vite_hashes_without_digits_are_stripped_in_v2(path: str, expected: str) -> None:
    assert normalize_filename(path, options=V2) == expected
    assert normalize_filename("/assets/index-DkQzRbWa.js", options=V1).endswith("DkQzRbWa.js")
