"""The grouping quality metrics, on cases worked out by hand and as properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faultbox.digest.grouping.quality import Scores, score


def test_perfect_grouping_scores_one() -> None:
    s = score(["a", "a", "b"], ["x", "x", "y"])
    assert s == Scores(1.0, 1.0, 1.0, 1.0)


def test_one_bug_split_in_two_loses_recall_not_precision() -> None:
    s = score(["a", "a", "a", "a"], ["x", "x", "y", "y"])
    assert (s.pairwise_precision, s.bcubed_precision) == (1.0, 1.0)
    assert s.pairwise_recall == pytest.approx(2 / 6)
    assert s.bcubed_recall == pytest.approx(0.5)


def test_two_bugs_in_one_issue_lose_precision_not_recall() -> None:
    s = score(["a", "a", "b"], ["x", "x", "x"])
    assert (s.pairwise_recall, s.bcubed_recall) == (1.0, 1.0)
    assert s.pairwise_precision == pytest.approx(1 / 3)
    assert s.bcubed_precision == pytest.approx((2 / 3 + 2 / 3 + 1 / 3) / 3)


def test_mismatched_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        score(["a"], [])
    with pytest.raises(ValueError):
        score([], [])


labels = st.lists(st.sampled_from("abcd"), min_size=1, max_size=30)


@given(labels)
def test_grouping_by_the_labels_themselves_is_perfect(ls: list[str]) -> None:
    assert score(ls, [f"g-{x}" for x in ls]) == Scores(1.0, 1.0, 1.0, 1.0)


@given(labels, st.data())
def test_scores_are_between_zero_and_one(ls: list[str], data: st.DataObject) -> None:
    groups = data.draw(st.lists(st.sampled_from("xyz"), min_size=len(ls), max_size=len(ls)))
    s = score(ls, groups)
    for value in (s.pairwise_precision, s.pairwise_recall, s.bcubed_precision, s.bcubed_recall):
        assert 0.0 <= value <= 1.0


@given(labels)
def test_everything_in_one_issue_has_full_recall(ls: list[str]) -> None:
    s = score(ls, ["one"] * len(ls))
    assert s.pairwise_recall == 1.0 and s.bcubed_recall == 1.0
