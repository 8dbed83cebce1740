"""Stacks of stored events, reduced to what the similarity and the stack diff compare.

Both comparisons must name a frame exactly as the grouping does, or "similar" and
"the same frame" would disagree with "grouped together". The grouping's helpers live
in the digest, which the query layer may not import (``tests/test_layers.py``), so
the caller passes them in as a :class:`FrameNaming`; the API builds one from the
digest (``faultbox.api.frame_naming``), tests may build their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from faultbox.model import Event, Frame, Thread


class FrameNaming(Protocol):
    def location(self, frame: Frame) -> str | None:
        """``module:function`` (or ``file:function``) normalized; None if it names nothing."""
        ...

    def in_app(self, frame: Frame, platform: str) -> bool:
        """Whether the frame is the application's own code (project rules applied)."""
        ...


# A project's stored in-app rules (JSON text, or None) → the naming for its events.
NamingForProject = Callable[[str | None], FrameNaming]


@dataclass(frozen=True, slots=True)
class Stack:
    """One exception of an event's chain, or the stack of its crashed thread."""

    type: str | None
    value: str | None
    frames: tuple[Frame, ...]  # innermost (the raise site) first


def stacks_innermost_first(event: Event) -> list[Stack]:
    """The final (reported) exception first, then its cause, and so on.

    An event without exceptions contributes the stack of its crashed thread (else the
    current one), so that a crash reported as threads compares like an exception.
    """
    if event.exceptions:
        return [
            Stack(exc.type, exc.value, tuple(reversed(exc.frames)))
            for exc in reversed(event.exceptions)
        ]
    thread = _reported_thread(event.threads)
    return [Stack(None, None, tuple(reversed(thread.frames)))] if thread else []


def _reported_thread(threads: Sequence[Thread]) -> Thread | None:
    for wanted in ("crashed", "current"):
        for thread in threads:
            if getattr(thread, wanted) and thread.frames:
                return thread
    return None


def main_type(event: Event) -> str | None:
    """The type of the exception the event reports (the last of the chain)."""
    return event.exceptions[-1].type if event.exceptions else None


def locations(frames: Sequence[Frame], naming: FrameNaming) -> Iterator[tuple[str, Frame]]:
    """Each frame that names something, with its location, in the given order."""
    for frame in frames:
        location = naming.location(frame)
        if location is not None:
            yield location, frame
