"""Grouping on labeled events captured from the real sentry-sdk: one bug, one issue.

The scenarios live with the grouping benchmark (benchmarks/grouping_scenarios.py);
here the grouping must reproduce their labels exactly.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from faultbox.digest.grouping import compute_grouping
from faultbox.digest.grouping.quality import score
from faultbox.digest.normalize import normalize_sentry
from faultbox.queue.base import IngestMeta

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from grouping_scenarios import scenarios  # noqa: E402


def test_labeled_scenarios_group_exactly_by_bug() -> None:
    labeled = scenarios()
    labels = [label for label, _ in labeled]
    assert len(labeled) >= 30 and len(set(labels)) >= 8
    groups = [
        compute_grouping(
            normalize_sentry(
                payload,
                project_id=1,
                event_id=f"{i:032x}",
                received_at=time.time(),
                meta=IngestMeta(),
            )
        ).hash
        for i, (_, payload) in enumerate(labeled)
    ]
    s = score(labels, groups)
    assert (s.pairwise_precision, s.pairwise_recall) == (1.0, 1.0)
    assert (s.bcubed_precision, s.bcubed_recall) == (1.0, 1.0)


def test_stored_events_round_trip_for_regrouping() -> None:
    from faultbox.model import event_from_dict, event_to_dict

    for i, (_, payload) in enumerate(scenarios()):
        event = normalize_sentry(
            payload, project_id=1, event_id=f"{i:032x}", received_at=time.time(), meta=IngestMeta()
        )
        assert event_from_dict(event_to_dict(event)) == event
