"""The first in-app frame of an issue's latest event, with its source context.

"First" is the grouping's choice: the innermost frame of the application's own code
in the reported exception (then its causes, then a crashed thread's stack), so the
report points at the same line the issue was grouped by. That choice lives in the
digest (``digest/grouping/fingerprint.innermost_in_app``), which the query layer may
not import; the API passes it in as a :data:`FinderForProject`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from faultbox.model import Frame, event_from_dict
from faultbox.query.frames import stacks_innermost_first
from faultbox.query.timefmt import iso
from faultbox.store.payload import unpack
from faultbox.store.schema import events

# (frames oldest first, platform) → the innermost in-app frame, or None.
AppFrameFinder = Callable[[Sequence[Frame], str], Frame | None]
# (the project's stored in-app rules as JSON text, the issue's grouping version) → finder.
FinderForProject = Callable[[str | None, str], AppFrameFinder]


def latest_app_frame(
    conn: Connection, issue_id: int, finder: AppFrameFinder
) -> dict[str, Any] | None:
    row = conn.execute(
        select(events.c.event_id, events.c.timestamp, events.c.payload)
        .where(events.c.issue_id == issue_id)
        .order_by(events.c.timestamp.desc(), events.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    event = event_from_dict(unpack(row.payload))
    for stack in stacks_innermost_first(event):
        frame = finder(tuple(reversed(stack.frames)), event.platform)
        if frame is not None:
            return {
                "event_id": row.event_id,
                "timestamp": iso(row.timestamp),
                "exception_type": stack.type,
                "exception_value": stack.value,
                **frame_json(frame),
            }
    return None


def frame_json(frame: Frame) -> dict[str, Any]:
    return {
        "filename": frame.filename,
        "abs_path": frame.abs_path,
        "module": frame.module,
        "function": frame.function,
        "lineno": frame.lineno,
        "colno": frame.colno,
        "in_app": frame.in_app,
        "pre_context": list(frame.pre_context),
        "context_line": frame.context_line,
        "post_context": list(frame.post_context),
    }
