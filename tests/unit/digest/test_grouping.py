import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faultbox.digest.grouping import DEFAULT_VERSION, InAppRules, compute_grouping
from faultbox.digest.grouping.fingerprint import (
    normalize_filename,
    normalize_function,
    normalize_module,
)
from faultbox.model import Event, ExceptionValue, Frame, Grouping, Thread

# --- builders ---------------------------------------------------------------


def event(**kw: Any) -> Event:
    kw.setdefault("platform", "python")
    return Event(event_id="0" * 32, project_id=1, timestamp=1.0, received_at=1.0, **kw)


def exc(type_: str | None, value: str | None, *frames: Frame, **kw: Any) -> ExceptionValue:
    return ExceptionValue(type=type_, value=value, frames=tuple(frames), **kw)


def app(function: str, module: str = "shop.checkout", line: int = 10, **kw: Any) -> Frame:
    kw.setdefault("abs_path", f"/srv/app/{module.replace('.', '/')}.py")
    return Frame(module=module, function=function, lineno=line, in_app=True, **kw)


def lib(function: str, module: str = "requests.api", line: int = 99) -> Frame:
    return Frame(module=module, function=function, lineno=line, in_app=False)


def group(e: Event, **kw: Any) -> Grouping:
    return compute_grouping(e, **kw)


def h(e: Event, **kw: Any) -> str:
    return group(e, **kw).hash


def raise_at(*frames: Frame, type_: str = "ValueError", value: str = "bad amount") -> Event:
    return event(exceptions=(exc(type_, value, *frames),))


# --- the innermost in-app frame ---------------------------------------------


def test_result_shape() -> None:
    g = group(raise_at(app("main"), app("pay", context_line="  raise ValueError(x)")))
    assert g.version == DEFAULT_VERSION == "v2"
    assert len(g.hash) == 32 and int(g.hash, 16) >= 0
    assert g.components == (
        "type:ValueError",
        "frame:shop.checkout:pay",
        "context:raise ValueError(x)",
    )
    assert g.title == "ValueError: bad amount"
    assert g.culprit == "shop.checkout in pay"


def test_line_numbers_do_not_matter() -> None:
    assert h(raise_at(app("pay", line=10))) == h(raise_at(app("pay", line=250)))


def test_exception_value_does_not_matter_with_a_stack() -> None:
    a = raise_at(app("pay"), value="order 1 failed")
    b = raise_at(app("pay"), value="something else entirely")
    assert h(a) == h(b)


def test_different_type_or_function_differ() -> None:
    base = h(raise_at(app("pay")))
    assert h(raise_at(app("pay"), type_="KeyError")) != base
    assert h(raise_at(app("refund"))) != base
    assert h(raise_at(app("pay", module="shop.refunds"))) != base


def test_context_line_tells_two_raises_apart() -> None:
    one = raise_at(app("pay", context_line="raise ValueError('no card')"))
    two = raise_at(app("pay", context_line="raise ValueError('no amount')"))
    again = raise_at(app("pay", line=99, context_line="    raise ValueError('no card')  "))
    assert h(one) != h(two)
    assert h(one) == h(again)


def test_minified_context_line_is_ignored() -> None:
    long_a = "!function(){" + "a" * 300
    long_b = "!function(){" + "b" * 300
    assert h(raise_at(app("pay", context_line=long_a))) == h(
        raise_at(app("pay", context_line=long_b))
    )


def test_callers_do_not_matter() -> None:
    via_web = raise_at(app("handle", "shop.web"), app("checkout"), app("pay"))
    via_cli = raise_at(app("main", "shop.cli"), app("batch", "shop.jobs"), app("pay"))
    assert h(via_web) == h(via_cli)


def test_library_frames_below_the_app_frame_do_not_matter() -> None:
    call = app("pay", context_line="requests.post(url)")
    a = raise_at(call, lib("post"), lib("request"), lib("send", "urllib3.pool"))
    b = raise_at(call, lib("post", line=12), lib("urlopen", "urllib3.connectionpool"))
    assert h(a) == h(b)
    assert group(a).culprit == "shop.checkout in pay"


def test_sdk_flag_missing_uses_heuristics() -> None:
    site = "/home/u/.venv/lib/python3.11/site-packages/requests/api.py"
    a = raise_at(
        Frame(module="shop.pay", function="pay", abs_path="/srv/app/shop/pay.py"),
        Frame(module="requests.api", function="post", abs_path=site),
    )
    assert "frame:shop.pay:pay" in group(a).components


def test_project_rules_change_the_app_frame() -> None:
    e = raise_at(app("pay"), app("encode", module="shop.generated.pb"))
    default = group(e)
    ruled = group(e, in_app_rules=InAppRules(exclude=("shop.generated",)))
    assert "frame:shop.generated.pb:encode" in default.components
    assert "frame:shop.checkout:pay" in ruled.components


# --- normalization ------------------------------------------------------------


@pytest.mark.parametrize(
    "paths",
    [
        (
            "/srv/app/releases/20240101120000/shop/views.py",
            "/srv/app/releases/20240202093000/shop/views.py",
        ),
        ("/home/alice/code/shop/api/views.py", "/app/code/shop/api/views.py"),
        (
            "/home/u/.venv/lib/python3.11/site-packages/stripe/api/charge.py",
            "/usr/local/lib/python3.12/site-packages/stripe/api/charge.py",
        ),
        ("C:\\build\\shop\\api\\views.py", "/opt/build/shop/api/views.py"),
        (
            "https://cdn.example.com/static/js/main.3f9a2c1b.js?v=123",
            "https://cdn2.example.com/static/js/main.77aa01ff.js",
        ),
        ("webpack:///./src/components/App.js", "app:///src/components/App.js"),
        ("/srv/www/dist/1234.chunk.js", "/srv/www/dist/987.chunk.js"),
        ("/app/node_modules/react-dom/cjs/x.js", "/build/node_modules/react-dom/cjs/x.js"),
        ("/deploy/v1.2.3/shop/x.py", "/deploy/v1.2.4/shop/x.py"),
    ],
)
def test_filename_normalization_equal(paths: tuple[str, str]) -> None:
    a, b = paths
    assert normalize_filename(a) == normalize_filename(b)
    fa = raise_at(Frame(filename=a, function="f", in_app=True))
    fb = raise_at(Frame(filename=b, function="f", in_app=True))
    assert h(fa) == h(fb)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/srv/app/shop/api/views.py", "shop/api/views.py"),
        ("https://x.io/static/js/main.3f9a2c1b.js?v=1#l", "static/js/main.js"),
        ("index-BfX3a9Zk.js", "index.js"),
        ("C:\\Users\\bob\\x.py", "x.py"),
        ("/srv/app/app/views.py", "views.py"),
        ("C:\\x.py", "c:/x.py"),
        ("<frozen runpy>", "<frozen runpy>"),
        ("test_utils2.py", "test_utils2.py"),
    ],
)
def test_filename_normalization_examples(path: str, expected: str) -> None:
    assert normalize_filename(path) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("<lambda>", "<anon>"),
        ("<genexpr>", "<anon>"),
        ("<listcomp>", "<anon>"),
        ("Object.<anonymous>", "Object.<anon>"),
        ("anonymous", "<anon>"),
        ("?", "<anon>"),
        ("lambda$processOrder$0", "lambda"),
        ("Function.executeUserEntryPoint [as runMain]", "Function.executeUserEntryPoint"),
        ("<function pay at 0x7f0a11b2c3d0>", "<function pay>"),
        ("pay", "pay"),
    ],
)
def test_function_normalization(name: str, expected: str) -> None:
    assert normalize_function(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("com.shop.Service$$EnhancerBySpringCGLIB$$1a2b3c4d", "com.shop.Service"),
        ("com.sun.proxy.$Proxy12", "com.sun.proxy.$Proxy"),
        ("com.shop.Foo$$Lambda$123/0x0000000800c0b840", "com.shop.Foo"),
        ("shop.views", "shop.views"),
    ],
)
def test_module_normalization(name: str, expected: str) -> None:
    assert normalize_module(name) == expected


def test_memory_addresses_and_generated_names_group_together() -> None:
    a = raise_at(Frame(module="com.shop.Svc$$EnhancerByCGLIB$$aa11", function="lambda$pay$0"))
    b = raise_at(Frame(module="com.shop.Svc$$EnhancerByCGLIB$$bb22", function="lambda$pay$3"))
    assert h(a) == h(b)


@given(
    line=st.integers(1, 100_000),
    root=st.sampled_from(["/srv/app", "/app", "/home/deploy", "/var/www", "/opt"]),
    release=st.from_regex(r"[0-9]{8,14}|[0-9a-f]{7,12}|v[0-9]\.[0-9]{1,2}\.[0-9]", fullmatch=True),
    venv=st.sampled_from(["/venv", "/home/u/.virtualenvs/shop", "/usr/local"]),
    addr=st.integers(0x1000, 0xFFFFFFFFFFFF),
    lib_depth=st.integers(0, 5),
)
def test_same_bug_same_hash(
    line: int, root: str, release: str, venv: str, addr: int, lib_depth: int
) -> None:
    site = f"{venv}/lib/python3.11/site-packages/stripe/api.py"
    libs = [
        Frame(filename=site, function=f"call{i}", lineno=line + i, in_app=False)
        for i in range(lib_depth)
    ]
    e = event(
        exceptions=(
            exc(
                "StripeError",
                f"charge {line} failed at {hex(addr)}",
                Frame(filename=f"{root}/releases/{release}/shop/web.py", function="view"),
                Frame(
                    filename=f"{root}/releases/{release}/shop/pay.py",
                    function=f"<function charge at {hex(addr)}>",
                    lineno=line,
                    context_line="stripe.Charge.create(**args)",
                ),
                *libs,
            ),
        ),
    )
    reference = event(
        exceptions=(
            exc(
                "StripeError",
                "x",
                Frame(
                    filename="/app/releases/20240101/shop/pay.py",
                    function="<function charge at 0x1>",
                    context_line="stripe.Charge.create(**args)",
                ),
            ),
        ),
    )
    assert h(e) == h(reference)


@given(st.sampled_from(["ValueError", "KeyError", "TypeError"]), st.text(min_size=1, max_size=20))
def test_type_and_function_split(type_: str, function: str) -> None:
    base = raise_at(app("pay"))
    other = raise_at(app(function), type_=type_)
    if type_ != "ValueError" or normalize_function(function) != "pay":
        assert h(base) != h(other)


# --- no in-app frame, no stack -----------------------------------------------


def test_no_in_app_frame_uses_all_frames() -> None:
    a = raise_at(lib("a", "x"), lib("b", "y"), lib("c", "z"))
    frames = ("type:ValueError", "frame:x:a", "frame:y:b", "frame:z:c")
    assert group(a, version="v1").components == frames
    # v2: with no app frame anywhere, the message template tells errors apart too.
    assert group(a).components == (*frames, "message:bad amount")
    assert group(a).culprit is None
    assert h(a) != h(raise_at(lib("a", "x"), lib("other", "y"), lib("c", "z")))


def test_recursion_is_collapsed() -> None:
    deep = [lib("recurse", "x") for _ in range(40)]
    shallow = [lib("recurse", "x") for _ in range(3)]
    assert h(raise_at(lib("main", "m"), *deep)) == h(raise_at(lib("main", "m"), *shallow))


def test_only_the_innermost_ten_frames_count() -> None:
    inner = [lib(f"f{i}", "x") for i in range(10)]
    a = raise_at(lib("outer_a", "o"), *inner)
    b = raise_at(lib("outer_b", "o"), lib("more", "o"), *inner)
    assert h(a) == h(b)
    assert len(group(a, version="v1").components) == 11
    assert len(group(a).components) == 12  # and the message


def test_no_stack_uses_the_message_template() -> None:
    a = raise_at(value="user 42 not found in 550e8400-e29b-41d4-a716-446655440000")
    b = raise_at(value="user 7 not found in 123e4567-e89b-12d3-a456-426614174000")
    c = raise_at(value="cart is empty")
    assert h(a) == h(b) != h(c)
    assert group(a).components == ("type:ValueError", "message:user <int> not found in <uuid>")
    assert h(raise_at(type_="KeyError", value="user 1 not found in x")) != h(a)


def test_chain_each_exception_counts() -> None:
    cause = exc("KeyError", "'amount'", app("parse", context_line="cart['amount']"))
    final = exc("RuntimeError", "payment failed", app("pay", context_line="raise RuntimeError"))
    chained = event(exceptions=(cause, final))
    alone = event(exceptions=(final,))
    g = group(chained)
    assert h(chained) != h(alone)
    assert g.components[:3] == (
        "type:KeyError",
        "frame:shop.checkout:parse",
        "context:cart['amount']",
    )
    assert g.title == "RuntimeError: payment failed"
    assert g.culprit == "shop.checkout in pay"


def test_frameless_cause_in_a_stacked_chain_counts_by_type() -> None:
    def chain(cause_value: str) -> Event:
        return event(exceptions=(exc("OSError", cause_value), exc("RuntimeError", "x", app("pay"))))

    assert h(chain("disk /dev/sda1 full")) == h(chain("something different"))


# --- exception groups ---------------------------------------------------------


def _eg(*leaves: tuple[str, str]) -> Event:
    values = [
        exc(t, v, mechanism={"type": "chained", "exception_id": i + 1, "parent_id": 0})
        for i, (t, v) in enumerate(leaves)
    ]
    container = exc(
        "ExceptionGroup",
        "batch failed",
        app("run", context_line="raise ExceptionGroup('batch failed', errors)"),
        mechanism={"type": "generic", "exception_id": 0, "is_exception_group": True},
    )
    return event(exceptions=(*values, container))


def test_exception_group_is_grouped_by_its_leaves() -> None:
    g = group(_eg(("ValueError", "row 1"), ("KeyError", "'id'")))
    assert "type:ExceptionGroup" not in g.components
    assert g.components[0] == "type:ValueError"
    assert "frame:shop.checkout:run" in g.components  # inherited from the group
    assert g.title == "KeyError: 'id'"
    assert g.culprit == "shop.checkout in run"


def test_exception_group_repeated_leaves_count_once() -> None:
    few = _eg(("ValueError", "row 1"))
    many = _eg(*[("ValueError", f"row {i}") for i in range(7)])
    assert h(few) == h(many)
    assert h(few) != h(_eg(("KeyError", "row 1")))


def test_exception_group_without_children_is_a_leaf() -> None:
    lone = exc("ExceptionGroup", "empty", app("run"), mechanism={"is_exception_group": True})
    assert group(event(exceptions=(lone,))).components[0] == "type:ExceptionGroup"


def test_hostile_mechanism_ids() -> None:
    bad = {"is_exception_group": True, "exception_id": [1], "parent_id": {"a": 1}}
    e = event(exceptions=(exc("E", "x", mechanism=bad), exc("F", "y", mechanism=bad)))
    assert group(e).components


# --- messages and threads -----------------------------------------------------


def test_message_template_is_preferred() -> None:
    a = event(
        message="Charge ch_123 failed after 3 attempts",
        message_template="Charge %s failed after %d attempts",
        logger="payments",
    )
    b = event(
        message="Charge ch_999 failed after 5 attempts",
        message_template="Charge %s failed after %d attempts",
        logger="payments",
    )
    g = group(a)
    assert g.components == ("message:Charge %s failed after %d attempts", "logger:payments")
    assert h(a) == h(b)
    assert g.title == "Charge ch_123 failed after 3 attempts"
    assert g.culprit is None


def test_formatted_message_is_templated() -> None:
    a = event(message="Cache miss ratio 0.93 above threshold for 10.0.0.3")
    b = event(message="Cache miss ratio 0.12 above threshold for 10.0.0.9")
    assert h(a) == h(b)
    assert h(a) != h(event(message="Queue full"))


def test_logger_splits_messages() -> None:
    assert h(event(message="boom", logger="a")) != h(event(message="boom", logger="b"))


def test_crashed_thread_stack_is_used() -> None:
    crashed = Thread(id="1", name="main", crashed=True, current=False, frames=(app("loop"),))
    idle = Thread(id="2", name="io", crashed=False, current=False, frames=(app("wait"),))
    g = group(event(threads=(idle, crashed), message="App crashed"))
    assert g.components == ("frame:shop.checkout:loop",)
    assert g.culprit == "shop.checkout in loop"


def test_current_thread_stack_only_when_there_is_no_message() -> None:
    current = Thread(id="1", name="main", crashed=False, current=True, frames=(app("log_it"),))
    with_message = group(event(threads=(current,), message="Disk 91% full"))
    assert with_message.components == ("message:Disk <int>% full",)
    bare = group(event(threads=(current,)))
    assert bare.components == ("frame:shop.checkout:log_it",)


def test_unlabeled_event() -> None:
    g = group(event())
    assert g.title == "<unlabeled event>"
    assert g.culprit is None
    assert g.components == ("unlabeled",)
    assert group(event(transaction="/api/pay")).culprit == "/api/pay"


# --- client fingerprint -------------------------------------------------------


def test_fingerprint_replaces_default() -> None:
    a = raise_at(app("pay"))
    b = raise_at(app("refund"), type_="KeyError")
    fa = group(event(exceptions=a.exceptions, fingerprint=("db-down",)))
    fb = group(event(exceptions=b.exceptions, fingerprint=("db-down",)))
    assert fa.hash == fb.hash
    assert fa.components == ("fingerprint:db-down",)
    assert fa.title == "ValueError: bad amount"


@pytest.mark.parametrize("marker", ["{{ default }}", "{{default}}", "{{  Default }}"])
def test_fingerprint_default_marker(marker: str) -> None:
    e = raise_at(app("pay"))
    g = group(event(exceptions=e.exceptions, fingerprint=(marker, "checkout")))
    assert g.components == (*group(e).components, "fingerprint:checkout")
    other = group(
        event(exceptions=raise_at(app("refund")).exceptions, fingerprint=(marker, "checkout"))
    )
    assert g.hash != other.hash


def test_empty_fingerprint_is_the_default() -> None:
    e = raise_at(app("pay"))
    assert h(event(exceptions=e.exceptions, fingerprint=())) == h(e)


def test_fingerprint_entries_cannot_collide_by_joining() -> None:
    assert h(event(fingerprint=("a", "bc"))) != h(event(fingerprint=("ab", "c")))


# --- titles -------------------------------------------------------------------


def test_title_variants() -> None:
    assert group(raise_at(app("x"), value="")).title == "ValueError"
    assert group(raise_at(app("x"), value="line one\nline two")).title == "ValueError: line one"
    long = group(raise_at(app("x"), value="x" * 5000)).title
    assert len(long) <= 215 and long.endswith("…")
    synthetic = exc(None, "Cache miss", app("main"), mechanism={"synthetic": True})
    assert group(event(exceptions=(synthetic,))).title == "Cache miss"


def test_synthetic_exception_groups_by_its_message() -> None:
    def captured(text: str) -> Event:
        frame = app("main", context_line="Sentry.captureMessage(text)")
        return event(exceptions=(exc(None, text, frame, mechanism={"synthetic": True}),))

    assert h(captured("retry 3 failed")) == h(captured("retry 4 failed"))
    assert h(captured("retry 3 failed")) != h(captured("cache miss"))


def test_surrogates_and_control_characters() -> None:
    g = group(raise_at(app("p\ud800ay\n"), type_="E\x00rr", value="\udcff"))
    assert len(g.hash) == 32


# --- real SDK payloads ----------------------------------------------------------


def _frames(raw: Any) -> tuple[Frame, ...]:
    if not isinstance(raw, dict) or not isinstance(raw.get("frames"), list):
        return ()
    out = []
    fields = {"filename", "abs_path", "function", "module", "context_line", "package"}
    for f in raw["frames"]:
        if not isinstance(f, dict):
            continue
        kw: dict[str, Any] = {k: v for k, v in f.items() if k in fields and isinstance(v, str)}
        in_app = f.get("in_app")
        lineno = f.get("lineno")
        out.append(
            Frame(
                **kw,
                in_app=in_app if isinstance(in_app, bool) else None,
                lineno=lineno if isinstance(lineno, int) else None,
                vars=f["vars"] if isinstance(f.get("vars"), dict) else None,
            )
        )
    return tuple(out)


def _values(raw: Any) -> list[Any]:
    if isinstance(raw, dict):
        raw = raw.get("values")
    return [v for v in raw if isinstance(v, dict)] if isinstance(raw, list) else []


def from_sentry(data: dict[str, Any]) -> Event:
    """Just enough of the Sentry payload for grouping; the real normalizer lives elsewhere."""
    exceptions = tuple(
        ExceptionValue(
            type=v.get("type") if isinstance(v.get("type"), str) else None,
            value=v.get("value") if isinstance(v.get("value"), str) else None,
            frames=_frames(v.get("stacktrace")),
            mechanism=v.get("mechanism") if isinstance(v.get("mechanism"), dict) else None,
        )
        for v in _values(data.get("exception"))
    )
    threads = tuple(
        Thread(
            id=str(t.get("id")),
            name=t.get("name"),
            crashed=bool(t.get("crashed")),
            current=bool(t.get("current")),
            frames=_frames(t.get("stacktrace")),
        )
        for t in _values(data.get("threads"))
    )
    logentry = data.get("logentry")
    message = data.get("message")
    template = None
    if isinstance(logentry, dict):
        template = logentry.get("message")
        message = logentry.get("formatted") or message
    if isinstance(message, dict):
        message = message.get("formatted") or message.get("message")
    fingerprint = data.get("fingerprint")
    return event(
        platform=str(data.get("platform") or "other"),
        message=message if isinstance(message, str) else None,
        message_template=template if isinstance(template, str) else None,
        logger=data.get("logger") if isinstance(data.get("logger"), str) else None,
        exceptions=exceptions,
        threads=threads,
        transaction=data.get("transaction") if isinstance(data.get("transaction"), str) else None,
        fingerprint=tuple(str(x) for x in fingerprint) if isinstance(fingerprint, list) else None,
    )


# Trimmed from sdk-captured/sentry-python-2.75.0/main/001-event-chained-unicode-locals.
PYTHON_CHAINED = """{"platform": "python", "fingerprint": ["{{ default }}", "checkout-failure"],
 "exception": {"values": [
  {"type": "ValueError", "value": "invalid literal for int() with base 10: '12,50 €'",
   "mechanism": {"type": "generic", "handled": true},
   "stacktrace": {"frames": [
    {"filename": "py_scenarios.py", "abs_path": "/tmp/cap/py_scenarios.py", "function": "checkout",
     "module": "__main__", "lineno": 36, "in_app": true,
     "context_line": "        return parse_amount(cart[\\"amount\\"])",
     "vars": {"cart": {"amount": "'12,50 €'"}, "attempt": "1"}},
    {"filename": "py_scenarios.py", "abs_path": "/tmp/cap/py_scenarios.py",
     "function": "parse_amount", "module": "__main__", "lineno": 31, "in_app": true,
     "context_line": "    return int(raw)", "vars": {"raw": "'12,50 €'"}}]}},
  {"type": "RuntimeError", "value": "Zahlung fehlgeschlagen – 支払い失敗 💥",
   "mechanism": {"type": "generic", "handled": true},
   "stacktrace": {"frames": [
    {"filename": "py_scenarios.py", "abs_path": "/tmp/cap/py_scenarios.py", "function": "chained",
     "module": "__main__", "lineno": 50, "in_app": true,
     "context_line": "            checkout({\\"amount\\": \\"12,50 €\\"})"},
    {"filename": "py_scenarios.py", "abs_path": "/tmp/cap/py_scenarios.py", "function": "checkout",
     "module": "__main__", "lineno": 38, "in_app": true,
     "context_line":
       "        raise RuntimeError(\\"Zahlung fehlgeschlagen – 支払い失敗 💥\\") from exc"}
  ]}}]}}"""

# Trimmed from sdk-captured/sentry-python-2.75.0/main/004-event-exception-group.
PYTHON_GROUP = """{"platform": "python", "exception": {"values": [
  {"type": "KeyError", "value": "'row 2 missing id'",
   "mechanism": {"type": "chained", "handled": true, "exception_id": 2,
                 "source": "exceptions[1]", "parent_id": 0}},
  {"type": "ValueError", "value": "row 1 invalid",
   "mechanism": {"type": "chained", "handled": true, "exception_id": 1,
                 "source": "exceptions[0]", "parent_id": 0}},
  {"type": "ExceptionGroup", "value": "batch failed",
   "mechanism": {"type": "generic", "handled": true, "exception_id": 0,
                 "is_exception_group": true},
   "stacktrace": {"frames": [{"filename": "py_scenarios.py", "abs_path": "/tmp/cap/py_scenarios.py",
     "function": "<module>", "module": "__main__", "lineno": 74, "in_app": true,
     "context_line":
       "        raise ExceptionGroup(\\"batch failed\\", [ValueError(\\"row 1 invalid\\")])"}
  ]}}]}}"""

# Trimmed from sdk-captured/sentry-javascript-node-11.12.0/main/003-event-message-synthetic.
NODE_SYNTHETIC = """{"platform": "node", "level": "warning",
 "message": "Cache miss ratio above threshold",
 "exception": {"values": [{"value": "Cache miss ratio above threshold",
  "mechanism": {"type": "generic", "handled": true, "synthetic": true},
  "stacktrace": {"frames": [
   {"filename": "node:internal/main/run_main_module", "module": "run_main_module",
    "function": "?", "lineno": 28, "colno": 49, "in_app": false},
   {"filename": "/tmp/cap/node_scenarios.js", "module": "node_scenarios", "function": "main",
    "lineno": 39, "colno": 12, "in_app": true,
    "context_line": "    Sentry.captureMessage('Cache miss ratio above threshold', 'warning');"}
  ]}}]}}"""

# bugsink-event-samples/bugsink/issue-16-go.json (frames trimmed).
GO_ERROR = """{"platform": "go", "exception": [{"type": "*errors.errorString",
  "value": "error connecting to job database",
  "stacktrace": {"frames": [{"abs_path": "/home/jmbenlloch/bugsink/main.go", "module": "main",
   "function": "main", "lineno": 30, "in_app": true,
   "context_line": "\\tsentry.CaptureException(message)"}]}}]}"""


def test_real_python_chain() -> None:
    g = group(from_sentry(json.loads(PYTHON_CHAINED)))
    assert g.components == (
        "type:ValueError",
        "frame:__main__:parse_amount",
        "context:return int(raw)",
        "type:RuntimeError",
        "frame:__main__:checkout",
        'context:raise RuntimeError("Zahlung fehlgeschlagen – 支払い失敗 💥") from exc',
        "fingerprint:checkout-failure",
    )
    assert g.title == "RuntimeError: Zahlung fehlgeschlagen – 支払い失敗 💥"
    assert g.culprit == "__main__ in checkout"


def test_real_python_exception_group() -> None:
    g = group(from_sentry(json.loads(PYTHON_GROUP)))
    assert [c for c in g.components if c.startswith("type:")] == [
        "type:KeyError",
        "type:ValueError",
    ]
    assert g.title == "ValueError: row 1 invalid"
    assert g.culprit == "__main__ in <module>"


def test_real_node_synthetic_message() -> None:
    g = group(from_sentry(json.loads(NODE_SYNTHETIC)))
    assert g.components[0] == "message:Cache miss ratio above threshold"
    assert "frame:node_scenarios:main" in g.components
    assert g.title == "Cache miss ratio above threshold"


def test_real_go_error() -> None:
    g = group(from_sentry(json.loads(GO_ERROR)))
    assert g.components[:2] == ("type:*errors.errorString", "frame:main:main")
    assert g.culprit == "main in main"


CORPUS = Path("/work/shared/corpus/samples")


def _corpus_events() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        p for p in CORPUS.rglob("*.json") if "schema" not in p.name and p.stat().st_size < 2_000_000
    )


def test_whole_corpus_groups_without_crashing() -> None:
    assert CORPUS.is_dir(), f"sample corpus not found at {CORPUS} (set FAULTBOX_CORPUS)"
    seen = 0
    for path in _corpus_events():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:  # the corpus keeps deliberately broken files
            continue
        if not isinstance(data, dict):
            continue
        g = group(from_sentry(data))
        assert g.hash and g.title and g.components, path
        seen += 1
    assert seen > 20


def test_library_only_cause_counts_by_type_when_the_chain_has_an_app_frame() -> None:
    def chain(*cause_frames: Frame) -> Event:
        cause = exc("BindException", "Address already in use", *cause_frames)
        final = exc("LifecycleException", "start failed", app("main", "com.shop.App"))
        return event(platform="java", exceptions=(cause, final))

    a = chain(lib("bind", "sun.nio.ch.Net"), lib("bind0", "sun.nio.ch.Net"))
    b = chain(lib("bind", "sun.nio.ch.Net", line=7), lib("doBind", "sun.nio.ch.ServerSocket"))
    assert h(a) == h(b)
    assert group(a).components[:2] == ("type:BindException", "type:LifecycleException")


names = st.one_of(st.none(), st.text(max_size=40))
frames_st = st.builds(
    Frame,
    filename=names,
    abs_path=names,
    function=names,
    module=names,
    lineno=st.one_of(st.none(), st.integers()),
    context_line=names,
    in_app=st.one_of(st.none(), st.booleans()),
)
mechanisms = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "is_exception_group": st.booleans(),
            "exception_id": st.integers(0, 3),
            "parent_id": st.integers(0, 3),
            "synthetic": st.booleans(),
        },
    ),
)
exceptions_st = st.builds(
    ExceptionValue,
    type=names,
    value=names,
    frames=st.lists(frames_st, max_size=5).map(tuple),
    mechanism=mechanisms,
)


@given(
    st.lists(exceptions_st, max_size=4).map(tuple),
    names,
    names,
    st.one_of(st.none(), st.lists(st.text(max_size=10), max_size=3).map(tuple)),
    st.sampled_from(["python", "go", "javascript", "other"]),
)
def test_grouping_never_raises(
    exceptions: tuple[ExceptionValue, ...],
    message: str | None,
    template: str | None,
    fingerprint: tuple[str, ...] | None,
    platform: str,
) -> None:
    e = event(
        exceptions=exceptions,
        message=message,
        message_template=template,
        fingerprint=fingerprint,
        platform=platform,
    )
    g = group(e)
    assert len(g.hash) == 32 and g.title and g.components
    assert group(e) == g


def test_release_directories_of_any_name_do_not_split_issues() -> None:
    from faultbox.digest.grouping.fingerprint import normalize_filename

    assert normalize_filename("/srv/app/releases/101/shop/api.py") == normalize_filename(
        "/srv/app/releases/102/shop/api.py"
    )
    assert normalize_filename("/var/www/deploys/blue/shop/api.py") == normalize_filename(
        "/var/www/deploys/green/shop/api.py"
    )
    assert normalize_filename("/srv/app/shop/api.py") != normalize_filename("/srv/app/shop/db.py")
