"""The one internal event model, shared by every stage after ingest.

Sentry envelopes, the legacy store endpoint and the native ``/api/v1/errors``
payloads are all normalized into :class:`Event` before anything else looks at
them (design rule 4).  Everything here is pure data: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

JSON = dict[str, Any]


class Level(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    FATAL = "fatal"


LEVEL_ORDER: dict[Level, int] = {lvl: i for i, lvl in enumerate(Level)}


@dataclass(frozen=True, slots=True)
class Frame:
    filename: str | None = None
    abs_path: str | None = None
    function: str | None = None
    module: str | None = None
    lineno: int | None = None
    colno: int | None = None
    context_line: str | None = None
    pre_context: tuple[str, ...] = ()
    post_context: tuple[str, ...] = ()
    in_app: bool | None = None
    vars: JSON | None = None
    package: str | None = None
    platform: str | None = None


@dataclass(frozen=True, slots=True)
class ExceptionValue:
    type: str | None
    value: str | None
    module: str | None = None
    # Oldest (outermost caller) first, as Sentry sends them.
    frames: tuple[Frame, ...] = ()
    mechanism: JSON | None = None
    thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class Thread:
    id: str | None
    name: str | None
    crashed: bool
    current: bool
    frames: tuple[Frame, ...] = ()


@dataclass(frozen=True, slots=True)
class Event:
    event_id: str  # 32 lowercase hex digits
    project_id: int
    timestamp: float  # epoch seconds, UTC, on the server's clock
    received_at: float
    platform: str = "other"
    level: Level = Level.ERROR
    logger: str | None = None
    message: str | None = None  # the formatted message
    message_template: str | None = None  # logentry.message before parameters
    # Oldest (the root cause) first, the exception finally raised last.
    exceptions: tuple[ExceptionValue, ...] = ()
    threads: tuple[Thread, ...] = ()
    breadcrumbs: tuple[JSON, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    user: JSON | None = None
    request: JSON | None = None
    contexts: dict[str, JSON] = field(default_factory=dict)
    release: str | None = None
    environment: str | None = None
    server_name: str | None = None
    service: str | None = None
    transaction: str | None = None
    fingerprint: tuple[str, ...] | None = None
    sdk: JSON | None = None
    extra: JSON = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)
    source: str = "sentry"  # "sentry" or "native"

    @property
    def main_exception(self) -> ExceptionValue | None:
        return self.exceptions[-1] if self.exceptions else None

    @property
    def user_key(self) -> str | None:
        """A stable identity for 'distinct users affected' counting."""
        if not self.user:
            return None
        for key in ("id", "email", "username", "ip_address"):
            value = self.user.get(key)
            if value not in (None, ""):
                return f"{key}:{value}"
        return None


@dataclass(frozen=True, slots=True)
class Grouping:
    """What the grouping step decided for one event."""

    hash: str  # hex digest of the fingerprint components
    version: str  # grouping algorithm id, stored with the hash
    title: str
    culprit: str | None
    components: tuple[str, ...]  # the parts hashed, for the grouping explanation


def frame_to_dict(frame: Frame) -> JSON:
    out: JSON = {}
    for name in Frame.__slots__:
        value = getattr(frame, name)
        if value is None or value == ():
            continue
        out[name] = list(value) if isinstance(value, tuple) else value
    return out


def exception_to_dict(exc: ExceptionValue) -> JSON:
    return {
        "type": exc.type,
        "value": exc.value,
        "module": exc.module,
        "mechanism": exc.mechanism,
        "thread_id": exc.thread_id,
        "frames": [frame_to_dict(f) for f in exc.frames],
    }


def event_to_dict(event: Event) -> JSON:
    """The normalized event as JSON: what the store keeps and the API returns."""
    return {
        "event_id": event.event_id,
        "project_id": event.project_id,
        "timestamp": event.timestamp,
        "received_at": event.received_at,
        "platform": event.platform,
        "level": event.level.value,
        "logger": event.logger,
        "message": event.message,
        "message_template": event.message_template,
        "exceptions": [exception_to_dict(e) for e in event.exceptions],
        "threads": [
            {
                "id": t.id,
                "name": t.name,
                "crashed": t.crashed,
                "current": t.current,
                "frames": [frame_to_dict(f) for f in t.frames],
            }
            for t in event.threads
        ],
        "breadcrumbs": list(event.breadcrumbs),
        "tags": event.tags,
        "user": event.user,
        "request": event.request,
        "contexts": event.contexts,
        "release": event.release,
        "environment": event.environment,
        "server_name": event.server_name,
        "service": event.service,
        "transaction": event.transaction,
        "fingerprint": list(event.fingerprint) if event.fingerprint is not None else None,
        "sdk": event.sdk,
        "extra": event.extra,
        "modules": event.modules,
        "source": event.source,
    }


def frame_from_stored(data: JSON) -> Frame:
    values: dict[str, Any] = {
        name: data.get(name) for name in Frame.__slots__ if data.get(name) is not None
    }
    for name in ("pre_context", "post_context"):
        if name in values:
            values[name] = tuple(values[name])
    return Frame(**values)


def event_from_dict(data: JSON) -> Event:
    """The inverse of :func:`event_to_dict`, for stored events (e.g. re-grouping)."""
    return Event(
        event_id=data["event_id"],
        project_id=data["project_id"],
        timestamp=data["timestamp"],
        received_at=data["received_at"],
        platform=data.get("platform") or "other",
        level=Level(data.get("level") or "error"),
        logger=data.get("logger"),
        message=data.get("message"),
        message_template=data.get("message_template"),
        exceptions=tuple(
            ExceptionValue(
                type=e.get("type"),
                value=e.get("value"),
                module=e.get("module"),
                frames=tuple(frame_from_stored(f) for f in e.get("frames") or ()),
                mechanism=e.get("mechanism"),
                thread_id=e.get("thread_id"),
            )
            for e in data.get("exceptions") or ()
        ),
        threads=tuple(
            Thread(
                id=t.get("id"),
                name=t.get("name"),
                crashed=bool(t.get("crashed")),
                current=bool(t.get("current")),
                frames=tuple(frame_from_stored(f) for f in t.get("frames") or ()),
            )
            for t in data.get("threads") or ()
        ),
        breadcrumbs=tuple(data.get("breadcrumbs") or ()),
        tags=data.get("tags") or {},
        user=data.get("user"),
        request=data.get("request"),
        contexts=data.get("contexts") or {},
        release=data.get("release"),
        environment=data.get("environment"),
        server_name=data.get("server_name"),
        service=data.get("service"),
        transaction=data.get("transaction"),
        fingerprint=tuple(data["fingerprint"]) if data.get("fingerprint") is not None else None,
        sdk=data.get("sdk"),
        extra=data.get("extra") or {},
        modules=data.get("modules") or {},
        source=data.get("source") or "sentry",
    )
