"""Grouping: which issue an event belongs to.

Algorithms are versioned; the version id is stored with every hash, so a new
algorithm can be introduced beside the old one instead of silently splitting
existing issues.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

from faultbox.digest.grouping.fingerprint import (
    Leaf,
    apply_fingerprint,
    default_components,
    frame_display,
    innermost_in_app,
    leaf_exceptions,
    pick_thread,
)
from faultbox.digest.grouping.in_app import InAppRules, is_in_app
from faultbox.digest.grouping.options import OPTIONS, V1, GroupingOptions
from faultbox.digest.grouping.rules import FingerprintRule, fingerprint_for, first_match
from faultbox.digest.grouping.templating import template_message
from faultbox.model import Event, Grouping

__all__ = [
    "DEFAULT_VERSION",
    "GROUPING_VERSIONS",
    "GroupingDecision",
    "InAppRules",
    "compute_grouping",
    "is_in_app",
    "template_message",
]

MAX_TITLE = 200
UNLABELED = "<unlabeled event>"

GroupingFn = Callable[[Event, InAppRules | None], Grouping]


def hash_components(components: Sequence[str]) -> str:
    """blake2b-128 over length-prefixed parts: no separator can make two lists collide."""
    digest = hashlib.blake2b(digest_size=16)
    for part in components:
        data = part.encode("utf-8", "surrogatepass")
        digest.update(b"%d:" % len(data))
        digest.update(data)
    return digest.hexdigest()


def _shorten(text: str) -> str:
    line = text.strip().split("\n", 1)[0].strip()
    return line if len(line) <= MAX_TITLE else line[: MAX_TITLE - 1].rstrip() + "…"


def title_of(event: Event, leaves: list[Leaf]) -> str:
    if leaves:
        main = leaves[-1].exc
        value = _shorten(main.value) if main.value else ""
        if main.type and value:
            return f"{_shorten(main.type)}: {value}"
        if main.type or value:
            return _shorten(main.type or value)
    for text in (event.message, event.message_template):
        if text and text.strip():
            return _shorten(text)
    return UNLABELED


def culprit_of(
    event: Event, leaves: list[Leaf], rules: InAppRules | None, options: GroupingOptions = V1
) -> str | None:
    stacks = [leaf.frames for leaf in reversed(leaves)]
    thread = pick_thread(event.threads)
    if thread is not None:
        stacks.append(thread.frames)
    platform = event.platform
    for frames in stacks:
        frame = innermost_in_app(frames, platform, rules, options=options)
        if frame is not None:
            return frame_display(frame, platform=platform, options=options)
    return event.transaction or None


def _compute(
    event: Event, rules: InAppRules | None, options: GroupingOptions, *, version: str
) -> Grouping:
    leaves = leaf_exceptions(event.exceptions)
    default = default_components(event, leaves, rules, options=options)
    components = tuple(apply_fingerprint(event.fingerprint, default))
    return Grouping(
        hash=hash_components(components),
        version=version,
        title=title_of(event, leaves),
        culprit=culprit_of(event, leaves, rules, options),
        components=components,
    )


# Each version is the same algorithm with its own switches (grouping/options.py).
GROUPING_VERSIONS: dict[str, GroupingFn] = {
    name: partial(_compute, options=options, version=name) for name, options in OPTIONS.items()
}
DEFAULT_VERSION = "v2"


def compute_grouping(
    event: Event, *, in_app_rules: InAppRules | None = None, version: str | None = None
) -> Grouping:
    """Group an event with the given algorithm version, by default the latest (a
    KeyError for an unknown one)."""
    return GROUPING_VERSIONS[version or DEFAULT_VERSION](event, in_app_rules)


def _with_rule(event: Event, rule: FingerprintRule | None) -> Event:
    return event if rule is None else replace(event, fingerprint=fingerprint_for(event, rule))


@dataclass(frozen=True, slots=True)
class GroupingDecision:
    grouping: Grouping
    rule: FingerprintRule | None  # the project's fingerprint rule that decided, if any
    # The hash under the project's previous algorithm during a transition, when it
    # differs: an event whose new hash is unknown joins the issue of its old one.
    secondary: Grouping | None = None


def group_event(
    event: Event,
    *,
    fingerprint_rules: Sequence[FingerprintRule] = (),
    in_app_rules: InAppRules | None = None,
    version: str | None = None,
    secondary_version: str | None = None,
    secondary_event: Event | None = None,
) -> GroupingDecision:
    """Group with the project's fingerprint rules first: a matching server-side rule
    wins over the client's fingerprint (as in Sentry).  ``secondary_event`` is the
    event as the secondary version normalized it, when that differs (text traces)."""
    rule = first_match(event, fingerprint_rules) if fingerprint_rules else None
    grouping = compute_grouping(_with_rule(event, rule), in_app_rules=in_app_rules, version=version)
    secondary = None
    if secondary_version is not None and secondary_version != grouping.version:
        old_event, old_rule = event, rule
        if secondary_event is not None:  # parsed differently: the rules may match otherwise
            old_event = secondary_event
            old_rule = first_match(old_event, fingerprint_rules) if fingerprint_rules else None
        old = compute_grouping(
            _with_rule(old_event, old_rule), in_app_rules=in_app_rules, version=secondary_version
        )
        secondary = old if old.hash != grouping.hash else None
    return GroupingDecision(grouping, rule, secondary)
