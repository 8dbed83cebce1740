"""A frame-by-frame diff of the stacks of two stored events.

Exceptions are aligned from the reported one backwards: position 0 pairs the two
final exceptions (the ones the titles name), position 1 their causes, and so on;
a chain longer on one side gets positions with only that side. Within a position,
frames are listed innermost (the raise site) first, as Sentry shows them, and
aligned by :class:`difflib.SequenceMatcher` on their normalized locations
(``module:function``; line numbers ignored), so a frame whose line moved between
two deploys is still ``equal``, with ``line_changed`` set. Frames that name
nothing (no module, file or function) are left out. Rows:

* ``equal``: the same location on both sides (``line_changed``/``context_changed``
  tell whether the line number or the source line text differ);
* ``changed``: different locations facing each other in a replaced run;
* ``added`` / ``removed``: a frame only in the right / left event.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import zip_longest
from typing import Any

from sqlalchemy import Connection

from faultbox.model import Event, Frame, event_from_dict
from faultbox.query.events import stored_event
from faultbox.query.frames import FrameNaming, NamingForProject, Stack, stacks_innermost_first


@dataclass(frozen=True, slots=True)
class DiffInput:
    """One side of a diff: the event and how to name its frames."""

    event: Event
    issue_id: int
    issue_short_id: str
    grouping_hash: str
    naming: FrameNaming


@dataclass(frozen=True, slots=True)
class Side:
    """One event's frames as the diff sees them: normalized, with the in-app verdict."""

    keys: list[str]
    frames: list[dict[str, Any]]


def load_event(
    conn: Connection, event_id: str, project_ids: set[int], naming_for: NamingForProject
) -> DiffInput | None:
    """The stored event, if it is in one of the projects; None otherwise."""
    row = stored_event(conn, event_id, project_ids)
    if row is None:
        return None
    return DiffInput(
        event_from_dict(row.data),
        row.issue_id,
        row.issue_short_id,
        row.grouping_hash,
        naming_for(row.in_app_rules),
    )


def _side(stack: Stack | None, platform: str, naming: FrameNaming) -> Side:
    keys: list[str] = []
    frames: list[dict[str, Any]] = []
    for frame in stack.frames if stack else ():
        location = naming.location(frame)
        if location is not None:
            keys.append(location)
            frames.append(_frame_json(frame, location, naming.in_app(frame, platform)))
    return Side(keys, frames)


def _frame_json(frame: Frame, location: str, in_app: bool) -> dict[str, Any]:
    return {
        "location": location,
        "module": frame.module,
        "function": frame.function,
        "filename": frame.filename or frame.abs_path,
        "lineno": frame.lineno,
        "context_line": frame.context_line,
        "in_app": in_app,
    }


def _same_text(a: str | None, b: str | None) -> bool:
    # Indentation and trailing blanks change with reformatting, not with the code.
    return " ".join((a or "").split()) == " ".join((b or "").split())


def _row(op: str, left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    return {"op": op, "left": left, "right": right, "line_changed": None, "context_changed": None}


def _equal_row(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    row = _row("equal", left, right)
    row["line_changed"] = left["lineno"] != right["lineno"]
    row["context_changed"] = not _same_text(left["context_line"], right["context_line"])
    return row


def diff_frames(left: Side, right: Side) -> list[dict[str, Any]]:
    # autojunk ignores a frame making up >1% of a 200+ frame stack (deep recursion): a lone
    # copy of it between two changes would vanish into one replaced run.
    matcher = SequenceMatcher(a=left.keys, b=right.keys, autojunk=False)
    rows: list[dict[str, Any]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        lefts, rights = left.frames[i1:i2], right.frames[j1:j2]
        if tag == "equal":
            rows.extend(_equal_row(a, b) for a, b in zip(lefts, rights, strict=True))
            continue
        # A replaced run pairs frames face to face; the longer side's rest is added/removed.
        for a, b in zip_longest(lefts, rights):
            rows.append(_row("added" if a is None else "removed" if b is None else "changed", a, b))
    return rows


def _exception_json(stack: Stack | None) -> dict[str, Any] | None:
    return None if stack is None else {"type": stack.type, "value": stack.value}


def _event_json(stored: DiffInput) -> dict[str, Any]:
    return {
        "event_id": stored.event.event_id,
        "project_id": stored.event.project_id,
        "issue_id": stored.issue_id,
        "issue_short_id": stored.issue_short_id,
        "grouping_hash": stored.grouping_hash,
        "platform": stored.event.platform,
    }


def diff_events(left: DiffInput, right: DiffInput) -> dict[str, Any]:
    positions = []
    pairs = zip_longest(
        stacks_innermost_first(left.event), stacks_innermost_first(right.event), fillvalue=None
    )
    for position, (a, b) in enumerate(pairs):
        rows = diff_frames(
            _side(a, left.event.platform, left.naming), _side(b, right.event.platform, right.naming)
        )
        positions.append(
            {
                "position": position,
                "left": _exception_json(a),
                "right": _exception_json(b),
                "same_type": a is not None and b is not None and a.type == b.type,
                "rows": rows,
            }
        )
    return {
        "left": _event_json(left),
        "right": _event_json(right),
        "summary": _summary(left, right, positions),
        "exceptions": positions,
    }


def _summary(left: DiffInput, right: DiffInput, positions: list[dict[str, Any]]) -> dict[str, Any]:
    first_difference = None
    in_app_rows_equal = True
    for exception in positions:
        for index, row in enumerate(exception["rows"]):
            in_app = any(side and side["in_app"] for side in (row["left"], row["right"]))
            if in_app and row["op"] != "equal":
                in_app_rows_equal = False
                if first_difference is None:
                    first_difference = {"position": exception["position"], "row": index, **row}
    return {
        "same_issue": left.issue_id == right.issue_id,
        "same_grouping_hash": left.grouping_hash == right.grouping_hash,
        # The reported exceptions' types; each position also says it for its own pair.
        "same_type": bool(positions) and positions[0]["same_type"],
        # The same path through the app's code (lines may differ); library frames aside.
        "same_in_app_frames": in_app_rows_equal,
        "first_differing_in_app_frame": first_difference,
    }
