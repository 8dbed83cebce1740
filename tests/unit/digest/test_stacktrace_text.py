"""Text stack traces → exceptions and frames, ordered the way the Sentry SDKs send them."""

from __future__ import annotations

import sys
import traceback
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sentry_sdk.utils import event_from_exception

from faultbox.digest.stacktrace_text import ParsedTrace, parse_stack_trace
from faultbox.model import ExceptionValue

PLATFORMS = {"python", "javascript", "java", "go", "ruby", "csharp", "other"}


def functions(exc: ExceptionValue) -> list[str | None]:
    return [f.function for f in exc.frames]


# -- Python, checked against the real interpreter and sentry-sdk ------------------------


def _parse_amount(raw: str) -> int:
    return int(raw)


def _checkout(cart: dict[str, str]) -> int:
    try:
        return _parse_amount(cart["amount"])
    except ValueError as exc:
        raise RuntimeError("payment failed") from exc


def _cleanup() -> None:
    try:
        {}["missing"]
    except KeyError:
        _parse_amount("x")


def _capture(fn: Any, *args: Any) -> tuple[str, dict[str, Any]]:
    """The printed traceback and what sentry-python would send for the same exception."""
    try:
        fn(*args)
    except Exception:
        event, _ = event_from_exception(sys.exc_info())
        return traceback.format_exc(), event
    raise AssertionError("did not raise")


def _sdk_view(event: dict[str, Any]) -> list[tuple[str, str, list[tuple[str, int]]]]:
    return [
        (e["type"], e["value"], [(f["function"], f["lineno"]) for f in e["stacktrace"]["frames"]])
        for e in event["exception"]["values"]
    ]


def _our_view(parsed: ParsedTrace) -> list[tuple[str | None, str | None, list[tuple[Any, Any]]]]:
    return [
        (e.type, e.value, [(f.function, f.lineno) for f in e.frames]) for e in parsed.exceptions
    ]


@pytest.mark.parametrize(
    ("fn", "args"), [(_parse_amount, ("12,50 €",)), (_checkout, ({"amount": "x"},)), (_cleanup, ())]
)
def test_python_traceback_matches_what_sentry_sdk_sends(fn: Any, args: Any) -> None:
    text, event = _capture(fn, *args)
    parsed = parse_stack_trace(text)
    assert parsed.platform == "python"
    assert _our_view(parsed) == _sdk_view(event)


def test_python_chained_traceback_details() -> None:
    text, _ = _capture(_checkout, {"amount": "12,50"})
    cause, raised = parse_stack_trace(text).exceptions
    assert (cause.type, raised.type) == ("ValueError", "RuntimeError")
    assert functions(cause) == ["_checkout", "_parse_amount"]  # oldest first
    assert functions(raised)[-1] == "_checkout"
    assert cause.frames[-1].context_line == "return int(raw)"
    assert cause.frames[-1].abs_path == __file__


def test_python_site_packages_module_and_context() -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "/srv/app/views.py", line 12, in handler\n'
        "    return requests.get(url)\n"
        '  File "/venv/lib/python3.11/site-packages/requests/api.py", line 73, in get\n'
        '    return request("get", url, params=params, **kwargs)\n'
        "           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
        '  File "/venv/lib/python3.11/site-packages/requests/__init__.py", line 3, in <module>\n'
        "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='x', port=443): boom\n"
    )
    (exc,) = parse_stack_trace(text).exceptions
    assert (exc.type, exc.module) == ("ConnectionError", "requests.exceptions")
    assert exc.value == "HTTPSConnectionPool(host='x', port=443): boom"
    app, lib, init = exc.frames
    assert (app.function, app.lineno, app.in_app, app.module) == ("handler", 12, None, None)
    assert app.context_line == "return requests.get(url)"
    assert (lib.module, lib.filename, lib.in_app) == ("requests.api", "requests/api.py", False)
    assert lib.context_line == 'return request("get", url, params=params, **kwargs)'
    assert (init.module, init.context_line) == ("requests", None)


def test_python_with_log_prefix_and_during_handling() -> None:
    text = (
        "2024-05-01 12:00:00,123 ERROR worker crashed\n"
        "Traceback (most recent call last):\n"
        '  File "/app/a.py", line 1, in f\n'
        "KeyError: 'id'\n\n"
        "During handling of the above exception, another exception occurred:\n\n"
        "Traceback (most recent call last):\n"
        '  File "/app/a.py", line 3, in f\n'
        "KeyboardInterrupt\n"
    )
    first, second = parse_stack_trace(text).exceptions
    assert (first.type, first.value, second.type, second.value) == (
        "KeyError",
        "'id'",
        "KeyboardInterrupt",
        None,
    )


# -- JavaScript ----------------------------------------------------------------------------

V8 = """TypeError: Cannot read properties of undefined (reading 'id')
    at handler (https://shop.example.com/static/app.min.js:10:5)
    at https://shop.example.com/static/x.js:1:2
    at async Promise.all (index 0)
    at new Checkout (file:///srv/app/checkout.js:3:4)
    at Object.<anonymous> (/srv/app/node_modules/express/lib/router.js:33:7)
    at <anonymous>
    at node:internal/main/run_main_module:28:49"""


def test_v8_stack() -> None:
    parsed = parse_stack_trace(V8)
    assert parsed.platform == "javascript"
    (exc,) = parsed.exceptions
    assert (exc.type, exc.value) == (
        "TypeError",
        "Cannot read properties of undefined (reading 'id')",
    )
    frames = exc.frames[::-1]  # back to printed order, newest first
    assert functions(exc)[::-1] == [
        "handler", None, "Promise.all", "new Checkout", "Object.<anonymous>", None, None
    ]  # fmt: skip
    assert (frames[0].abs_path, frames[0].lineno, frames[0].colno) == (
        "https://shop.example.com/static/app.min.js", 10, 5
    )  # fmt: skip
    assert frames[2].abs_path is None  # "index 0" is no file
    assert frames[4].in_app is False and frames[6].in_app is False and frames[0].in_app is None


def test_firefox_and_safari_stacks() -> None:
    text = "fn@https://host/app.js:10:5\n@https://host/x.js:1:2\nglobal code@https://host/y.js:7:1"
    (exc,) = parse_stack_trace(text).exceptions
    assert functions(exc) == ["global code", None, "fn"]
    assert exc.frames[-1].lineno == 10 and exc.frames[-1].colno == 5


def test_node_uncaught_with_source_line_above() -> None:
    text = (
        "/srv/app/index.js:10\n    throw new RangeError('too big');\n    ^\n\n"
        "RangeError: too big\n    at main (/srv/app/index.js:10:11)\n"
    )
    parsed = parse_stack_trace(text, platform_hint="node")
    assert (parsed.platform, parsed.exceptions[0].type, parsed.exceptions[0].value) == (
        "javascript", "RangeError", "too big"
    )  # fmt: skip


# -- Java / Kotlin ---------------------------------------------------------------------------

JAVA = """Exception in thread "main" java.lang.IllegalStateException: Failed to start
\tat com.acme.Server.start(Server.java:42)
\tat java.base/java.lang.Thread.run(Thread.java:833)
\tat app//com.acme.Main.main(Main.kt:7)
\tSuppressed: java.lang.RuntimeException: close failed
\t\tat com.acme.Pool.close(Pool.java:9)
Caused by: java.io.IOException: Address already in use
\tat sun.nio.ch.Net.bind0(Native Method)
\tat com.acme.Binder.bind(Unknown Source)
\tat com.acme.Server.start(Server.java:40)
\t... 2 more
"""


def test_java_chain_root_cause_first() -> None:
    parsed = parse_stack_trace(JAVA)
    assert parsed.platform == "java"
    cause, raised = parsed.exceptions
    assert (cause.type, cause.module, cause.value) == (
        "IOException",
        "java.io",
        "Address already in use",
    )
    assert (raised.type, raised.module, raised.value) == (
        "IllegalStateException",
        "java.lang",
        "Failed to start",
    )
    assert [(f.module, f.function) for f in raised.frames] == [
        ("com.acme.Main", "main"), ("java.lang.Thread", "run"), ("com.acme.Server", "start")
    ]  # fmt: skip
    # "... 2 more" stands for the enclosing trace's two outermost frames.
    assert functions(cause) == ["main", "run", "start", "bind", "bind0"]
    bind0 = cause.frames[-1]
    assert (bind0.filename, bind0.lineno, bind0.in_app) == (None, None, False)
    assert (raised.frames[-1].filename, raised.frames[-1].lineno) == ("Server.java", 42)
    assert raised.frames[1].in_app is False and raised.frames[0].in_app is None


# -- Go, Ruby, .NET ------------------------------------------------------------------------

GO = """panic: runtime error: index out of range [3] with length 3

goroutine 1 [running]:
main.handler(...)
\t/app/main.go:12
github.com/acme/shop/db.(*Conn).Query(0xc000012345, {0x1, 0x2})
\t/root/go/pkg/mod/github.com/acme/shop@v1.2.0/db/conn.go:88 +0x55
runtime.gopanic({0x4a, 0x5})
\t/usr/local/go/src/runtime/panic.go:770 +0x132
main.main()
\t/app/main.go:20 +0x1d
exit status 2
"""


def test_go_panic() -> None:
    parsed = parse_stack_trace(GO)
    assert parsed.platform == "go"
    (exc,) = parsed.exceptions
    assert (exc.type, exc.value) == ("panic", "runtime error: index out of range [3] with length 3")
    assert [(f.module, f.function, f.lineno) for f in exc.frames] == [
        ("main", "main", 20), ("runtime", "gopanic", 770),
        ("github.com/acme/shop/db", "(*Conn).Query", 88), ("main", "handler", 12),
    ]  # fmt: skip
    assert [f.in_app for f in exc.frames] == [None, False, False, None]
    assert exc.frames[-1].abs_path == "/app/main.go"


@pytest.mark.parametrize("quote", ["`", "'"])
def test_ruby(quote: str) -> None:
    text = (
        f"app/models/user.rb:10:in {quote}save': "
        f"undefined method {quote}id' for nil (NoMethodError)\n"
        f"\tfrom app/services/run.rb:3:in {quote}block in run'\n"
        f"\tfrom /usr/local/bundle/gems/rack-3.0.8/lib/rack/builder.rb:3:in {quote}call'\n"
    )
    parsed = parse_stack_trace(text)
    assert parsed.platform == "ruby"
    (exc,) = parsed.exceptions
    assert (exc.type, exc.value) == ("NoMethodError", f"undefined method {quote}id' for nil")
    assert functions(exc) == ["call", "block in run", "save"]
    assert [f.in_app for f in exc.frames] == [False, None, None]
    assert exc.frames[-1].lineno == 10


@pytest.mark.parametrize("arrow", [" ---> ", "\n ---> "])
def test_dotnet_inner_exceptions(arrow: str) -> None:
    text = (
        f"System.InvalidOperationException: Order failed{arrow}System.NullReferenceException: "
        "Object reference not set to an instance of an object.\n"
        "   at Acme.Orders.Process(Order o) in C:\\src\\Orders.cs:line 42\n"
        "   at Acme.Orders.<SubmitAsync>d__7.MoveNext() in C:\\src\\Orders.cs:line 17\n"
        "   --- End of inner exception stack trace ---\n"
        "   at Acme.Api.Post(Int32 id) in C:\\src\\Api.cs:line 9\n"
        "--- End of stack trace from previous location ---\n"
        "   at System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw()\n"
    )
    parsed = parse_stack_trace(text)
    assert parsed.platform == "csharp"
    inner, outer = parsed.exceptions
    assert (inner.type, outer.type) == (
        "System.NullReferenceException",
        "System.InvalidOperationException",
    )
    assert [(f.module, f.function, f.lineno) for f in inner.frames] == [
        ("Acme.Orders", "SubmitAsync", 17), ("Acme.Orders", "Process", 42)
    ]  # fmt: skip
    assert inner.frames[-1].abs_path == "C:\\src\\Orders.cs"
    assert functions(outer) == ["Throw", "Post"]
    assert outer.frames[0].in_app is False


# -- robustness -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "   \n", "something went wrong", "ERROR: disk full\nretrying"]
)
def test_unparseable_text_is_one_exception_without_frames(text: str) -> None:
    parsed = parse_stack_trace(text)
    (exc,) = parsed.exceptions
    assert exc.frames == () and parsed.platform == "other"
    assert exc.value == (text.strip() or None)


def test_the_same_bug_parses_the_same_with_other_numbers() -> None:
    a = parse_stack_trace(JAVA)
    b = parse_stack_trace(JAVA.replace("42", "43").replace("Failed to start", "Failed to start #2"))
    assert [(e.type, functions(e)) for e in a.exceptions] == [
        (e.type, functions(e)) for e in b.exceptions
    ]


def test_platform_hint_breaks_ties_only() -> None:
    assert (
        parse_stack_trace("x\n    at f (a.js:1:2)", platform_hint="java").platform == "javascript"
    )
    assert parse_stack_trace("just text", platform_hint="python").platform == "python"


JUNK = [
    "a" * 50_000,
    "at (" * 12_500,
    'File "' * 8_000,
    "@:" * 25_000,
    ":in `" * 10_000,
    "a:" * 25_000,
    "--->" * 12_500,
    ("    at " + "(" * 40 + "x:1:2" + ")" * 40 + "\n") * 550,
    '  File "a", line 1, in f\n' * 2000,
    "\tat a.b(" + "c" * 49_000 + ")",
    "%(" * 25_000,
    "\n" * 50_000,
    "goroutine 1 [running]:\n" + "f()\n\t/a.go:1 +0x1\n" * 2500,
    "Caused by: x\n\t... 99999999 more\n" * 1500,
    "java.lang.X: y\n" + "Caused by: x.Y: z\n\tat a.b(c)\n\t... 99999 more\n" * 1250,
]


@pytest.mark.parametrize("text", JUNK, ids=[f"junk{i}" for i in range(len(JUNK))])
@pytest.mark.timeout(30)  # catastrophic backtracking would hang far past this
def test_pathological_input_is_linear(text: str) -> None:
    parsed = parse_stack_trace(text)
    assert parsed.exceptions and all(len(e.frames) <= 250 for e in parsed.exceptions)


LINES = st.sampled_from(
    [
        "Traceback (most recent call last):", '  File "/a.py", line 3, in f', "    x()",
        "ValueError: v", "    at f (a.js:1:2)", "f@a.js:1:2", "\tat a.B.c(B.java:1)",
        "Caused by: x.Y: z", "\t... 3 more", "goroutine 1 [running]:", "main.f(...)",
        "\t/a.go:1 +0x1", "a.rb:1:in `f': m (E)", "\tfrom a.rb:2:in `g'", " ---> E: m",
        "   at A.B(C d) in x.cs:line 1", "--- End of inner exception stack trace ---", "",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(LINES | st.text(max_size=40), max_size=30),
    st.none() | st.sampled_from(sorted(PLATFORMS)),
)
def test_never_raises(lines: list[str], hint: str | None) -> None:
    parsed = parse_stack_trace("\n".join(lines), platform_hint=hint)
    assert parsed.platform in PLATFORMS and parsed.exceptions


PY_HEAD = 'Traceback (most recent call last):\n  File "'


@pytest.mark.parametrize(
    ("text", "in_app"),
    [
        (
            PY_HEAD + '/usr/local/lib/python3.11/json/decoder.py", line 1, in f\nValueError: x',
            False,
        ),
        (PY_HEAD + '/usr/lib/python3/dist-packages/yaml/a.py", line 1, in f\nValueError: x', False),
        (PY_HEAD + '/srv/shop/views.py", line 1, in pay\nE: x', None),
        ("panic: x\n\ngoroutine 1 [running]:\nruntime.gopanic()\n\truntime/panic.go:7 +0x1", False),
        ("E: x\n\tat kotlin.collections.Foo.bar(Foo.kt:1)", False),
        ("E: x\n\tat javax.servlet.Http.run(Http.java:1)", False),
        ("E: x\n\tat com.acme.javax.Thing.run(Thing.java:1)", None),
        ("E: x\n   at Microsoft.AspNetCore.Run() in /x.cs:line 1", False),
        ("E: x\n   at Acme.System.Run() in /x.cs:line 1", None),
        ("/app/vendor/bundle/ruby/3.2.0/gems/rack/a.rb:2:in `y': m (E)", False),
        ("app/models/a.rb:2:in `y': m (E)", None),
    ],
)
def test_in_app_heuristic(text: str, in_app: bool | None) -> None:
    (frame,) = parse_stack_trace(text).exceptions[-1].frames
    assert frame.in_app is in_app
