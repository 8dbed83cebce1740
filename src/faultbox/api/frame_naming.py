"""The grouping's own frame naming, handed to the query layer's stack comparisons.

The query layer may not import the digest; the API may. Passing the digest's
helpers in keeps one normalization for grouping, similarity and diffs.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from faultbox.digest.grouping.fingerprint import frame_location
from faultbox.digest.grouping.in_app import InAppRules, is_in_app
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
