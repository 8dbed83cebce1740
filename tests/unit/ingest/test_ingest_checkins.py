"""Check-in and session payloads at the edge: what passes is exactly what the digest
reads (a property over arbitrary JSON), and each session counts once per outcome."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultbox.digest import health
from faultbox.ingest.checkins import clean_check_in, slugify
from faultbox.ingest.errors import BadRequest
from faultbox.ingest.sessions import clean_session, clean_sessions
from faultbox.queue.base import InboxMessage, IngestMeta, Kind

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
SLUGS = st.from_regex(r"[A-Za-z0-9 _!-]{1,60}", fullmatch=True)
SCHEDULES = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.just("crontab"),
            "value": st.sampled_from(["0 * * * *", "@daily", "61 * * * *"]),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("interval"),
            "value": st.integers(-1, 20),
            "unit": st.sampled_from(["minute", "day", "month", "second"]),
        }
    ),
    JSON,
)
CONFIGS = st.fixed_dictionaries(
    {"schedule": SCHEDULES},
    optional={
        "checkin_margin": st.one_of(st.integers(-1, 50_000), st.integers(1, 60), JSON),
        "max_runtime": st.one_of(st.integers(-1, 50_000), st.integers(1, 60), st.floats(0, 100)),
        "timezone": st.sampled_from(["UTC", "Europe/Berlin", "Mars/Base", ""]),
    },
)
# Mostly well-formed check-ins with one or two fields off, and arbitrary JSON.
FIELDS = st.fixed_dictionaries(
    {
        "monitor_slug": st.one_of(SLUGS, SLUGS, SLUGS, JSON),
        "check_in_id": st.one_of(st.uuids().map(str), st.uuids().map(lambda u: u.hex), JSON),
        "status": st.one_of(*[st.sampled_from(["in_progress", "ok", "error"])] * 3, JSON),
    },
    optional={
        "duration": st.one_of(st.floats(allow_nan=False), st.integers(), JSON),
        "environment": st.one_of(st.text(max_size=70), JSON),
        "release": st.one_of(st.text(max_size=210), JSON),
        "monitor_config": st.one_of(CONFIGS, CONFIGS, CONFIGS, JSON),
    },
)


def _message(kind: str, body: dict[str, Any]) -> InboxMessage:
    return InboxMessage(1, 1, kind, "a" * 32, time.time(), orjson.dumps(body), IngestMeta(), 1)


@settings(max_examples=500, deadline=None)
@given(st.one_of(FIELDS, FIELDS, FIELDS, JSON))
def test_a_check_in_is_refused_with_a_reason_or_read_by_the_digest(payload: Any) -> None:
    try:
        cleaned = clean_check_in(payload)
    except BadRequest as error:
        assert error.status == 400 and error.detail
        return
    check_in = health.check_in(_message(Kind.CHECK_IN, cleaned))  # never a PoisonMessage
    assert check_in.status in ("in_progress", "ok", "error")
    assert check_in.monitor_slug == slugify(payload["monitor_slug"])
    assert len(check_in.check_in_id) == 32
    assert check_in.duration is None or check_in.duration >= 0
    if payload.get("monitor_config") is not None:  # null: no config, as Sentry reads it
        assert check_in.config is not None and check_in.config["max_runtime_minutes"] >= 1


VALID = st.fixed_dictionaries(
    {
        "monitor_slug": SLUGS.filter(lambda t: any(c.isalnum() for c in t)),
        "check_in_id": st.uuids().map(str),
        "status": st.sampled_from(["in_progress", "ok", "error"]),
    },
    optional={
        "duration": st.floats(0, 1e6),
        "environment": st.text(max_size=64),
        "release": st.text(max_size=200),
        "monitor_config": st.fixed_dictionaries(
            {
                "schedule": st.one_of(
                    st.fixed_dictionaries(
                        {
                            "type": st.just("crontab"),
                            "value": st.sampled_from(["0 * * * *", "@daily"]),
                        }
                    ),
                    st.fixed_dictionaries(
                        {
                            "type": st.just("interval"),
                            "value": st.integers(1, 100),
                            "unit": st.sampled_from(["minute", "hour", "day", "week", "month"]),
                        }
                    ),
                )
            },
            optional={
                "checkin_margin": st.integers(1, 40_320),
                "max_runtime": st.integers(1, 40_320),
                "timezone": st.sampled_from(["UTC", "Europe/Berlin", "Asia/Kolkata"]),
            },
        ),
    },
)


@settings(max_examples=200, deadline=None)
@given(VALID)
def test_a_well_formed_check_in_reaches_the_digest_unchanged(payload: dict[str, Any]) -> None:
    check_in = health.check_in(_message(Kind.CHECK_IN, clean_check_in(payload)))
    assert check_in.status == payload["status"]
    assert check_in.check_in_id == payload["check_in_id"].replace("-", "")
    assert check_in.duration == payload.get("duration")
    assert check_in.environment == (payload.get("environment") or None)
    assert check_in.release == (payload.get("release") or None)
    config = payload.get("monitor_config")
    if config is None:
        assert check_in.config is None
    else:
        assert check_in.config is not None
        assert check_in.config["max_runtime_minutes"] == config.get("max_runtime", 30)
        assert check_in.config["checkin_margin_minutes"] == config.get("checkin_margin", 1)
        assert check_in.config["timezone"] == config.get("timezone", "UTC")
        assert check_in.config["schedule_type"] == config["schedule"]["type"]


def test_slugs_like_sentry() -> None:
    assert slugify("  Nightly Backup (EU)!") == "nightly-backup-eu"
    assert slugify("a" * 80) == "a" * 50
    with pytest.raises(BadRequest):
        slugify("!!!")


def _session(**fields: Any) -> dict[str, Any]:
    return clean_session({"sid": "s1", "attrs": {"release": "r@1"}, **fields}, "item 0")


def test_a_javascript_style_session_counts_once_per_outcome() -> None:
    # init, an update with an error, the final update: started once, errored once.
    updates = [
        _session(init=True, status="ok"),
        _session(status="ok", errors=1),
        _session(status="exited", errors=1),
    ]
    totals = {k: sum(u[k] for u in updates) for k in ("started", "errored", "crashed")}
    assert totals == {"started": 1, "errored": 1, "crashed": 0}


def test_a_python_style_session_is_one_final_update() -> None:
    crashed = _session(init=True, status="crashed", errors=1)
    assert (crashed["started"], crashed["crashed"], crashed["errored"]) == (1, 1, 0)
    assert _session(init=True, status="abnormal")["abnormal"] == 1
    assert _session(init=True, status="exited")["errored"] == 0
    assert crashed["environment"] == "production"  # the SDKs' default when none is set


def test_aggregates_add_their_buckets() -> None:
    cleaned = clean_sessions(
        {
            "attrs": {"release": "r@1", "environment": "staging"},
            "aggregates": [
                {"started": "2027-01-15T08:00:00Z", "exited": 5, "errored": 2},
                {"started": "2027-01-15T08:01:00Z", "crashed": 1, "abnormal": 1},
            ],
        },
        "item 0",
    )
    assert cleaned == {
        "release": "r@1",
        "environment": "staging",
        "started": 9,
        "errored": 2,
        "crashed": 1,
        "abnormal": 1,
    }
    counts = health.session_counts(_message(Kind.SESSIONS, cleaned))
    assert (counts.started, counts.crashed, counts.bucket % 60) == (9, 1, 0)
