"""The client: sampling, before_send, global hooks, and never raising into the app."""

from __future__ import annotations

import asyncio
import random
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import faultbox_sdk
from faultbox_sdk.http import Answer
from tests.sdk.support import DSN, Recorder, client


def test_sample_rate_keeps_that_share(tmp_path: Path) -> None:
    rec = Recorder()
    c = client(tmp_path, rec, sample_rate=0.25, rng=random.Random(3))
    ids = [c.capture_message(f"m{i}") for i in range(400)]
    kept = [i for i in ids if i]
    assert 70 <= len(kept) <= 130
    assert c.flush(5)
    assert len(rec.native_items()) == len(kept)
    assert client(tmp_path, rec, sample_rate=0.0).capture_message("never") is None
    with pytest.raises(ValueError):
        client(tmp_path, rec, sample_rate=1.5)
    c.close()


def test_before_send_edits_vetoes_and_a_failing_hook_drops(tmp_path: Path) -> None:
    rec = Recorder()

    def hook(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
        if isinstance(hint.get("exception"), KeyError):
            return None
        if event.get("message") == "boom":
            raise RuntimeError("hook bug")
        event.setdefault("tags", {})["edited"] = "yes"
        return event

    c = client(tmp_path, rec, before_send=hook)
    assert c.capture_exception(KeyError("x")) is None
    assert c.capture_message("boom") is None
    assert c.capture_message("kept") is not None
    assert c.flush(5)
    (item,) = rec.native_items()
    assert item["message"] == "kept"
    assert item["tags"] == {"edited": "yes"}
    c.close()


def test_capture_without_an_exception_being_handled_sends_nothing(tmp_path: Path) -> None:
    c = client(tmp_path, Recorder())
    assert c.capture_exception() is None
    c.close()


class Broken:
    def __str__(self) -> str:
        raise RuntimeError("str bomb")

    def __repr__(self) -> str:
        raise RuntimeError("repr bomb")


def test_the_sdk_never_raises_into_the_app(tmp_path: Path) -> None:
    def garbage(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
        return Answer(200, {}, b"\xff not json at all")

    def exploding(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
        raise OSError("network stack on fire")

    for post in (garbage, exploding):
        # With garbage answers, also an outbox too small for any event ("disk full").
        tiny = 200 if post is garbage else 1 << 20
        c = client(tmp_path / post.__name__, Recorder(), post=post, buffer_max_bytes=tiny)
        c.capture_message(Broken())  # type: ignore[arg-type]
        try:
            raise ValueError(Broken())
        except ValueError:
            assert c.capture_exception() is not None
        c.add_breadcrumb({"message": Broken()})
        c.capture_message("x" * 100_000)
        c.flush(2)
        if post is garbage:
            assert c.transport.dropped == 3  # none fitted the outbox: dropped and counted
        if post is exploding:
            assert c.transport.backing_off() and c.transport.stats.failures == 1
        c.close(1)
        c.capture_message("after close")  # ignored
    faultbox_sdk.flush()  # no client: nothing happens
    assert faultbox_sdk.capture_message("no client") is None


@pytest.fixture
def hooked(tmp_path: Path) -> Iterator[Recorder]:
    rec = Recorder()
    faultbox_sdk.init(DSN, post=rec, buffer_dir=str(tmp_path / "outbox"))
    yield rec
    faultbox_sdk.close()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_uncaught_exceptions_in_threads_and_asyncio_are_reported(hooked: Recorder) -> None:
    def crash() -> None:
        raise LookupError("thread crashed")

    t = threading.Thread(target=crash)
    t.start()
    t.join()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.call_exception_handler(
            {"message": "Task exception was never retrieved", "exception": OSError("lost")}
        )

    asyncio.run(main())
    assert faultbox_sdk.flush(5)
    items = {i["errorType"]: i for i in hooked.native_items()}
    assert set(items) == {"LookupError", "OSError"}
    assert items["LookupError"]["exception"]["mechanism"] == {
        "type": "threading",
        "handled": False,
    }
    assert items["LookupError"]["severity"] == "critical"
    # Reported once: the default handler's log record of the same exception is not an event.
    assert len(hooked.native_items()) == 2
    assert items["OSError"]["exception"]["mechanism"]["type"] == "asyncio"


def test_excepthook_reports_then_calls_the_previous_hook(tmp_path: Path) -> None:
    rec = Recorder()
    called: list[str] = []
    old = sys.excepthook
    sys.excepthook = lambda *a: called.append("previous")
    try:
        faultbox_sdk.init(DSN, post=rec, buffer_dir=str(tmp_path))
        try:
            raise ArithmeticError("uncaught")
        except ArithmeticError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
        faultbox_sdk.close()
        assert called == ["previous"]
        assert [i["errorType"] for i in rec.native_items()] == ["ArithmeticError"]
        assert sys.excepthook is not old and called == ["previous"]
    finally:
        sys.excepthook = old


def test_the_same_exception_is_reported_once(tmp_path: Path) -> None:
    rec = Recorder()
    c = client(tmp_path, rec)
    try:
        raise KeyError("k")
    except KeyError as exc:
        first = c.capture_exception(exc)
        assert c.capture_exception(exc) is None  # re-raised and caught again higher up
    assert first is not None and c.flush(5)
    assert len(rec.native_items()) == 1
    c.close()
