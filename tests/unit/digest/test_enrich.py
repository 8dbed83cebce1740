"""User agent → browser/os/device contexts and the tags derived from them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultbox.digest.enrich import enrich_event, ua_contexts
from faultbox.digest.normalize import normalize_sentry
from faultbox.model import Event
from faultbox.queue.base import IngestMeta

CORPUS = Path(
    os.environ.get(
        "FAULTBOX_CORPUS", Path(__file__).resolve().parents[3].parent / "shared/corpus/samples"
    )
)
CHROME_WIN = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.109 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


def event(**fields: Any) -> Event:
    return Event(event_id="a" * 32, project_id=1, timestamp=1.0, received_at=1.0, **fields)


def test_desktop_browser() -> None:
    assert ua_contexts(CHROME_WIN) == {
        "browser": {"name": "Chrome", "version": "120.0.6099"},
        "os": {"name": "Windows", "version": "10"},
    }


def test_phone_has_a_device() -> None:
    assert ua_contexts(IPHONE) == {
        "browser": {"name": "Mobile Safari", "version": "17.1"},
        "os": {"name": "iOS", "version": "17.1"},
        "device": {"family": "iPhone", "brand": "Apple", "model": "iPhone"},
    }


@pytest.mark.parametrize(
    "ua", ["", "   ", "5", "\x00" * 100, "x" * 100_000, "((((((((((", "Mozilla/5.0"]
)
def test_unknown_parts_are_left_out(ua: str) -> None:
    contexts = ua_contexts(ua)
    assert "Other" not in json.dumps(contexts)
    assert set(contexts) <= {"browser", "os", "device"}


def test_cached_results_are_not_shared() -> None:
    ua_contexts(CHROME_WIN)["browser"]["name"] = "mutated"
    assert ua_contexts(CHROME_WIN)["browser"]["name"] == "Chrome"


def test_enrich_from_request_header_in_any_case() -> None:
    enriched = enrich_event(
        event(request={"headers": {"user-agent": IPHONE}}, tags={"os.name": "kept"})
    )
    assert enriched.contexts["browser"]["name"] == "Mobile Safari"
    assert enriched.contexts["device"]["model"] == "iPhone"
    assert enriched.tags == {
        "browser": "Mobile Safari 17.1",
        "browser.name": "Mobile Safari",
        "os.name": "kept",
    }


def test_existing_contexts_win_and_still_give_tags() -> None:
    sent = {"browser": {"name": "Firefox", "version": "121.0"}, "os": {"name": "Linux"}}
    original = event(request={"headers": {"User-Agent": CHROME_WIN}}, contexts=sent)
    enriched = enrich_event(original)
    assert enriched.contexts == sent
    assert enriched.tags == {
        "browser": "Firefox 121.0",
        "browser.name": "Firefox",
        "os.name": "Linux",
    }
    assert original.tags == {}  # the input event is not changed


def test_nothing_to_add_returns_the_same_event() -> None:
    plain = event()
    assert enrich_event(plain) is plain
    no_ua = event(request={"headers": {"Accept": "*/*"}})
    assert enrich_event(no_ua) is no_ua


def test_weird_user_agent_from_the_corpus() -> None:
    path = CORPUS / "bugsink-event-samples/bugsink/weird_ua.json"
    payload = json.loads(path.read_bytes())
    normalized = normalize_sentry(
        payload, project_id=1, event_id="b" * 32, received_at=2e9, meta=IngestMeta()
    )
    enriched = enrich_event(normalized)
    assert "browser" not in enriched.contexts and "browser" not in enriched.tags


def test_python_server_event_gets_the_visitor_browser() -> None:
    path = CORPUS / "bugsink-event-samples/bugsink/headers_as_lists.json"
    payload = json.loads(path.read_bytes())
    normalized = normalize_sentry(
        payload, project_id=1, event_id="b" * 32, received_at=2e9, meta=IngestMeta()
    )
    enriched = enrich_event(normalized)
    assert enriched.contexts["browser"] == {"name": "Chrome", "version": "130.0.0"}
    assert enriched.tags["browser"] == "Chrome 130.0.0" and enriched.tags["os.name"] == "Windows"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_never_raises(ua: str) -> None:
    enrich_event(event(request={"headers": {"User-Agent": ua}}))


def test_partial_results_keep_only_what_parsed() -> None:
    assert ua_contexts("Mozilla/5.0 (X11; Linux x86_64)") == {"os": {"name": "Linux"}}


def test_the_parsers_other_family_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    from ua_parser import OS, Device, Result, UserAgent

    def fake(ua: str) -> Result:
        return Result(UserAgent("Other"), OS("Other"), Device("Other"), ua)

    monkeypatch.setattr("faultbox.digest.enrich.parse", fake)
    assert ua_contexts("a user agent no other test has parsed (cache)") == {}
