"""The frame-by-frame diff of two events' stacks."""

from __future__ import annotations

from typing import Any

from faultbox.digest.grouping.frame_naming import naming_for
from faultbox.model import Event, ExceptionValue, Frame
from faultbox.query.stack_diff import DiffInput, diff_events

NAMING = naming_for(None)


def stored(*exceptions: ExceptionValue, issue_id: int = 1, hash_: str = "h1") -> DiffInput:
    event = Event(event_id="0" * 32, project_id=1, timestamp=1.0, received_at=1.0,
                  platform="python", exceptions=exceptions)  # fmt: skip
    return DiffInput(event, issue_id, f"ERR-{issue_id}", hash_, NAMING)


def exc(type_: str, *frames: Frame, value: str = "boom") -> ExceptionValue:
    """Frames outermost first, as Sentry sends them."""
    return ExceptionValue(type=type_, value=value, frames=frames)


def app(function: str, line: int = 10, context: str | None = None) -> Frame:
    return Frame(module="shop.checkout", function=function, lineno=line,
                 context_line=context, in_app=True)  # fmt: skip


def lib(function: str) -> Frame:
    return Frame(module="django.core.handlers", function=function, lineno=99, in_app=False)


def ops(rows: list[dict[str, Any]]) -> list[tuple[str, str | None, str | None]]:
    """(op, left function, right function) per row."""
    return [
        (r["op"], r["left"] and r["left"]["function"], r["right"] and r["right"]["function"])
        for r in rows
    ]


def test_the_same_bug_with_a_moved_line_is_all_equal_rows() -> None:
    left = stored(exc("KeyError", lib("dispatch"), app("view", 3), app("pay", 40, "x = d[k]")))
    right = stored(exc("KeyError", lib("dispatch"), app("view", 3), app("pay", 44, "x  =  d[k]")))
    result = diff_events(left, right)
    [position] = result["exceptions"]
    # Innermost (the raise site) first.
    assert ops(position["rows"]) == [
        ("equal", "pay", "pay"),
        ("equal", "view", "view"),
        ("equal", "dispatch", "dispatch"),
    ]
    pay = position["rows"][0]
    assert (pay["line_changed"], pay["context_changed"]) == (True, False)
    assert (pay["left"]["lineno"], pay["right"]["lineno"]) == (40, 44)
    assert position["rows"][1]["line_changed"] is False
    assert result["summary"] == {
        "same_issue": True,
        "same_grouping_hash": True,
        "same_type": True,
        "same_in_app_frames": True,
        "first_differing_in_app_frame": None,
    }


def test_a_changed_source_line_is_reported_on_an_equal_row() -> None:
    left = stored(exc("KeyError", app("pay", 40, "x = d[k]")))
    right = stored(exc("KeyError", app("pay", 40, "x = d.get(k)[0]")))
    [row] = diff_events(left, right)["exceptions"][0]["rows"]
    assert (row["op"], row["line_changed"], row["context_changed"]) == ("equal", False, True)


def test_different_bugs_show_changed_added_and_removed_rows() -> None:
    left = stored(exc("KeyError", lib("dispatch"), app("view"), app("pay")), issue_id=1)
    right = stored(
        exc("ValueError", lib("dispatch"), app("view"), app("refund"), app("parse")),
        issue_id=2,
        hash_="h2",
    )
    result = diff_events(left, right)
    rows = result["exceptions"][0]["rows"]
    assert ops(rows) == [
        ("changed", "pay", "parse"),
        ("added", None, "refund"),
        ("equal", "view", "view"),
        ("equal", "dispatch", "dispatch"),
    ]
    assert rows[0]["line_changed"] is None and rows[1]["context_changed"] is None
    summary = result["summary"]
    assert summary["same_issue"] is False and summary["same_grouping_hash"] is False
    assert summary["same_type"] is False and summary["same_in_app_frames"] is False
    first = summary["first_differing_in_app_frame"]
    assert (first["position"], first["row"], first["op"]) == (0, 0, "changed")
    assert first["left"]["location"] == "shop.checkout:pay"
    assert first["right"]["location"] == "shop.checkout:parse"
    assert result["left"]["issue_id"] == 1 and result["right"]["grouping_hash"] == "h2"


def test_library_differences_leave_the_app_path_the_same() -> None:
    left = stored(exc("KeyError", lib("dispatch"), app("pay")))
    right = stored(exc("KeyError", lib("dispatch_async"), lib("wrapper"), app("pay")))
    result = diff_events(left, right)
    assert ops(result["exceptions"][0]["rows"]) == [
        ("equal", "pay", "pay"),
        # A replaced run pairs frames face to face, innermost first; the rest is added.
        ("changed", "dispatch", "wrapper"),
        ("added", None, "dispatch_async"),
    ]
    assert result["summary"]["same_in_app_frames"] is True
    assert result["summary"]["first_differing_in_app_frame"] is None


def test_chains_are_aligned_from_the_reported_exception_backwards() -> None:
    cause = exc("KeyError", app("load_config"), value="'db'")
    left = stored(cause, exc("RuntimeError", app("startup"), value="no config"))
    right = stored(exc("RuntimeError", app("startup"), value="no config"))
    first, second = diff_events(left, right)["exceptions"]
    assert first["left"] == first["right"] == {"type": "RuntimeError", "value": "no config"}
    assert first["same_type"] is True and ops(first["rows"]) == [("equal", "startup", "startup")]
    assert second["position"] == 1 and second["right"] is None and second["same_type"] is False
    assert second["left"] == {"type": "KeyError", "value": "'db'"}
    assert ops(second["rows"]) == [("removed", "load_config", None)]


def test_frames_line_up_inside_deep_recursion() -> None:
    # difflib's autojunk ignores a frame seen that often: the lone "walk" between the two
    # changed frames would be swallowed into one replaced run of three.
    left = stored(exc("RecursionError", app("main"), *[app("walk")] * 250,
                      app("check"), app("walk"), app("validate")))  # fmt: skip
    right = stored(exc("RecursionError", app("main"), *[app("walk")] * 251,
                       app("inspect"), app("walk"), app("verify")))  # fmt: skip
    rows = ops(diff_events(left, right)["exceptions"][0]["rows"])
    assert rows[:3] == [
        ("changed", "validate", "verify"),
        ("equal", "walk", "walk"),
        ("changed", "check", "inspect"),
    ]
    assert rows[-1] == ("equal", "main", "main")
    assert sorted(set(rows[3:-1])) == [("added", None, "walk"), ("equal", "walk", "walk")]
    assert rows.count(("added", None, "walk")) == 1 and len(rows) == 255


def test_frames_that_name_nothing_are_left_out() -> None:
    nameless = Frame(lineno=7, in_app=True)
    left = stored(exc("E", nameless, app("pay")))
    right = stored(exc("E", app("pay")))
    assert ops(diff_events(left, right)["exceptions"][0]["rows"]) == [("equal", "pay", "pay")]


def test_frames_carry_what_the_user_needs_to_read_them() -> None:
    frame = Frame(module="shop.checkout", function="pay", filename="shop/checkout.py",
                  abs_path="/srv/app/shop/checkout.py", lineno=12, context_line="pay()",
                  in_app=None)  # fmt: skip
    [row] = diff_events(stored(exc("E", frame)), stored(exc("E", frame)))["exceptions"][0]["rows"]
    assert row["left"] == {
        "location": "shop.checkout:pay",
        "module": "shop.checkout",
        "function": "pay",
        "filename": "shop/checkout.py",
        "lineno": 12,
        "context_line": "pay()",
        "in_app": True,  # no SDK flag: the grouping's heuristics decide
    }
