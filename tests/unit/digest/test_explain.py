"""The grouping explanation walks an event as the version that grouped it did."""

from __future__ import annotations

from typing import Any

from faultbox.digest.grouping import compute_grouping
from faultbox.digest.grouping.explain import explain_grouping
from faultbox.model import Event, ExceptionValue, Frame

BUNDLE = "https://shop.example/static/js/main.3f9a2c1b.js"


def _browser_event() -> Event:
    """A V8 TypeError in an anonymous callback of loadCart, raised in JSON.parse."""
    frames = (
        Frame(filename=BUNDLE, function="loadCart", lineno=10, colno=5, in_app=True),
        Frame(filename=BUNDLE, function="<anonymous>", lineno=12, colno=9, in_app=True),
        Frame(filename="<anonymous>", function="JSON.parse", in_app=True),
    )
    return Event(
        event_id="a" * 32,
        project_id=1,
        timestamp=0.0,
        received_at=0.0,
        platform="javascript",
        exceptions=(ExceptionValue("SyntaxError", "Unexpected token < in JSON", frames=frames),),
    )


def _explain(event: Event, version: str) -> dict[str, Any]:
    grouping = compute_grouping(event, version=version)
    stored = {"version": version, "components": list(grouping.components), "rule": None}
    return explain_grouping(event, stored_hash=grouping.hash, stored=stored)


def test_v2_names_the_callback_by_its_caller_and_skips_the_runtime() -> None:
    info = _explain(_browser_event(), "v2")
    (exc,) = info["exceptions"]
    runtime, callback, caller = reversed(exc["frames"])
    assert runtime["in_app"] is False and runtime["in_app_reason"].startswith("runtime")
    assert runtime["contributes"] is False
    assert callback["contributes"] is True and "innermost in-app" in callback["hint"]
    assert caller["contributes"] is True and "named caller" in caller["hint"]
    counted = [c for c in info["components"] if c.startswith("frame:")]
    assert counted == [f"frame:{callback['location']}", f"frame:{caller['location']}"]


def test_v1_events_are_explained_as_v1_grouped_them() -> None:
    info = _explain(_browser_event(), "v1")
    (exc,) = info["exceptions"]
    runtime, callback, caller = reversed(exc["frames"])
    # v1 trusted the SDK's flag on JSON.parse and keyed the issue on it.
    assert runtime["in_app"] is True and runtime["contributes"] is True
    assert callback["contributes"] is False and caller["contributes"] is False
    assert info["version"] == "v1" and info["today"]["version"] == "v2"
    assert info["today"]["same_as_stored"] is False


def test_a_minified_frame_explains_why_the_message_counts() -> None:
    frame = Frame(filename=BUNDLE, function="t", lineno=1, colno=48213, in_app=True)
    value = "Cannot read properties of undefined (reading 'price')"
    event = Event(
        event_id="b" * 32,
        project_id=1,
        timestamp=0.0,
        received_at=0.0,
        platform="javascript",
        exceptions=(ExceptionValue("TypeError", value, frames=(frame,)),),
    )
    (exc,) = _explain(event, "v2")["exceptions"]
    assert exc["value_contributes"] is True and "minified" in exc["value_hint"]
    assert exc["value_template"] == "Cannot access property 'price' of undefined"
    assert exc["frames"][0]["location"].endswith("main.js:<minified>")
