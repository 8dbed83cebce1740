"""Scopes: what a captured event carries, and where a change stops."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import faultbox_sdk
from faultbox_sdk.scope import Scope, current_scope, push_scope, reset_global_scope
from tests.sdk.support import DSN, Recorder


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[Recorder]:
    rec = Recorder()
    faultbox_sdk.init(DSN, post=rec, buffer_dir=str(tmp_path / "outbox"), install_hooks=False)
    yield rec
    faultbox_sdk.close()


def _items(rec: Recorder) -> list[dict[str, Any]]:
    assert faultbox_sdk.flush(5)
    return rec.native_items()


def _context(item: dict[str, Any]) -> dict[str, Any]:
    """What the native contract has no field for."""
    rest: dict[str, Any] = item.get("context", {}).get("faultbox_sdk", {})
    return rest


def test_push_scope_changes_end_with_the_block(recorder: Recorder) -> None:
    faultbox_sdk.set_tag("region", "eu")
    faultbox_sdk.set_user({"id": "1"})
    with push_scope() as scope:
        scope.set_tag("checkout", "yes")
        faultbox_sdk.set_user({"id": "2"})
        faultbox_sdk.set_context("cart", {"items": 3})
        faultbox_sdk.capture_message("inside")
    faultbox_sdk.capture_message("outside")
    inside, outside = _items(recorder)
    assert inside["tags"] == {"region": "eu", "checkout": "yes"}
    assert inside["userId"] == "2" and _context(inside)["contexts"] == {"cart": {"items": 3}}
    assert outside["tags"] == {"region": "eu"}
    assert outside["userId"] == "1" and "contexts" not in _context(outside)


def test_threads_and_tasks_do_not_see_each_others_scopes(recorder: Recorder) -> None:
    seen: dict[str, object] = {}

    def worker() -> None:
        with push_scope():
            faultbox_sdk.set_tag("who", "thread")
            seen["thread"] = dict(current_scope().tags)

    async def task(name: str) -> None:
        with push_scope():
            faultbox_sdk.set_tag("who", name)
            await asyncio.sleep(0)
            seen[name] = dict(current_scope().tags)

    async def main() -> None:
        await asyncio.gather(task("a"), task("b"))

    with push_scope():
        faultbox_sdk.set_tag("who", "main")
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        asyncio.run(main())
        assert current_scope().tags == {"who": "main"}
    assert seen == {"thread": {"who": "thread"}, "a": {"who": "a"}, "b": {"who": "b"}}
    assert current_scope().tags == {}


def test_breadcrumbs_from_calls_and_logging_in_order_and_bounded(recorder: Recorder) -> None:
    import logging

    log = logging.getLogger("shop.cart")
    log.setLevel(logging.INFO)
    faultbox_sdk.add_breadcrumb("opened cart", category="ui", data={"items": 2})
    log.info("added item %s", 17)
    log.debug("not a breadcrumb: below INFO")
    faultbox_sdk.capture_message("checkout failed", "error")
    (item,) = _items(recorder)
    crumbs = item["breadcrumbs"]
    assert isinstance(crumbs, list)
    assert [(c.get("category"), c.get("message")) for c in crumbs] == [
        ("ui", "opened cart"),
        ("shop.cart", "added item 17"),
    ]
    assert crumbs[0]["data"] == {"items": 2} and crumbs[1]["type"] == "log"

    scope = Scope(max_breadcrumbs=3)
    for i in range(10):
        scope.add_breadcrumb({"message": str(i)})
    assert [c["message"] for c in scope.breadcrumbs] == ["7", "8", "9"]


def test_error_log_records_become_events_with_the_exception(recorder: Recorder) -> None:
    import logging

    try:
        {}["sku"]  # noqa: B018
    except KeyError:
        logging.getLogger("shop").exception("lookup failed for %s", "sku")
    logging.getLogger("faultbox_sdk").error("the SDK's own log never becomes an event")
    assert faultbox_sdk.flush(5)
    (item,) = recorder.native_items()
    assert item["errorType"] == "KeyError" and item["severity"] == "error"
    assert item["context"]["faultbox_sdk"]["logger"] == "shop"
    assert "KeyError" in item["stackTrace"]


def test_event_fields_win_over_the_scope() -> None:
    reset_global_scope()
    scope = Scope()
    scope.set_tag("a", "scope")
    scope.set_level("warning")
    scope.set_level("nonsense")  # unknown levels are ignored, not sent
    event: dict[str, object] = {"tags": {"a": "event"}, "level": "error"}
    scope.apply(event)
    assert event["tags"] == {"a": "event"} and event["level"] == "error"
