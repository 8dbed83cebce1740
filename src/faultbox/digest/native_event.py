"""Native ``/api/v1/errors`` payload → :class:`faultbox.model.Event`.

Ingest has already validated the camelCase fields, so this is a plain mapping onto
the Sentry-shaped model.  Structured ``exception`` frames are read by the very code that
reads a Sentry payload's frames (so an SDK's native event groups like its envelope, and
like sentry-sdk's); without them the free-text ``stackTrace`` is parsed into frames so
native errors group like SDK-reported ones.  Defensive about types all the same:
the worker must never crash on a message that passed validation.
"""

from __future__ import annotations

from typing import Any

from faultbox.digest.grouping import DEFAULT_VERSION
from faultbox.digest.grouping.options import OPTIONS, GroupingOptions
from faultbox.digest.normalize import (
    MAX_FUTURE,
    MAX_MESSAGE,
    MAX_TAG,
    MIN_TIMESTAMP,
    NormalizeError,
    frame_from_dict,
    normalize_breadcrumbs,
    normalize_level,
    parse_timestamp,
)
from faultbox.digest.stacktrace_text import parse_stack_trace
from faultbox.model import JSON, Event, ExceptionValue, Level
from faultbox.queue.base import IngestMeta

_TAG_FIELDS = (
    ("error_code", "errorCode"),
    ("app_id", "appId"),
    ("source_type", "sourceType"),
    ("service", "serviceName"),
    ("session_id", "sessionId"),
    ("status_code", "responseStatusCode"),
)


def _text(value: Any, limit: int = MAX_MESSAGE) -> str | None:
    if value is None or isinstance(value, dict | list) or value == "":
        return None
    text = value if isinstance(value, str) else str(value)
    return text[:limit]


def _context(value: Any, key: str) -> JSON | None:
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if v is not None} or None
    text = _text(value, MAX_TAG)
    return {key: text} if text else None


def _structured_value(raw: dict[str, Any]) -> ExceptionValue:
    frames = raw.get("frames")
    mechanism = raw.get("mechanism")
    return ExceptionValue(
        type=_text(raw.get("type"), 512),
        value=_text(raw.get("value")),
        module=_text(raw.get("module"), 512),
        frames=tuple(frame_from_dict(f) for f in frames or () if isinstance(f, dict)),
        mechanism=mechanism if isinstance(mechanism, dict) else None,
    )


def _structured(
    raw: dict[str, Any], error_type: str | None, message: str | None
) -> tuple[ExceptionValue, ...]:
    """``exception`` → the chain, the root cause first; the contract's required
    ``errorType`` and ``message`` stand in for what the exception leaves out."""
    main = _structured_value(raw)
    type_, module = main.type, main.module
    if type_ is None and error_type:
        type_ = error_type
        if module and error_type.startswith(f"{module}."):
            type_ = error_type[len(module) + 1 :]  # the same class, split as the SDKs do
    main = ExceptionValue(type_, main.value or message, module, main.frames, main.mechanism)
    causes = raw.get("chained")
    chained = [_structured_value(c) for c in causes or () if isinstance(c, dict)]
    return (*chained, main)


def _exceptions(
    payload: dict[str, Any], hint: str | None, options: GroupingOptions
) -> tuple[str, tuple[ExceptionValue, ...]]:
    error_type = _text(payload.get("errorType"), 512)
    message = _text(payload.get("message"))
    structured = payload.get("exception")
    stack = payload.get("stackTrace")
    has_text = isinstance(stack, str) and bool(stack.strip())
    if isinstance(structured, dict):
        chain = _structured(structured, error_type, message)
        # Frames the client captured beat any text it also sent: they carry modules,
        # source lines and locals a printed trace lacks.
        if any(e.frames for e in chain) or not has_text:
            return hint or "other", chain
    if not isinstance(stack, str) or not stack.strip():
        exc = ExceptionValue(type=error_type, value=message)
        return hint or "other", (exc,) if error_type or message else ()
    parsed = parse_stack_trace(stack, platform_hint=hint, options=options)
    *causes, last = parsed.exceptions
    type_, module = error_type or last.type, last.module if not error_type else None
    if error_type and last.type:
        if error_type == last.type:
            module = last.module
        elif last.module and error_type == f"{last.module}.{last.type}":
            type_, module = last.type, last.module  # the same class, split as the SDKs do
    main = ExceptionValue(
        type=type_, value=message or last.value, module=module, frames=last.frames
    )
    platform = parsed.platform if parsed.platform != "other" else hint or "other"
    return platform, (*causes, main)


def native_to_event(
    payload: dict[str, Any],
    *,
    project_id: int,
    event_id: str,
    received_at: float,
    meta: IngestMeta,
    options: GroupingOptions | None = None,
) -> Event:
    """``options``: the grouping version the text trace is parsed for (the frames are
    what grouping reads); by default the current default version's."""
    if not isinstance(payload, dict):
        raise NormalizeError(f"error payload must be a JSON object, got {type(payload).__name__}")
    g = payload.get
    source_type = _text(g("sourceType"), MAX_TAG) or ""
    frontend = source_type.startswith("frontend")
    parse_for = options if options is not None else OPTIONS[DEFAULT_VERSION]
    hint = _text(g("platform"), 64) or ("javascript" if frontend else None)
    platform, exceptions = _exceptions(payload, hint, parse_for)

    timestamp = parse_timestamp(g("occurredAt"))
    drift = 0.0 if meta.sent_at is None else received_at - meta.sent_at
    if timestamp is not None:
        timestamp += drift
    if timestamp is None or not MIN_TIMESTAMP < timestamp < received_at + MAX_FUTURE:
        timestamp = received_at

    sent_tags = g("tags")
    tags = {
        str(k)[:MAX_TAG]: v[:MAX_TAG]
        for k, v in (sent_tags.items() if isinstance(sent_tags, dict) else ())
        if isinstance(v, str) and k
    }
    # The contract's own fields win over a tag of the same name.
    tags |= {tag: text for tag, field in _TAG_FIELDS if (text := _text(g(field), MAX_TAG))}
    headers_raw = g("requestHeaders")
    headers = {
        str(k): v if isinstance(v, str) else str(v)
        for k, v in (headers_raw.items() if isinstance(headers_raw, dict) else ())
        if v is not None
    }
    # The browser's own user agent; for browser sources the HTTP client is the browser too.
    user_agent = _text(g("userAgent"), 1024) or (meta.user_agent if frontend else None)
    if user_agent and not any(k.lower() == "user-agent" for k in headers):
        headers["User-Agent"] = user_agent
    request = {
        "url": _text(g("requestUrl")),
        "method": _text(g("requestMethod"), 16),
        "headers": headers or None,
        "data": g("requestBody"),
    }
    request = {k: v for k, v in request.items() if v is not None}

    contexts: dict[str, JSON] = {}
    for name, field, key in (("browser", "browserInfo", "name"), ("device", "deviceInfo", "model")):
        if (ctx := _context(g(field), key)) is not None:
            contexts[name] = ctx
    status = g("responseStatusCode")
    if isinstance(status, int) and not isinstance(status, bool):
        contexts["response"] = {"status_code": status}
    extra = g("context")
    fingerprint = g("fingerprint")
    if isinstance(fingerprint, str):
        fingerprint = [fingerprint]
    parts = (
        tuple(str(p) for p in fingerprint if p is not None) if isinstance(fingerprint, list) else ()
    )
    user_id = _text(g("userId"), MAX_TAG)

    return Event(
        event_id=event_id,
        project_id=project_id,
        timestamp=timestamp,
        received_at=received_at,
        platform=platform,
        level=normalize_level(g("severity")) or Level.ERROR,
        message=_text(g("message")),
        exceptions=exceptions,
        breadcrumbs=normalize_breadcrumbs(g("breadcrumbs"), drift),
        tags=tags,
        user={"id": user_id} if user_id else None,
        request=request or None,
        contexts=contexts,
        release=_text(g("release"), MAX_TAG),
        environment=_text(g("environment"), MAX_TAG),
        service=tags.get("service"),
        fingerprint=parts or None,
        extra=extra if isinstance(extra, dict) else {} if extra is None else {"context": extra},
        source="native",
    )
