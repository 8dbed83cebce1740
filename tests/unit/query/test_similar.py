"""Similarity of two events' stacks: weighted Jaccard of normalized frame locations."""

from __future__ import annotations

from typing import Any

import pytest

from faultbox.digest.grouping.frame_naming import naming_for
from faultbox.model import Event, ExceptionValue, Frame, Thread
from faultbox.query.similar import (
    LIBRARY_WEIGHT,
    TYPE_MISMATCH_FACTOR,
    Similarity,
    profile,
    similarity,
)

NAMING = naming_for(None)


def event(*exceptions: ExceptionValue, **kw: Any) -> Event:
    kw.setdefault("platform", "python")
    return Event(event_id="0" * 32, project_id=1, timestamp=1.0, received_at=1.0,
                 exceptions=exceptions, **kw)  # fmt: skip


def exc(type_: str, *frames: Frame) -> ExceptionValue:
    """Frames outermost first, as Sentry sends them."""
    return ExceptionValue(type=type_, value="boom", frames=frames)


def app(function: str, module: str = "shop.checkout", line: int = 10) -> Frame:
    return Frame(module=module, function=function, lineno=line, in_app=True)


def lib(function: str, module: str = "django.core.handlers") -> Frame:
    return Frame(module=module, function=function, lineno=99, in_app=False)


def compare(a: Event, b: Event, naming: Any = NAMING) -> Similarity:
    return similarity(profile(a, naming), profile(b, naming))


def test_the_same_stack_and_type_scores_one_whatever_the_line_numbers() -> None:
    a = event(exc("KeyError", lib("dispatch"), app("view", line=3), app("pay", line=40)))
    b = event(exc("KeyError", lib("dispatch"), app("view", line=5), app("pay", line=48)))
    found = compare(a, b)
    assert found.score == 1.0
    assert found.same_exception_type is True
    # Innermost first, flagged by whether the frame is the app's own code.
    assert found.shared == [
        ("shop.checkout:pay", True),
        ("shop.checkout:view", True),
        ("django.core.handlers:dispatch", False),
    ]


def test_no_shared_frame_scores_zero_even_with_the_same_type() -> None:
    found = compare(event(exc("KeyError", app("pay"))), event(exc("KeyError", app("ship"))))
    assert found.score == 0.0 and found.shared == []


def test_score_is_the_weighted_jaccard_index() -> None:
    a = event(exc("KeyError", lib("dispatch"), app("view"), app("pay")))
    b = event(exc("KeyError", lib("dispatch"), app("view"), app("refund")))
    overlap = LIBRARY_WEIGHT + 1.0  # dispatch, view
    union = LIBRARY_WEIGHT + 1.0 + 1.0 + 1.0  # dispatch, view, pay, refund
    assert compare(a, b).score == pytest.approx(overlap / union)


def test_a_shared_app_frame_weighs_more_than_a_shared_library_frame() -> None:
    source = event(exc("KeyError", lib("dispatch"), app("view"), app("pay")))
    shares_library = event(exc("KeyError", lib("dispatch"), app("other"), app("refund")))
    shares_app = event(exc("KeyError", lib("middleware"), app("view"), app("refund")))
    assert compare(source, shares_app).score > compare(source, shares_library).score > 0


def test_another_exception_type_lowers_the_score() -> None:
    frames = (app("view"), app("pay"))
    found = compare(event(exc("KeyError", *frames)), event(exc("ValueError", *frames)))
    assert found.score == pytest.approx(TYPE_MISMATCH_FACTOR)
    assert found.same_exception_type is False


def test_recursion_counts_once() -> None:
    deep = event(exc("RecursionError", app("view"), *[app("walk")] * 200))
    shallow = event(exc("RecursionError", app("view"), app("walk")))
    assert compare(deep, shallow).score == 1.0


def test_frames_are_named_as_the_grouping_names_them() -> None:
    def frame(path: str, function: str) -> Frame:
        return Frame(abs_path=path, filename=path, function=function, in_app=True)

    a = event(exc("E", frame("/srv/app/releases/101/shop/pay.py", "<lambda>")))
    b = event(exc("E", frame("/opt/releases/102/shop/pay.py", "<lambda>")))
    assert compare(a, b).shared == [("shop/pay.py:<anon>", True)]


def test_every_exception_of_the_chain_counts() -> None:
    cause = exc("KeyError", app("view"), app("load_config"))
    a = event(cause, exc("RuntimeError", app("startup")))
    b = event(exc("KeyError", app("view"), app("load_config")))
    found = compare(a, b)
    assert [loc for loc, _ in found.shared] == ["shop.checkout:load_config", "shop.checkout:view"]
    assert found.same_exception_type is False  # the reported types: RuntimeError vs KeyError


def test_a_crashed_thread_stands_in_for_a_missing_exception() -> None:
    thread = Thread(id="1", name="main", crashed=True, current=False, frames=(app("pay"),))
    a = event(threads=(thread,))
    b = event(exc("SIGSEGV", app("pay")))
    assert compare(a, b).shared == [("shop.checkout:pay", True)]


def test_project_in_app_rules_decide_the_weight() -> None:
    vendored = Frame(module="shop.vendored.money", function="parse", in_app=True)
    a = event(exc("E", app("pay"), vendored))
    b = event(exc("E", app("refund"), vendored))
    as_sent = compare(a, b).score
    rules = naming_for('{"include": [], "exclude": ["shop.vendored."]}')
    found = compare(a, b, rules)
    assert found.shared == [("shop.vendored.money:parse", False)]
    assert found.score == pytest.approx(LIBRARY_WEIGHT / (LIBRARY_WEIGHT + 2))
    assert found.score < as_sent


def test_events_without_frames_are_similar_to_nothing() -> None:
    bare = event(exc("KeyError"))
    assert compare(bare, bare).score == 0.0
