"""Grouping versions: v1's hashes never change; each v2 switch does what it says.

The pinned hashes were computed with the code as deployed before v2 existed.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from faultbox.digest.grouping import DEFAULT_VERSION, GROUPING_VERSIONS, InAppRules
from faultbox.digest.grouping import compute_grouping as group
from faultbox.digest.grouping.naming import normalize_function, normalize_module
from faultbox.digest.grouping.options import OPTIONS, V1, V2, GroupingOptions
from faultbox.digest.native_event import native_to_event
from faultbox.digest.stacktrace_text import parse_stack_trace
from faultbox.model import Event, ExceptionValue, Frame, Thread
from faultbox.queue.base import IngestMeta


def _event(**kw: Any) -> Event:
    kw.setdefault("platform", "python")
    return Event(event_id="0" * 32, project_id=1, timestamp=1.0, received_at=1.0, **kw)


def _native(payload: dict[str, Any], options: GroupingOptions | None = None) -> Event:
    return native_to_event(
        payload,
        project_id=1,
        event_id="0" * 32,
        received_at=1.0,
        meta=IngestMeta(),
        options=options,
    )


def _exc(type_: str, value: str, *frames: Frame) -> ExceptionValue:
    return ExceptionValue(type=type_, value=value, frames=frames)


def _js(*frames: Frame, type_: str = "TypeError") -> Event:
    return _event(platform="javascript", exceptions=(_exc(type_, "x", *frames),))


BUNDLE = "https://x.io/static/js/main.3f9a2c1b.js"
PY_FRAMES = (
    Frame(
        module="shop.web", function="view", abs_path="/srv/app/shop/web.py", lineno=3, in_app=True
    ),
    Frame(
        module="shop.pay",
        function="<lambda>",
        abs_path="/srv/app/shop/pay.py",
        lineno=9,
        in_app=True,
        context_line="key=lambda r: r['total']",
    ),
)
JS_FRAMES = (
    Frame(filename=BUNDLE, function="cartTotal", in_app=True),
    Frame(filename="<anonymous>", function="Array.reduce", in_app=True),
    Frame(filename=BUNDLE, function="?", in_app=True),
)
JACKSON = (
    "com.fasterxml.jackson.databind.exc.MismatchedInputException: Cannot deserialize\n"
    ' at [Source: (String)"{}"; line: 1, column: 2] (through reference chain: a.B["c"])\n'
    "\tat com.fasterxml.jackson.databind.DeserializationContext.reportInputMismatch"
    "(DeserializationContext.java:1752)\n"
    "\tat com.shop.payments.WebhookController$$SpringCGLIB$$0.parse(<generated>)\n"
    "\tat com.shop.payments.WebhookController.receive(WebhookController.java:38)\n"
)
V8 = (
    "SyntaxError: Unexpected token\n    at JSON.parse (<anonymous>)\n"
    "    at loadProfile (https://x.io/static/js/main.3f9a2c1b.js:2:40211)\n"
)
FIREFOX = (
    "cartTotal/<@https://x.io/static/js/main.9be1d2aa.js:2:18771\n"
    "cartTotal@https://x.io/static/js/main.9be1d2aa.js:2:18742\n"
)
NODE = (
    "Error: connect ECONNREFUSED 10.0.3.7:5432\n"
    "    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)\n"
)
ULID = "01HQ3K5Z8N2X7Y4RTV6WB9CDEF"
MINIFIED_V8 = (
    "TypeError: Cannot read properties of undefined (reading 'price')\n"
    "    at t (https://x.io/static/js/account.4e1f9a7c.chunk.js:1:48211)\n"
    "    at Object.Xn (https://x.io/static/js/account.4e1f9a7c.chunk.js:1:48790)\n"
)


def _cases() -> dict[str, Event]:
    client = Frame(
        module="shop.client", function="post", abs_path="/srv/app/shop/client.py", in_app=True
    )
    library = Frame(
        module="tinyhttp",
        function="_send",
        in_app=False,
        abs_path="/v/site-packages/tinyhttp/__init__.py",
    )
    receiver = Frame(filename=BUNDLE, function="HTMLFormElement.onSubmit", in_app=True)
    v1 = V1  # native traces parsed as v1 parsed them
    return {
        "python-lambda": _event(exceptions=(_exc("KeyError", "'total'", *PY_FRAMES),)),
        "python-chain": _event(
            exceptions=(
                _exc("Timeout", "no answer", client, library),
                _exc("GatewayError", "x", PY_FRAMES[0]),
            )
        ),
        "stackless": _event(
            exceptions=(_exc("PaymentDeclined", "Card 4242 declined for cus_NffrFeUfNV2Hib"),)
        ),
        "log-ulid": _event(
            message=f"nightly report {ULID} incomplete: 3/40", logger="shop.reports"
        ),
        "log-template": _event(
            message="webhook evt_1 rejected",
            message_template="webhook %s rejected",
            logger="shop.payments",
        ),
        "js-browser": _js(*JS_FRAMES),
        "js-object-receiver": _js(receiver),
        "thread": _event(
            threads=(Thread(id="1", name="main", crashed=True, current=True, frames=PY_FRAMES),)
        ),
        "native-jackson": _native(
            {"errorType": "MismatchedInputException", "message": "m", "stackTrace": JACKSON}, v1
        ),
        "native-v8": _native(
            {
                "errorType": "SyntaxError",
                "message": "m",
                "stackTrace": V8,
                "sourceType": "frontend",
            },
            v1,
        ),
        "native-firefox": _native(
            {
                "errorType": "TypeError",
                "message": "m",
                "stackTrace": FIREFOX,
                "sourceType": "frontend",
            },
            v1,
        ),
        "native-node": _native(
            {
                "errorType": "Error",
                "message": "connect ECONNREFUSED 10.0.3.7:5432",
                "stackTrace": NODE,
            },
            v1,
        ),
        "native-minified": _native(
            {
                "errorType": "TypeError",
                "message": "Cannot read properties of undefined (reading 'price')",
                "stackTrace": MINIFIED_V8,
                "sourceType": "frontend",
            },
            v1,
        ),
        "js-minified": _js(
            Frame(filename=BUNDLE, function="t.render", in_app=True),
            Frame(filename=BUNDLE, function="Object.e", in_app=True),
        ),
        "native-stackless": _native(
            {
                "errorType": "UpstreamTimeout",
                "message": f"GET https://a.internal/v2/items/81723 timed out (request {ULID})",
            },
            v1,
        ),
    }


V1_HASHES = {
    "python-lambda": "430d9c84e8783ffd815be9560f2250eb",
    "python-chain": "bd9bae3ba3d02af37541235cf2d31eb5",
    "stackless": "88a20d45ab3325d93fbc459c07415145",
    "log-ulid": "e86d12bcd9e69e918c8dc9d4068e1d72",
    "log-template": "235f78a2ac8b6a9de1281791718b51e2",
    "js-browser": "8f613bfbc5c59d796f527ca728daedaf",
    "js-object-receiver": "26c5f7143a1ae5b6691cc8b781c52b72",
    "thread": "cb6e817e6036e4a68a08cc30c3bda9f8",
    "native-jackson": "824ceaffcc893930f7738d6cee2e2cae",
    "native-v8": "8131e8b1c87ce275e50e79ebd9a0dd32",
    "native-firefox": "8ad96b80c6e63e149579500b34987bca",
    "native-node": "4d1020978c2da11f9a3e171ee165b17e",
    "native-stackless": "0b4bde9401d2ff136cba39bd204911b7",
    # Pinned from the code before minified_names existed.
    "native-minified": "0edb623b4b50fbb27480c7557011f343",
    "js-minified": "3a3e85f901eb3b5b433e1393fba6fe63",
}


@pytest.mark.parametrize("name", sorted(V1_HASHES))
def test_v1_hashes_never_change(name: str) -> None:
    assert group(_cases()[name], version="v1").hash == V1_HASHES[name]


def test_versions_are_registered_with_their_switches() -> None:
    assert set(GROUPING_VERSIONS) == set(OPTIONS) == {"v1", "v2"}
    assert DEFAULT_VERSION == "v2"
    assert V1 == GroupingOptions()
    assert all(getattr(V2, f.name) for f in fields(GroupingOptions)), "a switch left off in v2"
    assert group(_cases()["python-chain"], version="v1").version == "v1"
    with pytest.raises(KeyError):
        group(_cases()["python-chain"], version="v0")


def test_native_traces_are_parsed_for_the_default_version() -> None:
    payload = {"errorType": "E", "message": "m", "stackTrace": JACKSON}
    assert _native(payload) == _native(payload, OPTIONS[DEFAULT_VERSION])
    assert _native(payload) != _native(payload, V1)


# --- v2, switch by switch ------------------------------------------------------------


def test_id_tokens() -> None:
    def log(run: str) -> Event:
        return _event(message=f"nightly report {run} incomplete", logger="shop.reports")

    assert group(log(ULID)).hash == group(log("01HR0A1B2C3D4E5F6G7H8J9K0M")).hash
    assert group(log(ULID), version="v1").hash != group(log("01HR0A1B2C3D4E5F6G7H8J9K0M")).hash
    assert group(log(ULID)).components[0] == "message:nightly report <id> incomplete"


def test_runtime_frames_are_never_the_app_frame() -> None:
    event = _native(
        {"errorType": "SyntaxError", "message": "m", "stackTrace": V8, "sourceType": "frontend"}
    )
    assert group(event).components == ("type:SyntaxError", "frame:static/js/main.js:loadProfile")
    sdk = _js(
        Frame(filename=BUNDLE, function="load", in_app=True),
        Frame(filename="<anonymous>", function="JSON.parse", in_app=True),
    )
    assert group(sdk).components[1] == "frame:static/js/main.js:load"


def test_anonymous_frames_named_by_their_caller_across_browsers() -> None:
    firefox = _native(
        {
            "errorType": "TypeError",
            "message": "item is undefined",
            "stackTrace": FIREFOX,
            "sourceType": "frontend",
        }
    )
    sdk = _js(*JS_FRAMES)  # V8 through @sentry/browser: an unnamed frame below Array.reduce
    expected = (
        "type:TypeError",
        "frame:static/js/main.js:<anon>",
        "frame:static/js/main.js:cartTotal",
    )
    assert group(firefox).components == group(sdk).components == expected
    other = _js(Frame(filename=BUNDLE, function="applyCoupon", in_app=True), *JS_FRAMES[1:])
    assert group(other).hash != group(sdk).hash  # another callback of the same bundle
    # Past a library frame the "caller" is whoever got the callback: not used.
    via_lib = _js(
        JS_FRAMES[0],
        Frame(filename="/n/node_modules/lodash/map.js", function="map", in_app=False),
        JS_FRAMES[2],
    )
    assert group(via_lib).components == ("type:TypeError", "frame:static/js/main.js:<anon>")


def test_lambdas_with_their_source_line_need_no_caller() -> None:
    event = _event(exceptions=(_exc("KeyError", "'total'", *PY_FRAMES),))
    assert group(event).components == group(event, version="v1").components


def test_js_names_as_every_browser_writes_them() -> None:
    def name(text: str) -> str:
        return normalize_function(text, js=True)

    assert name("HTMLFormElement.onSubmit") == name("onSubmit") == "onSubmit"
    assert name("Object.loadProfile") == "loadProfile"
    assert name("new CartModel") == "CartModel"
    assert name("async*ProfilePage") == "ProfilePage"
    assert name("cartTotal/<") == name("render/</<") == "<anon>"
    assert name("CartStore.total") == "CartStore.total"  # an app class says something
    assert normalize_function("HTMLFormElement.onSubmit") == "HTMLFormElement.onSubmit"
    a = _js(Frame(filename=BUNDLE, function="HTMLFormElement.onSubmit", in_app=True))
    b = _js(Frame(filename=BUNDLE, function="onSubmit", in_app=True))
    assert group(a).hash == group(b).hash
    py = _event(exceptions=(_exc("E", "x", Frame(module="m", function="Object.x", in_app=True)),))
    assert group(py).components[1] == "frame:m:Object.x"  # only for JavaScript


def _jackson_event(app_class: str, sdk_in_app: bool | None = None) -> Event:
    frames = (
        Frame(module=f"com.shop.{app_class}", function="parse", in_app=sdk_in_app),
        Frame(module="com.fasterxml.jackson.databind.ObjectMapper", function="readValue"),
        Frame(
            module="com.fasterxml.jackson.databind.DeserializationContext",
            function="reportInputMismatch",
        ),
    )
    return _event(platform="java", exceptions=(_exc("MismatchedInputException", "x", *frames),))


def test_library_namespaces_are_not_the_app() -> None:
    webhook, refund = _jackson_event("WebhookController"), _jackson_event("RefundController")
    assert group(webhook, version="v1").hash == group(refund, version="v1").hash
    assert group(webhook).hash != group(refund).hash
    assert group(webhook).components[1] == "frame:com.shop.WebhookController:parse"
    # The project's own rule still wins: an app that is itself in such a namespace.
    rules = InAppRules(include=("com.fasterxml.jackson.databind.Deserialization",))
    ruled = group(webhook, in_app_rules=rules).components[1]
    assert (
        ruled == "frame:com.fasterxml.jackson.databind.DeserializationContext:reportInputMismatch"
    )


def test_sdk_flag_still_decides_for_library_namespaces() -> None:
    event = _event(
        platform="java",
        exceptions=(
            _exc("E", "x", Frame(module="org.springframework.x.Y", function="f", in_app=True)),
        ),
    )
    assert group(event).components[1] == "frame:org.springframework.x.Y:f"


def test_spring6_proxies_named_like_the_class() -> None:
    assert normalize_module("com.shop.Svc$$SpringCGLIB$$0", options=V2) == "com.shop.Svc"
    assert normalize_module("com.shop.Svc$$SpringCGLIB$$0") == "com.shop.Svc$$SpringCGLIB$$0"
    assert normalize_module("com.shop.Svc$$EnhancerBySpringCGLIB$$1a2b", options=V2) == (
        "com.shop.Svc"
    )


def test_message_counts_when_no_frame_is_the_apps() -> None:
    def node(code: str, ip: str) -> Event:
        text = NODE.replace("ECONNREFUSED 10.0.3.7", f"{code} {ip}")
        return _native(
            {
                "errorType": "Error",
                "message": text.split(": ", 1)[1].split("\n")[0],
                "stackTrace": text,
            }
        )

    refused, timeout = node("ECONNREFUSED", "10.0.3.7"), node("ETIMEDOUT", "10.0.3.7")
    assert group(refused, version="v1").hash == group(timeout, version="v1").hash
    assert group(refused).hash != group(timeout).hash
    assert group(refused).hash == group(node("ECONNREFUSED", "192.168.1.20")).hash
    assert group(refused).components[-1] == "message:connect ECONNREFUSED <ip>"


def test_strict_java_frames() -> None:
    loose = parse_stack_trace(JACKSON).exceptions[-1]
    strict = parse_stack_trace(JACKSON, options=V2).exceptions[-1]
    assert loose.frames[-1].function == "[Source: "  # v1 took Jackson's message for a frame
    assert [f.function for f in strict.frames] == ["receive", "parse", "reportInputMismatch"]
    assert strict.value is not None and strict.value.endswith('(through reference chain: a.B["c"])')
    parsed = _native({"errorType": "E", "message": "m", "stackTrace": JACKSON})
    assert group(parsed).components[1] == "frame:com.shop.payments.WebhookController:parse"


def test_bundle_hashes_of_hex_letters_only() -> None:
    from faultbox.digest.grouping.naming import normalize_filename

    letters, mixed = BUNDLE.replace("3f9a2c1b", "abcdefab"), BUNDLE
    assert normalize_filename(letters, options=V2) == normalize_filename(mixed, options=V2)
    assert normalize_filename(letters) == "static/js/main.abcdefab.js"  # v1 kept it
    assert normalize_filename("/srv/app/static/js/decade.js", options=V2).endswith("decade.js")


def test_minified_names() -> None:
    def build(chunk: str, function: str, caller: str, prop: str = "price") -> Event:
        trace = MINIFIED_V8.replace("4e1f9a7c", chunk).replace(" t ", f" {function} ")
        trace = trace.replace("Xn", caller).replace("'price'", f"'{prop}'")
        message = trace.split(": ", 1)[1].split("\n", 1)[0]
        return _native({"errorType": "TypeError", "message": message, "stackTrace": trace,
                        "sourceType": "frontend"})  # fmt: skip

    one, next_build = build("4e1f9a7c", "t", "Xn"), build("b7c20d13", "Qe", "e")
    assert group(one, version="v1").hash != group(next_build, version="v1").hash
    assert group(one).hash == group(next_build).hash
    assert group(one).components == (
        "type:TypeError",
        "frame:static/js/account.chunk.js:<minified>",
        "message:Cannot access property 'price' of undefined",
    )
    # Another bug of the bundle that got the name "t" in the next build.
    assert group(build("b7c20d13", "t", "e", "sku")).hash != group(one).hash
