"""Grouping quality: Faultbox's grouping vs a whole-stack baseline on labeled events.

The events come from the real sentry-sdk (benchmarks/grouping_scenarios.py): one bug
reached from other callers, moved by a release, with numbers in its message,
deployed from other directories or raised at varying depths inside a library
must stay one issue; different bugs with the same exception type must not.

The baseline hashes the exception type and every in-app frame with its line
number, roughly what trackers that hash the whole stack do.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faultbox.digest.grouping import compute_grouping  # noqa: E402
from faultbox.digest.grouping.quality import Scores, score  # noqa: E402
from faultbox.digest.normalize import normalize_sentry  # noqa: E402
from faultbox.model import Event  # noqa: E402
from faultbox.queue.base import IngestMeta  # noqa: E402
from grouping_scenarios import scenarios  # noqa: E402


def baseline(event: Event) -> str:
    parts: list[str] = []
    for exc in event.exceptions:
        parts.append(exc.type or "")
        for frame in exc.frames:
            if frame.in_app is not False:
                parts.append(f"{frame.abs_path or frame.filename}:{frame.function}:{frame.lineno}")
    if not event.exceptions:
        parts.append(event.message or "")
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()


def report(name: str, s: Scores, n_groups: int) -> None:
    print(
        f"{name:<10} issues {n_groups:3d}  pairwise P {s.pairwise_precision:.2f} "
        f"R {s.pairwise_recall:.2f} F1 {Scores.f1(s.pairwise_precision, s.pairwise_recall):.2f}  "
        f"B-cubed P {s.bcubed_precision:.2f} R {s.bcubed_recall:.2f} "
        f"F1 {Scores.f1(s.bcubed_precision, s.bcubed_recall):.2f}"
    )


def main() -> None:
    labeled = scenarios()
    events = [
        normalize_sentry(
            payload, project_id=1, event_id=f"{i:032x}", received_at=time.time(), meta=IngestMeta()
        )
        for i, (_, payload) in enumerate(labeled)
    ]
    labels = [label for label, _ in labeled]
    print(f"{len(events)} events, {len(set(labels))} bugs")
    ours = [compute_grouping(e).hash for e in events]
    theirs = [baseline(e) for e in events]
    report("faultbox", score(labels, ours), len(set(ours)))
    report("baseline", score(labels, theirs), len(set(theirs)))
    by_label: dict[str, set[str]] = {}
    for label, group in zip(labels, ours, strict=True):
        by_label.setdefault(label, set()).add(group)
    for label, groups in sorted(by_label.items()):
        if len(groups) > 1:
            print(f"  split: {label} into {len(groups)} issues")


if __name__ == "__main__":
    main()
