"""Where a firing goes, by severity: P0/P1 page and chat, P2 chat, P3 the daily digest
email. A rule's ``targets`` (``{"P1": [channel ids], "*": [...]}``) override the
defaults for the levels they name. Delivery (the outbox, the channels) comes later."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

PAGER = "pager"
CHAT = "chat"
DIGEST_EMAIL = "digest_email"
CHANNEL = "channel"  # one configured channel, by id

DEFAULTS: dict[str, tuple[str, ...]] = {
    "P0": (PAGER, CHAT),
    "P1": (PAGER, CHAT),
    "P2": (CHAT,),
    "P3": (DIGEST_EMAIL,),
}
DEFAULT_SEVERITY = "P2"


@dataclass(frozen=True, slots=True)
class Target:
    kind: str  # pager, chat, digest_email (the project's default of that kind) or channel
    channel_id: int | None = None


def route(severity: str | None, targets: Mapping[str, Sequence[int]] | None = None) -> list[Target]:
    level = severity if severity in DEFAULTS else DEFAULT_SEVERITY
    if targets:
        chosen = targets.get(level, targets.get("*"))
        if chosen is not None:
            return [Target(CHANNEL, int(c)) for c in chosen]
    return [Target(kind) for kind in DEFAULTS[level]]
