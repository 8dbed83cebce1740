"""Grouping quality on the labeled corpus (tests/grouping_corpus), against baselines.

The corpus holds 40+ bugs of a fake shop and its sibling services: Python events
from the real sentry-sdk, JavaScript/Java/Kotlin/.NET/Go/Ruby text traces posted to
the native API, stackless errors and @sentry/browser-shaped events; each bug in
variants that must group together, beside look-alike bugs that must not.

Printed for each grouping version and for three baselines: events, true and
predicted group counts, pairwise and B-cubed precision/recall/F1; then the worst
over-splits and over-merges of the default version, with the components that
differ.  Deterministic: the corpus is generated the same way on every run.

    .venv/bin/python benchmarks/grouping.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from faultbox.digest.grouping import DEFAULT_VERSION, GROUPING_VERSIONS, compute_grouping  # noqa: E402
from faultbox.digest.grouping.quality import Scores, over_merges, over_splits, score  # noqa: E402
from faultbox.model import Grouping  # noqa: E402
from tests.grouping_corpus import events as corpus_events  # noqa: E402
from tests.grouping_corpus.baselines import BASELINES  # noqa: E402

WORST = 5


def report(name: str, labels: list[str], groups: list[str]) -> Scores:
    s = score(labels, groups)
    pf1 = Scores.f1(s.pairwise_precision, s.pairwise_recall)
    bf1 = Scores.f1(s.bcubed_precision, s.bcubed_recall)
    print(
        f"{name:<22} {len(labels):6d} {len(set(labels)):5d} {len(set(groups)):5d}   "
        f"{s.pairwise_precision:.3f} {s.pairwise_recall:.3f} {pf1:.3f}   "
        f"{s.bcubed_precision:.3f} {s.bcubed_recall:.3f} {bf1:.3f}"
    )
    return s


def _differing(groupings: list[Grouping]) -> list[list[str]]:
    common = set.intersection(*(set(g.components) for g in groupings))
    return [[c for c in g.components if c not in common] for g in groupings]


def explain(version: str, labels: list[str], groupings: list[Grouping]) -> None:
    hashes = [g.hash for g in groupings]
    first = {g.hash: g for g in reversed(groupings)}
    splits = over_splits(labels, hashes)
    print(f"\n{version}: worst over-splits ({len(splits)} bugs in more than one issue):")
    for label, issues in splits[:WORST]:
        print(f"  {label}: {len(issues)} issues; differing components:")
        for parts in _differing([first[h] for h in issues]):
            print(f"    - {' | '.join(parts) or '(none)'}")
    merges = over_merges(labels, hashes)
    print(f"{version}: worst over-merges ({len(merges)} issues holding more than one bug):")
    for issue, bugs in merges[:WORST]:
        print(f"  {', '.join(bugs)}: {' | '.join(first[issue].components)}")


def main() -> None:
    labeled = corpus_events()
    labels = [label for label, _ in labeled]
    evs = [event for _, event in labeled]
    print(
        f"{'grouping':<22} {'events':>6} {'bugs':>5} {'issues':>5}   "
        f"{'pairwise P/R/F1':<17}   B-cubed P/R/F1"
    )
    groupings: dict[str, list[Grouping]] = {}
    for version in GROUPING_VERSIONS:
        mark = " (default)" if version == DEFAULT_VERSION else ""
        # Each version parses text traces its own way: normalize for it.
        parsed = [event for _, event in corpus_events(version)]
        groupings[version] = [compute_grouping(e, version=version) for e in parsed]
        report(f"faultbox {version}{mark}", labels, [g.hash for g in groupings[version]])
    for name, fn in BASELINES.items():
        report(name, labels, [fn(e) for e in evs])
    # The default version's mistakes first, then the older versions' for contrast.
    for version in sorted(groupings, key=lambda v: v != DEFAULT_VERSION):
        explain(version, labels, groupings[version])


if __name__ == "__main__":
    main()
