"""The grouping's own frame naming, handed to the query layer's stack comparisons.

The query layer may not import the digest; the API and the dashboard may. Passing the
digest's helpers in keeps one normalization for grouping, similarity, diffs and the
report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson

from faultbox.digest.grouping import DEFAULT_VERSION
from faultbox.digest.grouping.fingerprint import frame_location, innermost_in_app
from faultbox.digest.grouping.in_app import InAppRules, is_in_app
from faultbox.digest.grouping.options import OPTIONS
from faultbox.model import Frame


@dataclass(frozen=True, slots=True)
class GroupingFrameNaming:
    rules: InAppRules

    def location(self, frame: Frame) -> str | None:
        return frame_location(frame)

    def in_app(self, frame: Frame, platform: str) -> bool:
        return is_in_app(frame, platform, self.rules)


def naming_for(stored_in_app_rules: str | None) -> GroupingFrameNaming:
    """The naming for a project, from its stored in-app rules (JSON text or None)."""
    if not stored_in_app_rules:
        return GroupingFrameNaming(InAppRules())
    return GroupingFrameNaming(InAppRules.from_json(orjson.loads(stored_in_app_rules)))


AppFrameFinder = Callable[[Sequence[Frame], str], Frame | None]


def grouping_app_frame(in_app_rules: str | None, version: str) -> AppFrameFinder:
    """The grouping's own choice of app frame, with the project's in-app rules and the
    options of the version that grouped the issue (the report names its line)."""
    rules = naming_for(in_app_rules).rules
    options = OPTIONS.get(version, OPTIONS[DEFAULT_VERSION])

    def find(frames: Sequence[Frame], platform: str) -> Frame | None:
        return innermost_in_app(frames, platform, rules, options=options)

    return find
