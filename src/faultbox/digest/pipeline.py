"""The ordered digest steps for one message; reading this explains the stage.

parse → normalize → enrich → scrub → group → pack.  Pure: the worker does the I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from faultbox.digest import grouping
from faultbox.digest.enrich import enrich_event
from faultbox.digest.grouping import GroupingDecision, group_event
from faultbox.digest.grouping.in_app import InAppRules
from faultbox.digest.grouping.options import OPTIONS
from faultbox.digest.grouping.rules import FingerprintRule
from faultbox.digest.native_event import native_to_event
from faultbox.digest.normalize import NormalizeError, normalize_sentry
from faultbox.digest.scrub import scrub_event
from faultbox.digest.trim import trim_depth
from faultbox.model import Event, event_to_dict
from faultbox.queue.base import InboxMessage, Kind
from faultbox.scrub_config import ScrubConfig
from faultbox.store.batch import ProcessedEvent
from faultbox.store.payload import pack
from faultbox.store.user_reports import UserReport


class PoisonMessage(Exception):
    """The message can never be processed: dead-letter it at once, with this reason."""


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    scrub: ScrubConfig
    fingerprint_rules: tuple[FingerprintRule, ...] = ()
    in_app_rules: InAppRules | None = None
    grouping_version: str | None = None  # None: the latest
    secondary_grouping_version: str | None = None  # during an upgrade's transition
    severity_rules: str | None = None  # rule text for the lifecycle (None: the defaults)


def _load_object(raw: bytes) -> dict[str, object]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise PoisonMessage(f"payload is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PoisonMessage(f"payload must be a JSON object, got {type(data).__name__}")
    return data


def _prepare(
    message: InboxMessage,
    payload: dict[str, object],
    config: ProjectConfig,
    version: str | None,
) -> Event:
    try:
        if message.kind == Kind.NATIVE_ERROR:
            # Text traces are parsed into frames as the grouping version expects them.
            event = native_to_event(
                payload,
                project_id=message.project_id,
                event_id=message.event_id,
                received_at=message.received_at,
                meta=message.meta,
                options=OPTIONS[version or grouping.DEFAULT_VERSION],
            )
        else:
            event = normalize_sentry(
                payload,
                project_id=message.project_id,
                event_id=message.event_id,
                received_at=message.received_at,
                meta=message.meta,
            )
    except NormalizeError as exc:
        raise PoisonMessage(f"cannot normalize event: {exc}") from None
    return scrub_event(enrich_event(event), config.scrub)


def process_event(message: InboxMessage, config: ProjectConfig) -> ProcessedEvent:
    payload = _load_object(message.payload)
    event = _prepare(message, payload, config, config.grouping_version)
    secondary = config.secondary_grouping_version
    # During a transition the old hash must come from the old parse of a text trace.
    old_event = (
        _prepare(message, payload, config, secondary)
        if secondary and message.kind == Kind.NATIVE_ERROR
        else None
    )
    decision = group_event(
        event,
        fingerprint_rules=config.fingerprint_rules,
        in_app_rules=config.in_app_rules,
        version=config.grouping_version,
        secondary_version=secondary,
        secondary_event=old_event,
    )
    data = event_to_dict(event)
    data["grouping"] = _decision_record(decision)
    return ProcessedEvent(
        event=event,
        grouping=decision.grouping,
        payload=_pack(data),
        secondary_hash=decision.secondary.hash if decision.secondary else None,
    )


def _decision_record(decision: GroupingDecision) -> dict[str, Any]:
    """Kept with the event: the grouping explanation shows what decided at the time,
    even after the project's rules or the algorithm changed."""
    grouping = decision.grouping
    record: dict[str, Any] = {
        "version": grouping.version,
        "hash": grouping.hash,
        "components": list(grouping.components),
        "rule": decision.rule.text if decision.rule else None,
        "culprit": grouping.culprit,
    }
    if decision.secondary is not None:
        record["secondary"] = {
            "version": decision.secondary.version,
            "hash": decision.secondary.hash,
        }
    return record


def _pack(data: dict[str, Any]) -> bytes:
    try:
        return pack(data)
    except orjson.JSONEncodeError:
        return pack(trim_depth(data))


def process_user_report(message: InboxMessage) -> UserReport:
    """Legacy ``user_report`` ({event_id, name, email, comments}) or new ``feedback``."""
    payload = _load_object(message.payload)
    feedback = payload.get("contexts", {})
    if isinstance(feedback, dict) and isinstance(feedback.get("feedback"), dict):
        fb = feedback["feedback"]
        return UserReport(
            project_id=message.project_id,
            event_id=message.event_id,
            name=_str_or_none(fb.get("name")),
            email=_str_or_none(fb.get("contact_email")),
            comments=str(fb.get("message") or ""),
        )
    comments = payload.get("comments")
    if not isinstance(comments, str):
        raise PoisonMessage("user report has no 'comments' text")
    return UserReport(
        project_id=message.project_id,
        event_id=message.event_id,
        name=_str_or_none(payload.get("name")),
        email=_str_or_none(payload.get("email")),
        comments=comments,
    )


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
