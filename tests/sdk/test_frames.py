"""Frames: source context, bounded and repr-safe locals, in-app decided like sentry-sdk."""

from __future__ import annotations

import json
import os
import sysconfig
from typing import Any

from faultbox_sdk import frames
from faultbox_sdk.frames import InApp, exception_values, serialize


class Hostile:
    def __repr__(self) -> str:
        raise RuntimeError("repr bomb")


class Chatty:
    def __repr__(self) -> str:
        return "x" * 100_000


def fail(secret_sauce: Any, n: int) -> float:
    hostile = Hostile()  # noqa: F841 - read back from the frame
    chatty = Chatty()  # noqa: F841
    big = list(range(1000))  # noqa: F841
    deep = {"a": {"b": {"c": {"d": {"e": 1}}}}}  # noqa: F841
    return 1 / n


def _values(**in_app: Any) -> list[dict[str, Any]]:
    try:
        fail("sauce", 0)
    except ZeroDivisionError as exc:
        return exception_values(exc, InApp(project_root=os.getcwd(), **in_app))
    raise AssertionError("unreachable")


def test_frames_carry_source_context_and_bounded_locals() -> None:
    (value,) = _values()
    assert value["type"] == "ZeroDivisionError" and value["value"] == "division by zero"
    assert "module" not in value  # built-ins carry no module, as in a printed traceback
    last = value["stacktrace"]["frames"][-1]
    assert last["function"] == "fail" and last["module"] == "tests.sdk.test_frames"
    assert last["context_line"].strip() == "return 1 / n"
    assert last["pre_context"][-1].strip().startswith("deep = ")
    assert len(last["pre_context"]) == frames.CONTEXT_LINES
    assert last["filename"] == os.path.join("tests", "sdk", "test_frames.py")
    v = last["vars"]
    assert v["n"] == 0 and v["secret_sauce"] == "sauce"
    assert v["hostile"] == "<unrepresentable Hostile>"
    assert len(v["chatty"]) == frames.MAX_REPR
    assert len(v["big"]) == frames.MAX_ITEMS + 1 and v["big"][-1] == "… 980 more"
    assert v["deep"]["a"]["b"]["c"] == "{'d': {'e': 1}}"  # depth cut to a repr
    json.dumps(value)  # everything is plain JSON


def test_in_app_follows_sentry_sdk_rules() -> None:
    (value,) = _values()
    assert value["stacktrace"]["frames"][-1]["in_app"] is True  # under the project root
    (value,) = _values(exclude=("tests.sdk",))
    assert value["stacktrace"]["frames"][-1]["in_app"] is False
    rule = InApp(include=("requests",), project_root="/srv/app")
    site = os.path.join(sysconfig.get_paths()["purelib"], "requests", "api.py")
    assert rule.decide("requests.api", site) is True  # include beats site-packages
    assert InApp(project_root="/srv/app").decide("requests.api", site) is False
    stdlib = os.path.join(sysconfig.get_paths()["stdlib"], "json", "decoder.py")
    assert InApp(project_root="/").decide("json.decoder", stdlib) is False
    assert InApp(project_root="/srv/app").decide("app.views", "/srv/app/app/views.py") is True
    assert InApp(project_root="/srv/app").decide("other", "/opt/other.py") is None
    assert InApp(project_root="/").decide("faultbox_sdk.client", "/x/client.py") is False


def test_chained_exceptions_oldest_first_and_cycles_end() -> None:
    def load() -> None:
        try:
            {}["missing"]  # noqa: B018
        except KeyError as exc:
            raise RuntimeError("config could not be loaded") from exc

    try:
        load()
    except RuntimeError as exc:
        values = exception_values(exc, InApp(), mechanism={"type": "generic", "handled": True})
    assert [v["type"] for v in values] == ["KeyError", "RuntimeError"]
    assert values[-1]["mechanism"] == {"type": "generic", "handled": True}

    a, b = ValueError("a"), ValueError("b")
    a.__context__, b.__context__ = b, a  # a cycle must not loop forever
    assert len(exception_values(a, InApp())) == 2


def test_serialize_is_json_safe_for_odd_values() -> None:
    odd = {
        1: float("nan"),
        "inf": float("inf"),
        "huge": 10**30,
        "bytes": b"\x00\xff",
        "set": {1},
        "long": "y" * 5000,
    }
    out = serialize(odd)
    assert out["1"] == "nan" and out["inf"] == "inf" and out["huge"] == str(10**30)
    assert out["bytes"] == "b'\\x00\\xff'" and out["set"] == [1]
    assert len(out["long"]) == frames.MAX_STRING
    json.dumps(out, allow_nan=False)


def test_too_many_frames_keep_both_ends() -> None:
    def recurse(n: int) -> None:
        if n == 0:
            raise ValueError("bottom")
        recurse(n - 1)

    try:
        recurse(300)
    except ValueError as exc:
        (value,) = exception_values(exc, InApp(), with_locals=False)
    stack = value["stacktrace"]["frames"]
    assert len(stack) == frames.MAX_FRAMES
    assert stack[0]["function"] == "test_too_many_frames_keep_both_ends"
    assert stack[-1]["context_line"].strip() == 'raise ValueError("bottom")'
    assert all("vars" not in f for f in stack)
