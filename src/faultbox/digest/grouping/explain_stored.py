"""The grouping explanation of a stored event, under its project's current rules."""

from __future__ import annotations

from typing import Any

import orjson

from faultbox.digest.grouping.explain import explain_grouping
from faultbox.digest.grouping.in_app import InAppRules
from faultbox.digest.grouping.rules import RuleSyntaxError, parse_rules
from faultbox.model import event_from_dict


def explain_stored(
    data: dict[str, Any],
    *,
    grouping_hash: str,
    fingerprint_rules: str | None,
    in_app_rules: str | None,
) -> dict[str, Any]:
    """Which parts made the stored event's fingerprint and whether today's rules and
    algorithm would still agree (``data``: the normalized event as stored)."""
    recorded = data.get("grouping")
    try:
        rules = parse_rules(fingerprint_rules or "")
    except RuleSyntaxError:
        rules = ()  # the digest ignores unparsable stored rules too
    in_app = InAppRules.from_json(orjson.loads(in_app_rules)) if in_app_rules else InAppRules()
    return explain_grouping(
        event_from_dict(data),
        stored_hash=grouping_hash,
        stored=recorded if isinstance(recorded, dict) else None,
        fingerprint_rules=rules,
        in_app_rules=in_app,
    )
