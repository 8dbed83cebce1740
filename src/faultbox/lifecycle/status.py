"""The status workflow: which moves a person may make, and which the system makes.

detected → investigating → diagnosed → in_progress → resolved → verified → closed,
plus ``ignored`` (with an optional until-condition) and ``recurring`` (diagnosed and
documented as a known pattern). A fix can land from any open state, so ``resolved``
is reachable from all of them; ``verified`` and ``closed`` only after ``resolved``.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    DETECTED = "detected"
    INVESTIGATING = "investigating"
    DIAGNOSED = "diagnosed"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    VERIFIED = "verified"
    CLOSED = "closed"
    IGNORED = "ignored"
    RECURRING = "recurring"


S = Status
# Open: someone should act. "unresolved" in queries means any of these.
OPEN = frozenset({S.DETECTED, S.INVESTIGATING, S.DIAGNOSED, S.IN_PROGRESS})
# Fixed: a new event from a newer release is a regression.
FIXED = frozenset({S.RESOLVED, S.VERIFIED, S.CLOSED})

ALLOWED: dict[Status, frozenset[Status]] = {
    S.DETECTED: frozenset({S.INVESTIGATING, S.DIAGNOSED, S.IN_PROGRESS, S.RESOLVED, S.IGNORED}),
    S.INVESTIGATING: frozenset({S.DIAGNOSED, S.IN_PROGRESS, S.RESOLVED, S.IGNORED}),
    S.DIAGNOSED: frozenset({S.INVESTIGATING, S.IN_PROGRESS, S.RESOLVED, S.RECURRING, S.IGNORED}),
    S.IN_PROGRESS: frozenset({S.DIAGNOSED, S.RESOLVED, S.IGNORED}),
    S.RESOLVED: frozenset({S.VERIFIED, S.INVESTIGATING}),  # reopening: investigate again
    S.VERIFIED: frozenset({S.CLOSED, S.INVESTIGATING}),
    S.CLOSED: frozenset({S.INVESTIGATING}),
    S.IGNORED: frozenset({S.DETECTED, S.INVESTIGATING}),
    S.RECURRING: frozenset({S.INVESTIGATING, S.RESOLVED}),
}


class InvalidTransition(ValueError):
    """A person asked for a move the workflow does not allow (the message says which)."""


def parse_status(value: str) -> Status:
    try:
        return Status(value)
    except ValueError:
        names = ", ".join(s.value for s in Status)
        raise InvalidTransition(f"unknown status {value!r}; one of {names}") from None


def check_transition(old: Status, new: Status) -> None:
    if new == old:
        return
    if new not in ALLOWED[old]:
        allowed = ", ".join(sorted(s.value for s in ALLOWED[old]))
        raise InvalidTransition(
            f"cannot go from {old.value} to {new.value}; from {old.value}: {allowed}"
        )


def is_open(status: str) -> bool:
    return status in OPEN
