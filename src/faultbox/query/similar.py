"""Issues similar to a given one by stack-frame overlap: candidates to merge.

Each issue is represented by its latest event. Its frames (every exception of the
chain, and the crashed thread's stack when there is no exception) become a set of
normalized locations (``module:function``, line numbers ignored), each weighted
:data:`APP_WEIGHT` when it is the app's code and :data:`LIBRARY_WEIGHT` when not.
A location counts once per event, so recursion (consecutive or not) cannot
outweigh the rest of the stack. The score is the weighted Jaccard index

    sum(min(w_a(x), w_b(x))) / sum(max(w_a(x), w_b(x)))   over all locations x

multiplied by :data:`TYPE_MISMATCH_FACTOR` when the reported exception types
differ. It lies in [0, 1]: 1 for the same frames and type, 0 when no frame is
shared (such issues are left out: the type alone is no evidence of the same bug).
Only the :data:`CANDIDATE_ISSUES` most recently seen other issues of the project
are compared, which bounds the cost of one request. Those candidates are the same for
every issue of the project, so each stored event's profile is kept (by a digest of its
payload) in a bounded in-process cache: decoding 500 events took ~120 ms a request.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from faultbox.model import Event, event_from_dict
from faultbox.query.frames import (
    FrameNaming,
    NamingForProject,
    locations,
    main_type,
    stacks_innermost_first,
)
from faultbox.store.payload import unpack
from faultbox.store.schema import events, issues, projects

CANDIDATE_ISSUES = 500
APP_WEIGHT = 1.0
# Library frames (the framework's dispatch, the ORM) are shared by unrelated bugs.
LIBRARY_WEIGHT = 0.25
# Same frames but another exception type: likely related, less likely the same bug.
TYPE_MISMATCH_FACTOR = 0.75
MAX_SHARED_FRAMES = 20
PROFILE_CACHE_SIZE = 4096  # a few KB each


@dataclass(frozen=True, slots=True)
class StackProfile:
    """What an event's stacks look like to the similarity: weighted frame locations."""

    weights: dict[str, float]  # location → weight, the final exception's innermost first
    exception_type: str | None


@dataclass(frozen=True, slots=True)
class Similarity:
    score: float
    shared: list[tuple[str, bool]]  # (location, in app in the compared-from event)
    same_exception_type: bool


def profile(event: Event, naming: FrameNaming) -> StackProfile:
    weights: dict[str, float] = {}
    for stack in stacks_innermost_first(event):
        for location, frame in locations(stack.frames, naming):
            weight = APP_WEIGHT if naming.in_app(frame, event.platform) else LIBRARY_WEIGHT
            weights[location] = max(weight, weights.get(location, 0.0))
    return StackProfile(weights, main_type(event))


def similarity(source: StackProfile, other: StackProfile) -> Similarity:
    shared = [loc for loc in source.weights if loc in other.weights]
    same_type = source.exception_type is not None and (
        source.exception_type == other.exception_type
    )
    if not shared:
        return Similarity(0.0, [], same_type)
    overlap = sum(min(source.weights[loc], other.weights[loc]) for loc in shared)
    union = sum(
        max(source.weights.get(loc, 0.0), other.weights.get(loc, 0.0))
        for loc in source.weights.keys() | other.weights.keys()
    )
    score = overlap / union * (1.0 if same_type else TYPE_MISMATCH_FACTOR)
    marked = [(loc, source.weights[loc] == APP_WEIGHT) for loc in shared]
    return Similarity(score, marked, same_type)


def _latest_event_id() -> Any:
    return (
        select(events.c.id)
        .where(events.c.issue_id == issues.c.id)
        .order_by(events.c.timestamp.desc(), events.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


class _ProfileCache:
    """Least recently used stack profiles by (payload digest, in-app rules, naming)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[tuple[Any, ...], StackProfile] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> StackProfile | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], value: StackProfile) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_PROFILES = _ProfileCache(PROFILE_CACHE_SIZE)


def _profiles_by_row_id(
    conn: Connection, row_ids: list[int], in_app_rules: str | None, naming_for: NamingForProject
) -> dict[int, tuple[str, StackProfile]]:
    """Stored event row id → (event id, the event's stack profile)."""
    rows = conn.execute(
        select(events.c.id, events.c.event_id, events.c.payload).where(events.c.id.in_(row_ids))
    )
    naming: FrameNaming | None = None
    found: dict[int, tuple[str, StackProfile]] = {}
    for row in rows:
        key = (hashlib.blake2b(row.payload, digest_size=16).digest(), in_app_rules, naming_for)
        stack = _PROFILES.get(key)
        if stack is None:
            naming = naming or naming_for(in_app_rules)
            stack = profile(event_from_dict(unpack(row.payload)), naming)
            _PROFILES.put(key, stack)
        found[row.id] = (row.event_id, stack)
    return found


def similar_issues(
    conn: Connection,
    issue_id: int,
    project_ids: set[int],
    naming_for: NamingForProject,
    *,
    limit: int = 10,
) -> dict[str, Any] | None:
    """The ``limit`` most similar issues, best first; None if the issue is not visible."""
    source = conn.execute(
        select(issues.c.project_id, projects.c.in_app_rules, _latest_event_id().label("latest"))
        .join(projects, projects.c.id == issues.c.project_id)
        .where(issues.c.id == issue_id, issues.c.project_id.in_(project_ids))
    ).first()
    if source is None:
        return None
    candidates = conn.execute(
        select(
            issues.c.id,
            issues.c.short_id,
            issues.c.title,
            issues.c.culprit,
            _latest_event_id().label("latest"),
        )
        .where(issues.c.project_id == source.project_id, issues.c.id != issue_id)
        .order_by(issues.c.last_seen.desc(), issues.c.id.desc())
        .limit(CANDIDATE_ISSUES)
    ).all()
    wanted = [row.latest for row in (source, *candidates) if row.latest is not None]
    stored = _profiles_by_row_id(conn, wanted, source.in_app_rules, naming_for) if wanted else {}
    source_event_id, ranked = None, []
    if source.latest in stored:
        source_event_id, mine = stored[source.latest]
        ranked = _rank(mine, candidates, stored)
    return {
        "issue_id": issue_id,
        "event_id": source_event_id,
        "candidates_checked": len(candidates),
        "candidate_limit": CANDIDATE_ISSUES,
        "data": [_similar_json(found, row, stored) for found, row in ranked[:limit]],
        "next_cursor": None,
    }


def _rank(
    mine: StackProfile, candidates: Sequence[Any], stored: dict[int, tuple[str, StackProfile]]
) -> list[tuple[Similarity, Any]]:
    ranked: list[tuple[Similarity, Any]] = []
    for row in candidates:
        if row.latest in stored:
            found = similarity(mine, stored[row.latest][1])
            if found.score > 0:
                ranked.append((found, row))
    # Ties go to the newer issue: the one more likely still being worked on.
    ranked.sort(key=lambda pair: (-pair[0].score, -pair[1].id))
    return ranked


def _similar_json(
    found: Similarity, row: Any, stored: dict[int, tuple[str, StackProfile]]
) -> dict[str, Any]:
    return {
        "issue_id": row.id,
        "short_id": f"ERR-{row.short_id}",
        "title": row.title,
        "culprit": row.culprit,
        "event_id": stored[row.latest][0],  # the event compared: diff it with /events/…/diff/…
        "score": round(found.score, 4),
        "same_exception_type": found.same_exception_type,
        "shared_frame_count": len(found.shared),
        "shared_frames": [
            {"location": loc, "in_app": in_app} for loc, in_app in found.shared[:MAX_SHARED_FRAMES]
        ],
    }
