"""Taxonomy: the rule table on exception types, frames and messages of many runtimes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultbox.lifecycle.taxonomy import (
    RULES,
    TAXONOMY_TYPES,
    InvalidTaxonomy,
    classify,
    parse_taxonomy,
)
from faultbox.model import Event, ExceptionValue, Frame, Level, Thread


def event(*exceptions: ExceptionValue, **kw: Any) -> Event:
    return Event(
        event_id="0" * 32, project_id=1, timestamp=1.0, received_at=1.0, exceptions=exceptions, **kw
    )


def exc(
    type_: str | None, value: str | None = None, *modules: str, module: str | None = None
) -> ExceptionValue:
    frames = tuple(Frame(module=m, function="f") for m in modules)
    return ExceptionValue(type=type_, value=value, module=module, frames=frames)


CASES: list[tuple[str, Event, str, str]] = [
    # security
    ("python PermissionError", event(exc("PermissionError", "[Errno 13]")), "security", "Permiss"),
    (
        "django PermissionDenied",
        event(exc("PermissionDenied", None, module="django.core.exceptions")),
        "security",
        "PermissionDenied",
    ),
    ("drf", event(exc("NotAuthenticated", module="rest_framework.exceptions")), "security", ""),
    ("spring", event(exc("org.springframework.security.AccessDeniedException")), "security", ""),
    ("csrf message", event(exc("Exception", "CSRF verification failed")), "security", "csrf"),
    ("csp report", event(message="Blocked 'script' from 'evil.com'", logger="csp"), "security", ""),
    ("django csrf log", event(message="Forbidden", logger="django.security.csrf"), "security", ""),
    # configuration
    ("ImproperlyConfigured", event(exc("ImproperlyConfigured", "SECRET_KEY")), "configuration", ""),
    ("no module", event(exc("ModuleNotFoundError", "No module named 'x'")), "configuration", ""),
    (
        "os.environ",
        event(exc("KeyError", "'DATABASE_URL'", "app.settings", "os")),
        "configuration",
        "environment variable",
    ),
    (
        "missing migration (sqlite)",
        event(exc("OperationalError", "no such table: orders", module="sqlite3")),
        "configuration",
        "migration",
    ),
    ("java", event(exc("java.lang.NoClassDefFoundError", "com/x/Y")), "configuration", ""),
    (
        "env message",
        event(exc("RuntimeError", "PAYMENTS_KEY environment variable")),
        "configuration",
        "",
    ),
    # performance
    ("MemoryError", event(exc("MemoryError")), "performance", "MemoryError"),
    ("RecursionError", event(exc("RecursionError", "maximum recursion depth")), "performance", ""),
    ("jvm OOM", event(exc("java.lang.OutOfMemoryError", "Java heap space")), "performance", ""),
    ("celery", event(exc("SoftTimeLimitExceeded", module="celery.exceptions")), "performance", ""),
    (
        "js stack",
        event(exc("RangeError", "Maximum call stack size exceeded")),
        "performance",
        "call stack",
    ),
    (
        "pg statement timeout",
        event(
            exc(
                "QueryCanceled",
                "canceling statement due to statement timeout",
                module="psycopg.errors",
            )
        ),
        "performance",
        "QueryCanceled",
    ),
    ("slow", event(message="Slow query: 12.4s on orders"), "performance", ""),
    # logic that a library raised
    (
        "unique violation",
        event(exc("IntegrityError", "duplicate key", module="sqlalchemy.exc")),
        "logic",
        "constraint",
    ),
    ("django DoesNotExist", event(exc("DoesNotExist", "Order matching query")), "logic", ""),
    # integration
    (
        "requests",
        event(exc("ConnectionError", "Max retries", module="requests.exceptions")),
        "integration",
        "requests.exceptions.ConnectionError",
    ),
    ("TimeoutError", event(exc("TimeoutError", "timed out")), "integration", "TimeoutError"),
    ("httpx", event(exc("ReadTimeout", module="httpx")), "integration", ""),
    (
        "psycopg OperationalError",
        event(exc("OperationalError", "connection refused", module="psycopg")),
        "integration",
        "",
    ),
    (
        "botocore",
        event(exc("ClientError", "AccessDenied?", module="botocore.exceptions")),
        "integration",
        "",
    ),
    (
        "java",
        event(exc("SocketTimeoutException", "Read timed out", module="java.net")),
        "integration",
        "",
    ),
    (".NET", event(exc("System.Net.Http.HttpRequestException", "No such host")), "integration", ""),
    ("go url.Error", event(exc("*url.Error", 'Get "https://x": EOF')), "integration", "url.Error"),
    (
        "go errorString",
        event(exc("*errors.errorString", "dial tcp: connection refused")),
        "integration",
        "",
    ),
    ("browser fetch", event(exc("TypeError", "Failed to fetch")), "integration", "failed to fetch"),
    ("safari fetch", event(exc("TypeError", "Load failed")), "integration", ""),
    ("HTTP 403 from an API", event(exc("HTTPError", "403 Forbidden for url")), "integration", ""),
    ("log message", event(message="payment gateway: 502 Bad Gateway"), "integration", ""),
    (
        "custom error in stripe",
        event(exc("PaymentFailed", "card declined", "shop.checkout", "stripe.api_resources")),
        "integration",
        "client library",
    ),
    # logic
    ("KeyError", event(exc("KeyError", "'sku'", "shop.cart")), "logic", "KeyError"),
    ("IndexError", event(exc("IndexError", "list index out of range")), "logic", ""),
    ("AssertionError", event(exc("AssertionError")), "logic", ""),
    ("ValueError", event(exc("ValueError", "invalid literal")), "logic", ""),
    ("java IAE", event(exc("java.lang.IllegalArgumentException", "amount")), "logic", ""),
    (".NET", event(exc("System.ArgumentOutOfRangeException", "index")), "logic", ""),
    (
        "go index",
        event(exc("runtime.boundsError", "runtime error: index out of range [3]")),
        "logic",
        "",
    ),
    # runtime
    ("TypeError", event(exc("TypeError", "unsupported operand", "shop.cart")), "runtime", ""),
    ("AttributeError", event(exc("AttributeError", "'NoneType' object")), "runtime", ""),
    ("NPE", event(exc("java.lang.NullPointerException")), "runtime", "NullPointerException"),
    (".NET NRE", event(exc("System.NullReferenceException", "Object reference")), "runtime", ""),
    ("js ReferenceError", event(exc("ReferenceError", "foo is not defined")), "runtime", ""),
    (
        "go nil",
        event(exc("runtime.Error", "invalid memory address or nil pointer dereference")),
        "runtime",
        "",
    ),
    # a type the library's frames explain less than the type itself
    (
        "TypeError inside requests",
        event(
            exc(
                "TypeError",
                "Object of type set is not JSON serializable",
                "shop",
                "requests.models",
            )
        ),
        "runtime",
        "TypeError",
    ),
    ("nothing known", event(exc("CheckoutFailed", "nope")), "runtime", "no rule matched"),
    ("empty event", event(), "runtime", "no rule matched"),
]


@pytest.mark.parametrize(("name", "ev", "expected", "in_reason"), CASES, ids=[c[0] for c in CASES])
def test_classify(name: str, ev: Event, expected: str, in_reason: str) -> None:
    kind, reason = classify(ev)
    assert kind == expected, reason
    assert in_reason.lower() in reason.lower()


def test_the_chain_is_read_reported_exception_first_but_specific_rules_win() -> None:
    # A RuntimeError wrapping a database outage is an integration failure.
    chained = event(
        exc("OperationalError", "server closed the connection", module="psycopg"),
        exc("RuntimeError", "could not save the order"),
    )
    assert classify(chained)[0] == "integration"
    # Two logic types: the reported one is quoted.
    assert "'ValueError'" in classify(event(exc("KeyError"), exc("ValueError")))[1]


def test_thread_frames_count_when_there_is_no_exception() -> None:
    thread = Thread(
        id="1", name="main", crashed=True, current=True, frames=(Frame(module="redis.client"),)
    )
    assert classify(event(message="worker stuck", threads=(thread,)))[0] == "integration"


def test_reason_names_the_evidence_and_the_pattern() -> None:
    kind, reason = classify(event(exc("ConnectionError", "x", module="requests.exceptions")))
    assert reason == (
        "exception type 'requests.exceptions.ConnectionError' matches 'ConnectionError': "
        "a call to another service, a database or the network failed"
    )
    long = classify(event(exc("X" * 500 + "Timeout")))[1]
    assert len(long) <= 300


def test_every_rule_names_a_known_type_and_has_a_condition() -> None:
    for rule in RULES:
        assert rule.type in TAXONOMY_TYPES
        assert rule.types or rule.frames or rule.messages or rule.loggers
    assert set(TAXONOMY_TYPES) == {r.type for r in RULES}


def test_parse_taxonomy() -> None:
    assert parse_taxonomy(" Integration ") == "integration"
    for bad in ("network", "", None, 3):
        with pytest.raises(InvalidTaxonomy, match="one of runtime, logic"):
            parse_taxonomy(bad)


_text = st.one_of(st.none(), st.text(max_size=300))
_frames = st.builds(
    Frame,
    module=_text,
    function=_text,
    filename=_text,
    abs_path=_text,
    in_app=st.one_of(st.none(), st.booleans()),
)
_exceptions = st.builds(
    ExceptionValue,
    type=_text,
    value=_text,
    module=_text,
    frames=st.lists(_frames, max_size=5).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(
    exceptions=st.lists(_exceptions, max_size=4).map(tuple),
    message=_text,
    logger=_text,
    level=st.sampled_from(list(Level)),
)
def test_classify_never_raises(
    exceptions: tuple[ExceptionValue, ...], message: str | None, logger: str | None, level: Level
) -> None:
    ev = event(*exceptions, message=message, logger=logger, level=level)
    kind, reason = classify(ev)
    assert kind in TAXONOMY_TYPES and 0 < len(reason) <= 300
