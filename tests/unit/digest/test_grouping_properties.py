"""Grouping properties, for every version: what must not split an issue (line shifts,
release directories, library depth, variable parts of messages) and what must
(another in-app function, another exception type)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from faultbox.digest.grouping import GROUPING_VERSIONS, compute_grouping
from faultbox.digest.grouping.naming import normalize_function
from faultbox.digest.grouping.options import OPTIONS
from faultbox.digest.native_event import native_to_event
from faultbox.model import Event, ExceptionValue, Frame
from faultbox.queue.base import IngestMeta

VERSIONS = sorted(GROUPING_VERSIONS)


def _event(**kw: Any) -> Event:
    kw.setdefault("platform", "python")
    return Event(event_id="0" * 32, project_id=1, timestamp=1.0, received_at=1.0, **kw)


def _hash(event: Event, version: str) -> str:
    return compute_grouping(event, version=version).hash


def _stack(release: str, shift: int, depth: int, function: str = "charge") -> tuple[Frame, ...]:
    root = f"/srv/releases/{release}/shop"
    app = [
        Frame(module="shop.web", function="view", abs_path=f"{root}/web.py", lineno=10 + shift),
        Frame(
            module="shop.pay",
            function=function,
            abs_path=f"{root}/pay.py",
            lineno=40 + shift,
            context_line="return gateway.post(url, body)",
        ),
    ]
    site = f"/srv/releases/{release}/venv/lib/python3.11/site-packages/gateway"
    library = [
        Frame(module=f"gateway.l{i}", function=f"call{i}", abs_path=f"{site}/l{i}.py", lineno=i)
        for i in range(depth)
    ]
    return (*app, *library)


releases = st.from_regex(r"[0-9]{2,14}|v[0-9]\.[0-9]{1,2}\.[0-9]", fullmatch=True)


@pytest.mark.parametrize("version", VERSIONS)
@given(
    shift=st.integers(-9, 5000),
    release=releases,
    depth=st.integers(0, 6),
    value=st.text(max_size=40),
)
def test_line_shifts_releases_and_library_depth_do_not_split(
    version: str, shift: int, release: str, depth: int, value: str
) -> None:
    reference = _event(exceptions=(ExceptionValue("GatewayError", "x", frames=_stack("1", 0, 2)),))
    moved = _event(
        exceptions=(ExceptionValue("GatewayError", value, frames=_stack(release, shift, depth)),)
    )
    assert _hash(moved, version) == _hash(reference, version)


JAVA = (
    "java.lang.IllegalStateException: stock went negative: {n}\n"
    "\tat com.shop.sync.StockSync.apply(StockSync.java:{a})\n"
    "\tat com.shop.sync.StockSync.run(StockSync.java:{b})\n"
    "\tat java.base/java.lang.Thread.run(Thread.java:{c})\n"
)
V8 = (
    "TypeError: Cannot read properties of undefined (reading 'price')\n"
    "    at cartTotal (https://shop.example.com/static/js/main.{h}.js:{a}:{b})\n"
    "    at CartSummary (https://shop.example.com/static/js/main.{h}.js:{a}:{c})\n"
)


def _native(trace: str, version: str) -> Event:
    payload = {"errorType": trace.split(":", 1)[0], "message": "m", "stackTrace": trace}
    return native_to_event(
        payload,
        project_id=1,
        event_id="0" * 32,
        received_at=1.0,
        meta=IngestMeta(),
        options=OPTIONS[version],
    )


lines = st.integers(1, 99_999)


@pytest.mark.parametrize("version", VERSIONS)
@given(n=st.integers(), a=lines, b=lines, c=lines, h=st.from_regex(r"[0-9a-f]{8}", fullmatch=True))
def test_text_traces_stable_under_line_shifts(
    version: str, n: int, a: int, b: int, c: int, h: str
) -> None:
    # v1 took a content hash of hex letters only ("main.aaaaaaaa.js") for a name.
    assume(version != "v1" or any(ch.isdigit() for ch in h))
    java = JAVA.format(n=n, a=a, b=b, c=c)
    assert _hash(_native(java, version), version) == _hash(
        _native(JAVA.format(n=1, a=1, b=2, c=3), version), version
    )
    js = V8.format(h=h, a=a, b=b, c=c)
    assert _hash(_native(js, version), version) == _hash(
        _native(V8.format(h="3f9a2c1b", a=1, b=2, c=3), version), version
    )


emails = st.from_regex(
    r"[a-z][a-z0-9._+-]{0,20}@[a-z0-9-]{1,15}(\.[a-z]{2,6}){1,2}", fullmatch=True
)
ipv6 = st.ip_addresses(v=6).filter(lambda ip: ip.ipv4_mapped is None and int(ip) > 0xFFFF)


@pytest.mark.parametrize("version", VERSIONS)
@given(
    n=st.integers(),
    amount=st.floats(0, 1e9, allow_nan=False),
    uuid=st.uuids(),
    address=st.integers(0x1000, 2**64),
    email=emails,
    ip=st.one_of(st.ip_addresses(v=4), ipv6),
)
def test_variable_message_parts_of_stackless_events_do_not_split(
    version: str, n: int, amount: float, uuid: object, address: int, email: str, ip: object
) -> None:
    def declined(text: str) -> Event:
        return _event(exceptions=(ExceptionValue("PaymentDeclined", text),))

    text = (
        f"order {n} of {amount:.2f} EUR for {email} from {ip} declined (req {uuid}, {address:#x})"
    )
    reference = (
        "order 1 of 2.50 EUR for jane@example.com from 10.0.0.1 declined "
        "(req 550e8400-e29b-41d4-a716-446655440000, 0x7f0a11b2c3d0)"
    )
    assert _hash(declined(text), version) == _hash(declined(reference), version)
    logged = _event(message=text, logger="shop.payments")
    assert _hash(logged, version) == _hash(
        _event(message=reference, logger="shop.payments"), version
    )


def _id_like(token: str) -> bool:
    tail = token.split("_", 1)[1]
    switches = sum(x.isdigit() != y.isdigit() for x, y in zip(tail, tail[1:], strict=False))
    return switches >= 2


@given(ident=st.from_regex(r"[a-z]{2,4}_[A-Za-z0-9]{10,24}", fullmatch=True).filter(_id_like))
def test_v2_random_ids_in_messages_do_not_split(ident: str) -> None:
    def event(text: str) -> Event:
        return _event(message=f"no such customer: {text}", logger="shop.billing")

    assert _hash(event(ident), "v2") == _hash(event("cus_NffrFeUfNV2Hib"), "v2")


names = st.from_regex(r"[a-z_][a-z0-9_]{0,20}", fullmatch=True)
types = st.sampled_from(["ValueError", "KeyError", "TypeError", "GatewayError", "NotFound"])


@pytest.mark.parametrize("version", VERSIONS)
@given(function=names, other_function=names, type_=types, other_type=types)
def test_another_function_or_exception_type_is_another_issue(
    version: str, function: str, other_function: str, type_: str, other_type: str
) -> None:
    def raised(fn: str, exc_type: str) -> Event:
        return _event(exceptions=(ExceptionValue(exc_type, "x", frames=_stack("1", 0, 1, fn)),))

    base = _hash(raised(function, type_), version)
    assert (_hash(raised(other_function, type_), version) == base) == (
        normalize_function(other_function) == normalize_function(function)
    )
    assert (_hash(raised(function, other_type), version) == base) == (other_type == type_)


# A minifier's names (functions, receivers, variables) change with every build, as do
# the bundle's hash and the columns; the property the code read does not.
minified_names = st.from_regex(r"[A-Za-z_$][A-Za-z0-9_$]?", fullmatch=True)
properties = st.from_regex(r"[a-z][A-Za-z_]{1,15}", fullmatch=True)
builds = st.fixed_dictionaries(
    {
        "browser": st.sampled_from(["chrome", "firefox", "safari", "sdk"]),
        "hash": st.from_regex(r"[0-9a-f]{8}", fullmatch=True),
        "function": minified_names,
        "caller": minified_names,
        "variable": minified_names,
        "col": lines,
        "caller_col": lines,
    }
)


def _minified_bug(build: dict[str, Any], prop: str) -> Event:
    url = f"https://shop.example.com/static/js/account.{build['hash']}.chunk.js"
    fn, caller, col, caller_col = (build[k] for k in ("function", "caller", "col", "caller_col"))
    v8 = f"Cannot read properties of undefined (reading '{prop}')"
    if build["browser"] == "sdk":  # @sentry/browser: frames, no source lines
        frames = (
            Frame(filename=url, function=f"Object.{caller}", colno=caller_col, in_app=True),
            Frame(filename=url, function=fn, colno=col, in_app=True),
        )
        return _event(
            platform="javascript", exceptions=(ExceptionValue("TypeError", v8, frames=frames),)
        )
    if build["browser"] == "chrome":
        message = v8
        stack = (
            f"TypeError: {v8}\n    at {fn} ({url}:1:{col})\n"
            f"    at Object.{caller} ({url}:1:{caller_col})"
        )
    else:
        variable = build["variable"]
        message = (
            f'can\'t access property "{prop}", {variable} is undefined'
            if build["browser"] == "firefox"
            else f"undefined is not an object (evaluating '{variable}.{prop}')"
        )
        stack = f"{fn}@{url}:1:{col}\n{caller}@{url}:1:{caller_col}"
    payload = {
        "errorType": "TypeError",
        "message": message,
        "stackTrace": stack,
        "sourceType": "frontend",
    }
    return native_to_event(
        payload,
        project_id=1,
        event_id="0" * 32,
        received_at=1.0,
        meta=IngestMeta(),
        options=OPTIONS["v2"],
    )


@given(build=builds, other=builds, prop=properties, other_prop=properties)
def test_v2_minified_names_do_not_split_but_another_property_does(
    build: dict[str, Any], other: dict[str, Any], prop: str, other_prop: str
) -> None:
    assert _hash(_minified_bug(build, prop), "v2") == _hash(_minified_bug(other, prop), "v2")
    assume(other_prop != prop)
    assert _hash(_minified_bug(build, prop), "v2") != _hash(_minified_bug(other, other_prop), "v2")
