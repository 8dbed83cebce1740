"""Grouping quality against labeled events: pairwise and B-cubed precision/recall.

Precision falls when different bugs share an issue; recall falls when one bug is
split into several issues.  Both matter (see the design's Grouping section).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Scores:
    pairwise_precision: float
    pairwise_recall: float
    bcubed_precision: float
    bcubed_recall: float

    @staticmethod
    def f1(precision: float, recall: float) -> float:
        return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def _pairs(counts: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in counts)


def score(labels: Sequence[str], groups: Sequence[str]) -> Scores:
    """``labels[i]`` is event i's true bug, ``groups[i]`` the issue it was put in."""
    if len(labels) != len(groups):
        raise ValueError("labels and groups must be the same length")
    if not labels:
        raise ValueError("nothing to score")
    by_label = Counter(labels)
    by_group = Counter(groups)
    by_both = Counter(zip(labels, groups, strict=True))
    together = _pairs(by_both.values())
    group_pairs, label_pairs = _pairs(by_group.values()), _pairs(by_label.values())
    n = len(labels)
    return Scores(
        pairwise_precision=together / group_pairs if group_pairs else 1.0,
        pairwise_recall=together / label_pairs if label_pairs else 1.0,
        bcubed_precision=sum(
            by_both[(lab, g)] / by_group[g] for lab, g in zip(labels, groups, strict=True)
        )
        / n,
        bcubed_recall=sum(
            by_both[(lab, g)] / by_label[lab] for lab, g in zip(labels, groups, strict=True)
        )
        / n,
    )


def over_splits(labels: Sequence[str], groups: Sequence[str]) -> list[tuple[str, list[str]]]:
    """Bugs spread over more than one issue, the most spread first: (label, its issues)."""
    return _spread(labels, groups)


def over_merges(labels: Sequence[str], groups: Sequence[str]) -> list[tuple[str, list[str]]]:
    """Issues holding more than one bug, the most mixed first: (issue, its labels)."""
    return _spread(groups, labels)


def _spread(keys: Sequence[str], values: Sequence[str]) -> list[tuple[str, list[str]]]:
    seen: dict[str, dict[str, None]] = {}  # insertion-ordered sets: a stable report
    for key, value in zip(keys, values, strict=True):
        seen.setdefault(key, {})[value] = None
    spread = [(key, list(found)) for key, found in seen.items() if len(found) > 1]
    return sorted(spread, key=lambda item: -len(item[1]))
