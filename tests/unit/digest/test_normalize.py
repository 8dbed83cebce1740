"""normalize_sentry against every event in the sample corpus, and the odd shapes one by one."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faultbox.digest.normalize import (
    NormalizeError,
    extract_exceptions,
    format_params,
    frame_from_dict,
    normalize_sentry,
)
from faultbox.model import Event, Frame, Level, event_to_dict
from faultbox.queue.base import IngestMeta

CORPUS = Path(
    os.environ.get(
        "FAULTBOX_CORPUS", Path(__file__).resolve().parents[3].parent / "shared/corpus/samples"
    )
)
RECEIVED = 1_800_000_000.0
EVENT_ID = "0123456789abcdef0123456789abcdef"


def norm(payload: Any, meta: IngestMeta | None = None, received_at: float = RECEIVED) -> Event:
    return normalize_sentry(
        payload, project_id=7, event_id=EVENT_ID, received_at=received_at, meta=meta or IngestMeta()
    )


# -- the corpus ------------------------------------------------------------------------


def envelope_events(data: bytes) -> Iterator[bytes]:
    """The event items of a wire-format envelope (a tiny parser: ingest is not under test)."""
    _, _, rest = data.partition(b"\n")
    pos = 0
    while pos < len(rest):
        end = rest.find(b"\n", pos)
        end = len(rest) if end == -1 else end
        header_line, pos = rest[pos:end].strip(), end + 1
        if not header_line:
            continue
        header = json.loads(header_line)
        length = header.get("length")
        if length is None:
            stop = rest.find(b"\n", pos)
            stop = len(rest) if stop == -1 else stop
        else:
            stop = pos + length
        if header.get("type") == "event":
            yield rest[pos:stop]
        pos = stop + 1


def corpus_events() -> list[tuple[str, dict[str, Any]]]:
    """Every event payload in the corpus: plain JSON, JSON-array envelopes, Kafka
    messages, and the event items of wire-format envelopes."""
    found: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(CORPUS.rglob("*.json")):
        try:
            data = json.loads(path.read_bytes())
        except ValueError:
            continue  # invalid-interfaces.json is broken upstream on purpose
        name = str(path.relative_to(CORPUS))
        if isinstance(data, dict):
            found.append((name, data))
        elif isinstance(data, list) and len(data) > 2 and data[1] == "insert":
            found.append((name, data[2]["data"]))  # a Kafka post-process message
        elif isinstance(data, list):
            for i in range(1, len(data) - 1, 2):  # GlitchTip's [header, item, payload, ...]
                if isinstance(data[i], dict) and data[i].get("type") in ("event", "transaction"):
                    found.append((f"{name}#{i}", data[i + 1]))
    wire = [*CORPUS.rglob("*.envelope"), *CORPUS.glob("sentry-java/**/*.txt")]
    for path in sorted(wire):
        for i, body in enumerate(envelope_events(path.read_bytes())):
            try:
                found.append((f"{path.relative_to(CORPUS)}#{i}", json.loads(body)))
            except ValueError:
                continue  # sentry-java's event cut off mid-object
    return found


CORPUS_EVENTS = corpus_events() if CORPUS.is_dir() else []
BY_NAME = dict(CORPUS_EVENTS)


def corpus(name: str) -> Event:
    return norm(BY_NAME[name])


def test_the_corpus_is_there() -> None:
    assert CORPUS.is_dir(), f"sample corpus not found at {CORPUS} (set FAULTBOX_CORPUS)"
    assert len(CORPUS_EVENTS) >= 100
    assert sum(1 for name, _ in CORPUS_EVENTS if name.startswith("sdk-captured")) >= 10


@pytest.mark.parametrize(("name", "payload"), CORPUS_EVENTS, ids=[n for n, _ in CORPUS_EVENTS])
def test_every_corpus_event_normalizes(name: str, payload: dict[str, Any]) -> None:
    meta = IngestMeta(client_ip="203.0.113.9", user_agent="test", sent_at=RECEIVED - 0.25)
    event = norm(payload, meta)
    assert event.event_id == EVENT_ID and event.project_id == 7
    assert math.isfinite(event.timestamp) and event.timestamp <= RECEIVED + 86400
    assert isinstance(event.level, Level)
    assert isinstance(event.platform, str) and event.platform
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in event.tags.items())
    assert all(isinstance(v, dict) for v in event.contexts.values())
    for exc in event.exceptions:
        assert exc.type or exc.value or exc.frames
        assert all(isinstance(f, Frame) for f in exc.frames) and len(exc.frames) <= 250
    if event.request is not None:
        assert isinstance(event.request.get("headers", {}), dict)
    for crumb in event.breadcrumbs:
        assert set(crumb) == {"timestamp", "type", "category", "message", "level", "data"}
        assert crumb["timestamp"] is None or isinstance(crumb["timestamp"], float)
    orjson.dumps(event_to_dict(event))  # what the store keeps must encode


def test_python_sdk_chained_exception_with_unicode_locals() -> None:
    event = corpus(
        "sdk-captured/sentry-python-2.75.0/main/001-event-chained-unicode-locals.envelope#0"
    )
    assert [e.type for e in event.exceptions] == ["ValueError", "RuntimeError"]
    cause, raised = event.exceptions
    assert event.main_exception is raised and "支払い失敗" in (raised.value or "")
    assert [f.function for f in cause.frames] == ["checkout", "parse_amount"]  # oldest first
    assert [f.function for f in raised.frames] == ["chained", "checkout"]
    assert all(f.in_app is True for e in event.exceptions for f in e.frames)
    assert cause.frames[-1].vars == {"raw": "'12,50 €'", "currency_label": "'Währung ✓ 円'"}
    assert cause.frames[-1].context_line == "    return int(raw)"
    assert len(cause.frames[-1].pre_context) == 5
    assert event.fingerprint == ("{{ default }}", "checkout-failure")
    assert event.platform == "python" and event.level is Level.ERROR
    assert event.timestamp == datetime(2026, 11, 22, 10, 2, 53, 482004, UTC).timestamp()


def test_logentry_template_and_formatted_differ() -> None:
    event = corpus(
        "sdk-captured/sentry-python-2.75.0/main/002-event-logging-logentry-params.envelope#0"
    )
    assert event.message == "Charge ch_123 failed after 3 attempts"
    assert event.message_template == "Charge %s failed after %d attempts"
    assert event.logger == "payments.worker"


@pytest.mark.parametrize(
    "name",
    [
        "bugsink-event-samples/bugsink/logmessage-w-params-dict.json",
        "bugsink-event-samples/bugsink/logmessage-w-params.json",
    ],
)
def test_missing_formatted_is_filled_from_params(name: str) -> None:
    event = corpus(name)
    assert event.message_template is not None and "%" in event.message_template
    assert event.message is not None and event.message.startswith(
        "Error during cleanup of <StorageCleanupTodo: StorageCleanupTodo(74e45def"
    )
    assert "'StorageCleanupTodo' object has no attribute 'storage_name'" in event.message


def test_brace_params_from_a_dict() -> None:
    event = corpus("glitchtip/events/test_data/incoming_events/django_message_params.json")
    assert (event.message, event.message_template) == ("Here is a new error", "Here is a new {foo}")


def test_user_id_as_int_becomes_a_string() -> None:
    user = corpus("bugsink-event-samples/bugsink/user-id-as-int.json").user
    assert user is not None and user["id"] == "1234"


def test_headers_as_lists_become_a_dict() -> None:
    request = corpus("bugsink-event-samples/bugsink/headers_as_lists.json").request
    assert request is not None
    assert request["headers"]["Cache-Control"] == "max-age=0"
    assert request["headers"]["User-Agent"].startswith("Mozilla/5.0 (Windows NT 10.0")


def test_weird_user_agent_header_is_coerced() -> None:
    request = corpus("bugsink-event-samples/bugsink/weird_ua.json").request
    assert request is not None and request["headers"]["User-Agent"] == "5"


def test_tags_as_list_of_pairs() -> None:
    event = corpus("bugsink-event-samples/bugsink/130-w-tuple.json")
    assert event.tags == {"environment": "production", "release": "2025.6.2.0"}
    legacy = corpus("sentry/src/sentry/data/samples/python.json")
    assert legacy.tags["server_name"] == "web01.example.org"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "bugsink-event-samples/bugsink/top-level-logentry-as-str.json",
            datetime(2025, 3, 6, 10, 19, 51, 132514, UTC),
        ),
        (
            "relay/relay-server/tests/fixtures/payloads/legacy_node_promise.json",
            datetime(2018, 7, 24, 14, 53, 50, tzinfo=UTC),
        ),
        (
            "bugsink-event-samples/bugsink/weird_ua.json",
            datetime(2020, 4, 18, 21, 44, 0, 206155, UTC),
        ),
        ("sentry-go/testdata/json/event/001.json", datetime(2009, 11, 10, 23, 0, 0, tzinfo=UTC)),
    ],
)
def test_timestamps_as_strings(name: str, expected: datetime) -> None:
    assert corpus(name).timestamp == pytest.approx(expected.timestamp(), abs=1e-6)


def test_timestamp_as_unix_float() -> None:
    event = corpus("glitchtip/events/test_data/incoming_events/js_event_with_unix_timestamp.json")
    assert event.timestamp == pytest.approx(1595472880.109)


@pytest.mark.parametrize(
    "name",
    [
        "sentry/src/sentry/data/samples/empty-exception.json",
        "sentry-kafka-schemas/examples/events/1/null-values.json",
    ],
)
def test_null_exception_values_give_no_exceptions(name: str) -> None:
    assert corpus(name).exceptions == ()


def test_null_and_missing_frames() -> None:
    for name in ("exception_null_frames.json", "exception_no_frames.json"):
        event = corpus(f"bugsink-event-samples/bugsink/{name}")
        assert len(event.exceptions) == 1 and event.exceptions[0].frames == ()


def test_fingerprint_entries_are_coerced_to_strings() -> None:
    event = corpus("bugsink-event-samples/sentry/custom-fingerprint-int.json")
    assert event.fingerprint == ("celery", "123", "sentry.tasks.store.process_event")


def test_null_values_in_contexts_are_dropped() -> None:
    contexts = corpus("bugsink-event-samples/bugsink/none-in-context.json").contexts
    assert "parent_span_id" not in contexts["trace"] and contexts["trace"]["trace_id"]


def test_legacy_interfaces() -> None:
    js = corpus("sentry/src/sentry/data/samples/javascript.json")
    assert js.main_exception is not None and js.main_exception.type == "TypeError"
    assert js.main_exception.frames[0].function == "member"
    assert js.user is not None and js.breadcrumbs
    python = corpus("sentry/src/sentry/data/samples/python.json")
    assert python.threads and python.threads[0].current
    assert python.threads[0].frames[0].function == "build_msg"


def test_top_level_stacktrace_of_a_message_event_becomes_the_current_thread() -> None:
    event = corpus("relay/relay-server/tests/fixtures/payloads/legacy_js_message.json")
    assert event.message == "captureMessage" and event.exceptions == ()
    (thread,) = event.threads
    assert thread.current and not thread.crashed
    assert [f.function for f in thread.frames] == ["?", "?", "Raven.captureMessage"]


def test_top_level_stacktrace_joins_a_lone_exception_without_frames() -> None:
    event = corpus("glitchtip/events/test_data/incoming_events/elixir_error.json")
    (exc,) = event.exceptions
    assert exc.type == "UndefinedFunctionError" and len(exc.frames) == 13
    assert event.threads == ()


def test_exception_as_bare_list() -> None:
    event = corpus("relay/relay-server/tests/fixtures/payloads/legacy_node_promise.json")
    assert event.main_exception is not None and event.main_exception.type == "Error"
    frames = event.main_exception.frames
    assert frames[0].function == "null.<anonymous>" and frames[0].in_app is False
    assert any(f.function == "Object.<anonymous>" and f.in_app for f in frames)
    assert event.modules


def test_threads_and_message_object() -> None:
    event = corpus(
        "sdk-captured/sentry-python-2.75.0/main/003-event-message-with-threads.envelope#0"
    )
    assert event.level is Level.WARNING and event.message == "Cache miss ratio above threshold"
    (thread,) = event.threads
    assert thread.current and not thread.crashed and thread.frames[0].function == "<module>"


def test_exception_group_keeps_mechanism_tree() -> None:
    event = corpus("bugsink-event-samples/bugsink/exception-group.json")
    assert len(event.exceptions) == 6
    assert event.main_exception is not None and event.main_exception.mechanism is not None
    assert event.main_exception.mechanism["is_exception_group"] is True
    assert [e.mechanism["exception_id"] for e in event.exceptions if e.mechanism] == [
        5,
        4,
        3,
        2,
        1,
        0,
    ]


def test_node_synthetic_exception_without_type() -> None:
    event = corpus(
        "sdk-captured/sentry-javascript-node-11.12.0/main/003-event-message-synthetic-exception.envelope#0"
    )
    assert event.main_exception is not None and event.main_exception.type is None
    assert event.main_exception.value == "Cache miss ratio above threshold"
    assert event.main_exception.frames[-1].in_app is True


def test_java_chain_is_kept_root_cause_first() -> None:
    event = corpus("bugsink-event-samples/sentry/mobile1-xbb.json")
    assert len(event.exceptions) == 5
    assert event.exceptions[0].type == "UnsatisfiedLinkError"


# -- shapes one by one -------------------------------------------------------------------


@pytest.mark.parametrize("payload", [[], None, "event", 42, b"{}"])
def test_non_objects_are_rejected(payload: Any) -> None:
    with pytest.raises(NormalizeError):
        norm(payload)


def test_the_envelope_event_id_wins() -> None:
    assert norm({"event_id": "f" * 32}).event_id == EVENT_ID


def test_empty_payload_has_defaults() -> None:
    event = norm({})
    assert (event.platform, event.level, event.timestamp) == ("other", Level.ERROR, RECEIVED)
    assert event.exceptions == () and event.message is None and event.source == "sentry"


@pytest.mark.parametrize(
    ("raw", "level"),
    [
        ("fatal", Level.FATAL), ("critical", Level.FATAL), ("ERROR", Level.ERROR),
        ("warn", Level.WARNING), ("warning", Level.WARNING), ("log", Level.INFO),
        ("info", Level.INFO), ("debug", Level.DEBUG), (10, Level.DEBUG), (20, Level.INFO),
        (30, Level.WARNING), (40, Level.ERROR), (50, Level.FATAL), ("40", Level.ERROR),
        (None, Level.ERROR), ("nonsense", Level.ERROR), (True, Level.ERROR), ({}, Level.ERROR),
    ],
)  # fmt: skip
def test_levels(raw: Any, level: Level) -> None:
    assert norm({"level": raw}).level is level


def test_clock_drift_is_corrected_with_sent_at() -> None:
    # The client's clock is an hour behind: the event happened 2 s before it was sent.
    meta = IngestMeta(sent_at=RECEIVED - 3600)
    event = norm(
        {"timestamp": RECEIVED - 3602, "breadcrumbs": [{"timestamp": RECEIVED - 3605}]}, meta
    )
    assert event.timestamp == pytest.approx(RECEIVED - 2)
    assert event.breadcrumbs[0]["timestamp"] == pytest.approx(RECEIVED - 5)


@pytest.mark.parametrize(
    "timestamp",
    [RECEIVED + 2 * 86400, 1e300, -1e300, "9999-12-31T23:59:59Z", "garbage", float("nan")],
)
def test_impossible_timestamps_fall_back_to_receive_time(timestamp: Any) -> None:
    assert norm({"timestamp": timestamp}).timestamp == RECEIVED


def test_a_slightly_future_timestamp_is_kept() -> None:
    assert norm({"timestamp": RECEIVED + 3600}).timestamp == RECEIVED + 3600


def test_naive_and_offset_timestamps() -> None:
    assert norm({"timestamp": "2020-01-01T00:00:00"}).timestamp == 1577836800.0
    assert norm({"timestamp": "2020-01-01T00:00:00-02:00"}).timestamp == 1577836800.0 + 7200
    assert norm({"timestamp": "1577836800.5"}).timestamp == 1577836800.5


def test_tags() -> None:
    long = "x" * 300
    event = norm(
        {"tags": [["a", 1], ["b", None], ["c", True], ["bad"], [long, long], ["service", "api"]]}
    )
    assert event.tags == {"a": "1", "c": "true", "x" * 200: "x" * 200, "service": "api"}
    assert event.service == "api"
    assert norm({"tags": {"k": 2.5, "n": None}}).tags == {"k": "2.5"}
    assert norm({"tags": "nope"}).tags == {}


def test_user_auto_ip() -> None:
    payload = {"user": {"id": 42, "ip_address": "{{auto}}", "email": None}}
    assert norm(payload, IngestMeta(client_ip="198.51.100.4")).user == {
        "id": "42",
        "ip_address": "198.51.100.4",
    }
    assert norm(payload).user == {"id": "42"}
    assert norm({"user": {}}).user is None


def test_request_shapes() -> None:
    request = norm(
        {
            "request": {
                "url": "https://x/",
                "headers": [["Accept", "a"], ["Accept", "b"], ["X-N", 3]],
                "query_string": [["q", "a b"], ["page", 2]],
                "cookies": [["sid", "1"]],
                "data": {"k": "v"},
            }
        }
    ).request
    assert request is not None
    assert request["headers"] == {"Accept": "a, b", "X-N": "3"}
    assert request["query_string"] == "q=a+b&page=2"
    assert request["cookies"] == {"sid": "1"}
    assert request["data"] == {"k": "v"}
    assert norm({"request": {"query_string": {"a": "1"}, "cookies": "a=b"}}).request == {
        "query_string": "a=1",
        "cookies": "a=b",
        "headers": {},
    }


def test_breadcrumbs_keep_the_newest_hundred() -> None:
    crumbs = [
        {"message": f"m{i}", "timestamp": f"2020-01-01T00:00:{i % 60:02d}Z"} for i in range(150)
    ]
    event = norm({"breadcrumbs": {"values": [*crumbs, None, "junk"]}})
    assert len(event.breadcrumbs) == 100
    assert event.breadcrumbs[0]["message"] == "m50" and event.breadcrumbs[-1]["message"] == "m149"
    one = norm(
        {"breadcrumbs": [{"data": "not an object", "level": "warn", "type": None}]}
    ).breadcrumbs[0]
    assert one == {"timestamp": None, "type": "default", "category": None, "message": None,
                   "level": "warning", "data": {"value": "not an object"}}  # fmt: skip


def test_long_stacks_keep_both_ends() -> None:
    frames = [{"function": f"f{i}"} for i in range(1000)]
    (exc,) = norm(
        {"exception": {"values": [{"type": "E", "stacktrace": {"frames": frames}}]}}
    ).exceptions
    names = [f.function for f in exc.frames]
    assert len(names) == 250
    assert names[:50] == [f"f{i}" for i in range(50)]
    assert names[50:] == [f"f{i}" for i in range(800, 1000)]


def test_long_texts_are_trimmed() -> None:
    event = norm({"message": "m" * 10000, "exception": [{"type": "E", "value": "v" * 10000}]})
    assert (
        event.message is not None and len(event.message) == 8192 and event.message.endswith("...")
    )
    assert event.main_exception is not None and len(event.main_exception.value or "") == 8192


@pytest.mark.parametrize(
    "raw",
    [
        {"values": None}, {"values": [None]}, {"values": []}, [], None, "x", {"values": [{}]},
        {"values": [{"stacktrace": None, "type": None, "value": None}]},
    ],
)  # fmt: skip
def test_empty_exception_shapes(raw: Any) -> None:
    assert norm({"exception": raw}).exceptions == ()


def test_exception_shapes() -> None:
    assert extract_exceptions({"exception": [{"type": "A"}, {"value": "b"}]})[1].value == "b"
    # An old client's single exception object, not wrapped in values.
    assert extract_exceptions({"exception": {"type": "A", "value": "x"}})[0].type == "A"
    exc = extract_exceptions(
        {"exception": {"values": [{"type": "A", "value": 5, "thread_id": 3}]}}
    )[0]
    assert (exc.value, exc.thread_id) == ("5", "3")


def test_message_shapes() -> None:
    assert norm({"message": "plain"}).message == "plain"
    event = norm({"message": {"message": "%s of %s", "params": ["a", "b"]}})
    assert (event.message, event.message_template) == ("a of b", "%s of %s")
    event = norm({"logentry": {"formatted": "only formatted"}})
    assert (event.message, event.message_template) == ("only formatted", "only formatted")
    event = norm({"logentry": "bare string", "message": "ignored"})
    assert event.message == "bare string"
    assert norm({"logentry": {}, "message": "fallback"}).message == "fallback"


def test_frame_from_dict_coerces() -> None:
    frame = frame_from_dict(
        {
            "filename": 3, "lineno": "12", "colno": 4.0, "in_app": "yes", "vars": [],
            "pre_context": ["a", None, 3], "post_context": None, "function": None,
            "module": {"x": 1},
        }
    )  # fmt: skip
    assert frame == Frame(filename="3", lineno=12, colno=4, pre_context=("a", "", "3"))
    assert frame_from_dict({"in_app": False, "lineno": 2**40}).in_app is False
    assert frame_from_dict({"lineno": 2**40}).lineno is None


@pytest.mark.parametrize(
    ("template", "params", "expected"),
    [
        ("%s failed %d times", ["x", 3], "x failed 3 times"),
        ("%(a)s and %(b)r", {"a": 1, "b": "q"}, "1 and 'q'"),
        ("100%% of %s", ["x"], "100% of x"),
        ("%d apples", ["many"], "many apples"),  # Python would raise; the value is shown
        ("%s and %s", ["only one"], "only one and %s"),
        ("%999999999d", [1], "%999999999d"),  # an allocation bomb stays unformatted
        ("%*d", [5, 1], "%*d"),
        ("%c", [2**40], "1099511627776"),
        ("{0.__class__.__init__.__globals__}", ["x"], "{0.__class__.__init__.__globals__}"),
        ("{} and {}", ["a", "b"], "a and b"),
        ("{1}{0}", ["a", "b"], "ba"),
        ("{foo} {bar}", {"foo": "F"}, "F {bar}"),
        ("{²}", ["a"], "{²}"),
        ("no placeholders", ["x"], "no placeholders"),
        ("%s", [], "%s"),
        ("%s", None, "%s"),
        ("%s", "str params", "%s"),
    ],
)
def test_format_params(template: str, params: Any, expected: str) -> None:
    assert format_params(template, params) == expected


# -- property: odd but JSON-shaped input never crashes --------------------------------

FIELD_NAMES = [
    "event_id", "timestamp", "platform", "level", "logger", "transaction", "server_name",
    "release", "environment", "message", "logentry", "tags", "fingerprint", "extra", "modules",
    "user", "request", "contexts", "breadcrumbs", "exception", "threads", "stacktrace", "sdk",
    "template", "values", "frames", "type", "value", "module", "mechanism", "thread_id",
    "filename", "abs_path", "function", "lineno", "colno", "context_line", "pre_context",
    "post_context", "in_app", "vars", "package", "formatted", "params", "id", "ip_address",
    "headers", "query_string", "cookies", "data", "url", "method", "crashed", "current",
    "name", "category", "raw_stacktrace", "sentry.interfaces.Exception",
    "sentry.interfaces.Stacktrace", "sentry.interfaces.Message", "sentry.interfaces.User",
    "sentry.interfaces.Http", "sentry.interfaces.Breadcrumbs", "sentry.interfaces.Template",
]  # fmt: skip
keys = st.sampled_from(FIELD_NAMES) | st.text(max_size=8)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["{{auto}}", "2020-01-01T00:00:00Z", "%s %d %(x)s {0} {}", "critical", "40"])
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=6),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, json_values, max_size=12), st.none() | st.floats(1e9, 2e9))
def test_never_raises_on_json_shaped_input(payload: dict[str, Any], sent_at: float | None) -> None:
    event = norm(payload, IngestMeta(client_ip="192.0.2.1", sent_at=sent_at))
    assert math.isfinite(event.timestamp)
    assert all(type(k) is str and type(v) is str for k, v in event.tags.items())
    orjson.dumps(event_to_dict(event), option=orjson.OPT_NON_STR_KEYS)
