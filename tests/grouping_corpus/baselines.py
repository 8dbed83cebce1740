"""Trivial groupings to score beside Faultbox's: a corpus they also pass is too easy."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from faultbox.model import Event


def _digest(*parts: str) -> str:
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()


def _main_type(event: Event) -> str:
    return event.exceptions[-1].type or "" if event.exceptions else ""


def by_type(event: Event) -> str:
    """The (last) exception's type; events without one all share a group."""
    return _digest(_main_type(event))


def by_type_and_message(event: Event) -> str:
    """Exact type and message, as a naive log aggregator would."""
    value = event.exceptions[-1].value or "" if event.exceptions else ""
    return _digest(_main_type(event), value or event.message or "")


def by_whole_stack(event: Event) -> str:
    """Type and every in-app frame with its line number: trackers that hash the stack."""
    parts: list[str] = []
    for exc in event.exceptions:
        parts.append(exc.type or "")
        for frame in exc.frames:
            if frame.in_app is not False:
                parts.append(f"{frame.abs_path or frame.filename}:{frame.function}:{frame.lineno}")
    if not event.exceptions:
        parts.append(event.message or "")
    return _digest(*parts)


BASELINES: dict[str, Callable[[Event], str]] = {
    "type": by_type,
    "type+message": by_type_and_message,
    "whole stack+lines": by_whole_stack,
}
