"""Grouping quality on the labeled corpus (tests/grouping_corpus): the bar to clear.

The corpus's labels say which events are the same bug; the default grouping must
reproduce them (B-cubed F1 >= 0.97, pairwise precision >= 0.99) and beat every
trivial baseline, so that the corpus is not one a naive grouping also passes.
benchmarks/grouping.py prints the same figures with the worst splits and merges.
"""

from __future__ import annotations

from collections import Counter

import pytest

from faultbox.digest.grouping import DEFAULT_VERSION, compute_grouping
from faultbox.digest.grouping.quality import Scores, over_merges, over_splits, score
from faultbox.model import Event, event_from_dict, event_to_dict
from tests.grouping_corpus import HARD_NEGATIVES, corpus, events
from tests.grouping_corpus.baselines import BASELINES


@pytest.fixture(scope="module")
def labeled() -> list[tuple[str, Event]]:
    return events()


def _bcubed_f1(s: Scores) -> float:
    return Scores.f1(s.bcubed_precision, s.bcubed_recall)


def _type(event: Event) -> str:
    return event.exceptions[-1].type or "" if event.exceptions else ""


def test_corpus_size_and_shape(labeled: list[tuple[str, Event]]) -> None:
    labels = Counter(label for label, _ in labeled)
    assert len(labeled) >= 150 and len(labels) >= 40
    assert min(labels.values()) >= 2, "every bug needs variants that must group together"
    kinds = Counter(kind for _, kind, _ in corpus())
    assert kinds["sentry"] >= 100 and kinds["native"] >= 40
    platforms = {event.platform for _, event in labeled}
    assert {"python", "javascript", "java", "go", "ruby", "csharp"} <= platforms


def test_hard_negatives_exist_and_are_alike(labeled: list[tuple[str, Event]]) -> None:
    by_label: dict[str, list[Event]] = {}
    for label, event in labeled:
        by_label.setdefault(label, []).append(event)
    assert len(HARD_NEGATIVES) >= 15
    same_type = 0
    for a, b, why in HARD_NEGATIVES:
        assert a in by_label and b in by_label, why
        same_type += {_type(e) for e in by_label[a]} == {_type(e) for e in by_label[b]}
    assert same_type >= 10  # most look alike by type, the trivial baseline's key


def test_default_grouping_clears_the_bar(labeled: list[tuple[str, Event]]) -> None:
    labels = [label for label, _ in labeled]
    groups = [compute_grouping(event).hash for _, event in labeled]
    s = score(labels, groups)
    detail = f"splits {over_splits(labels, groups)[:3]}, merges {over_merges(labels, groups)[:3]}"
    assert _bcubed_f1(s) >= 0.97, detail
    assert s.pairwise_precision >= 0.99, detail


def test_hard_negatives_stay_apart(labeled: list[tuple[str, Event]]) -> None:
    issues: dict[str, set[str]] = {}
    for label, event in labeled:
        issues.setdefault(label, set()).add(compute_grouping(event).hash)
    for a, b, why in HARD_NEGATIVES:
        assert not issues[a] & issues[b], f"{a} and {b} merged ({why})"


def test_every_baseline_scores_below_faultbox(labeled: list[tuple[str, Event]]) -> None:
    labels = [label for label, _ in labeled]
    ours = score(labels, [compute_grouping(event).hash for _, event in labeled])
    for name, baseline in BASELINES.items():
        theirs = score(labels, [baseline(event) for _, event in labeled])
        assert _bcubed_f1(theirs) < _bcubed_f1(ours) - 0.1, name
        assert Scores.f1(theirs.pairwise_precision, theirs.pairwise_recall) < 0.8, name


def test_the_new_version_does_better_than_v1() -> None:
    labeled = events("v1")
    labels = [label for label, _ in labeled]
    old = score(labels, [compute_grouping(e, version="v1").hash for _, e in labeled])
    new = score(labels, [compute_grouping(e, version=DEFAULT_VERSION).hash for _, e in events()])
    assert _bcubed_f1(new) > _bcubed_f1(old)
    assert new.pairwise_precision > old.pairwise_precision


def test_corpus_is_deterministic() -> None:
    assert corpus() == corpus()


def test_stored_events_round_trip_for_regrouping(labeled: list[tuple[str, Event]]) -> None:
    for _, event in labeled:
        assert event_from_dict(event_to_dict(event)) == event
