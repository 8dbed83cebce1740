"""Does an event reopen a fixed issue? The rules, without I/O.

* Plain resolve (no release): any event that happened after ``resolved_at``. An event
  from before (a late delivery, an offline client) says nothing about the fix.
* Resolved in release R: only an event from a release newer than R (see
  ``lifecycle.releases``). An event from R or an older release is a client that has
  not upgraded yet. An event without a release does not reopen either: Sentry reads
  it as coming from before releases were configured, and it cannot be shown newer.
* Resolve in the next release: the PATCH side stores the issue's last release L at
  resolve time. The first release newer than L that shows up (in any event of the
  project, or created through the API) is the one that ships the fix and becomes R
  (``next_release_fix``); until then no event reopens the issue, and from then on
  the rule above applies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from faultbox.lifecycle.releases import ReleaseInfo, is_newer, oldest
from faultbox.model import Event

MAX_VERSION = 250  # the stored length of a release (releases.version, events.release)

Infos = Callable[[str], ReleaseInfo]  # what is known of a version of the project


@dataclass(frozen=True, slots=True)
class Resolution:
    resolved_at: float | None
    release: str | None  # resolved_in_release
    in_next_release: bool  # then ``release`` is the last one before the fix (or None)


def stored_version(release: str | None) -> str | None:
    return release[:MAX_VERSION] if release else None


def next_release_fix(resolution: Resolution, seen: Iterable[str], info: Infos) -> str | None:
    """For a resolve in the next release: the oldest of the ``seen`` releases newer
    than the one running at resolve time (any release, when the issue had none)."""
    if not resolution.in_next_release:
        return None
    base = resolution.release
    newer = [
        info(v)
        for v in dict.fromkeys(seen)
        if v != base and (base is None or is_newer(info(v), info(base)))
    ]
    found = oldest(newer)
    return found.version if found is not None else None


def regresses(resolution: Resolution, event: Event, info: Infos) -> bool:
    if resolution.in_next_release:
        return False  # the fix has not shipped yet
    if resolution.release is None:
        return resolution.resolved_at is None or event.timestamp > resolution.resolved_at
    release = stored_version(event.release)
    if release is None:
        return False
    return is_newer(info(release), info(resolution.release))


def regressing_event(resolution: Resolution, events: Sequence[Event], info: Infos) -> Event | None:
    """The earliest event that shows the fix did not hold, or None."""
    for event in sorted(events, key=lambda e: e.timestamp):
        if regresses(resolution, event, info):
            return event
    return None
