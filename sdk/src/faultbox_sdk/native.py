"""Faultbox's native batch API (``POST /api/v1/errors/batch``): one event → one item.

Each item carries what the SDK captured in the contract's own fields: ``eventId`` (so a
batch resent after a lost answer is stored once), ``release``, ``environment``,
``platform``, ``tags``, ``breadcrumbs`` and ``exception`` with structured frames (module,
function, source lines, locals, in-app), which the server reads like a Sentry
payload's, so an event groups with the same bug reported by sentry-sdk. Only what the
contract has no field for (contexts, extra data, the logger, the user beyond its id)
travels in ``context`` under ``faultbox_sdk`` and is stored as the event's extra data.

Compatibility: the text ``stackTrace`` is still sent, so a Faultbox server from before
these fields (which drops unknown fields) still groups on the parsed trace. Such a
server accepts only the environments development, staging and production; this SDK
sends the configured name as it is (as sentry-sdk does; earlier versions mapped
``prod``/``dev``/``stage`` onto those three and left other names out).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

# The server's limits (src/faultbox/ingest/native.py FIELDS and native_structured.py):
# longer values are cut here so one long value cannot cost the whole item.
_LIMITS = {
    "errorCode": 100,
    "errorType": 100,
    "message": 5000,
    "stackTrace": 50000,
    "serviceName": 200,
    "userId": 200,
    "requestUrl": 4096,
    "requestMethod": 16,
}
MAX_TAGS = 100
MAX_TAG = 200
MAX_BREADCRUMBS = 100
MAX_FRAMES = 250
MAX_CHAINED = 25
MAX_DATA_DEPTH = 10
MAX_DATA_VALUES = 1000
MAX_DATA_STRING = 16384
_FRAME_STRINGS = {
    "filename": 2048,
    "abs_path": 2048,
    "module": 1024,
    "function": 1024,
    "context_line": 2000,
}
_CONTEXT_LINES = 50
_CRUMB_LEVELS = ("fatal", "critical", "error", "warning", "info", "log", "debug")
# What Sentry (and the server) refuse in environment and release names.
_ENVIRONMENT_BAD = re.compile(r"[\r\n\t\f/]")
_RELEASE_BAD = re.compile(r"[\r\n\t\f/\\]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SEVERITIES = {
    "debug": "debug",
    "info": "info",
    "warning": "warning",
    "error": "error",
    "fatal": "critical",
}


def native_environment(environment: str | None) -> str | None:
    """The name as configured, or None when the server would refuse it (over 64
    characters, a slash, a tab or a line break: Sentry's rule)."""
    if not environment or not environment.strip() or len(environment) > 64:
        return None
    return None if _ENVIRONMENT_BAD.search(environment) else environment


def native_release(release: str | None) -> str | None:
    if not release or release.strip() in ("", ".", "..") or len(release) > 200:
        return None
    return None if _RELEASE_BAD.search(release) else release


def _cut(field: str, value: str) -> str:
    limit = _LIMITS[field]
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _last_exception(event: dict[str, Any]) -> dict[str, Any] | None:
    values = (event.get("exception") or {}).get("values") or []
    return values[-1] if values else None


def _user_id(user: dict[str, Any] | None) -> str | None:
    if not user:
        return None
    for key in ("id", "email", "username"):
        if user.get(key) not in (None, ""):
            return str(user[key])
    return None


def _occurred_at(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat().replace("+00:00", "Z")


def to_native(event: dict[str, Any]) -> dict[str, Any]:
    exc = _last_exception(event)
    tags: dict[str, str] = event.get("tags") or {}
    if exc is not None:
        full_type = f"{exc['module']}.{exc['type']}" if exc.get("module") else exc["type"]
        message = exc.get("value") or ""
    else:
        full_type = ""
        message = (event.get("logentry") or {}).get("formatted") or event.get("message") or ""
    code = str(tags.get("error_code") or "").strip()
    code = code or (exc["type"] if exc is not None else "message")
    item: dict[str, Any] = {
        "errorCode": _cut("errorCode", code or "error"),
        "errorType": _cut("errorType", full_type),
        "message": _cut("message", message),
        "sourceType": "backend",
        "severity": _SEVERITIES.get(event.get("level") or "error", "error"),
        "occurredAt": _occurred_at(event["timestamp"]),
    }
    trace = stack_text(event)
    if trace:
        item["stackTrace"] = trace[-_LIMITS["stackTrace"] :]
    service = tags.get("service")
    if service:
        item["serviceName"] = _cut("serviceName", service)
    environment = native_environment(event.get("environment"))
    if environment:
        item["environment"] = environment
    user_id = _user_id(event.get("user"))
    if user_id:
        item["userId"] = _cut("userId", user_id)
    request = event.get("request") or {}
    if isinstance(request.get("url"), str):
        item["requestUrl"] = _cut("requestUrl", request["url"])
    if isinstance(request.get("method"), str):
        item["requestMethod"] = _cut("requestMethod", request["method"])
    if isinstance(request.get("headers"), dict):
        item["requestHeaders"] = {str(k): str(v) for k, v in request["headers"].items()}
    if event.get("fingerprint"):
        item["fingerprint"] = [str(p)[:200] for p in event["fingerprint"]]
    item.update(_structured(event))
    rest = _context(event)
    if rest:
        item["context"] = {"faultbox_sdk": rest}
    return item


def _structured(event: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"eventId": event["event_id"], "platform": "python"}
    release = native_release(event.get("release"))
    if release:
        out["release"] = release
    tags = _tags(event.get("tags") or {})
    if tags:
        out["tags"] = tags
    crumbs = _breadcrumbs((event.get("breadcrumbs") or {}).get("values") or [])
    if crumbs:
        out["breadcrumbs"] = crumbs
    values = (event.get("exception") or {}).get("values") or []
    if values:
        exception = _exception(values[-1])
        causes = [_exception(v) for v in values[:-1]][-MAX_CHAINED:]
        if causes:
            exception["chained"] = causes
        out["exception"] = exception
    return out


def _tags(tags: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tags.items():
        key = str(key)
        if len(out) >= MAX_TAGS:
            break
        if key.strip() and len(key) <= MAX_TAG and not _CONTROL.search(key) and value is not None:
            out[key] = str(value)[:MAX_TAG]
    return out


def _breadcrumbs(crumbs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for crumb in crumbs[-MAX_BREADCRUMBS:]:
        clean: dict[str, Any] = {}
        timestamp = crumb.get("timestamp")
        if isinstance(timestamp, (int, float)) and not isinstance(timestamp, bool):
            clean["timestamp"] = timestamp
        for key, limit in (("type", 64), ("category", 1024), ("message", 8192)):
            if crumb.get(key) is not None:
                clean[key] = str(crumb[key])[:limit]
        if crumb.get("level") in _CRUMB_LEVELS:
            clean["level"] = crumb["level"]
        if isinstance(crumb.get("data"), dict):
            clean["data"] = bounded(crumb["data"])
        out.append(clean)
    return out


def _exception(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": str(value.get("type") or "")[:512] or None}
    if value.get("value") is not None:
        out["value"] = str(value["value"])[:8192]
    if value.get("module"):
        out["module"] = str(value["module"])[:1024]
    if isinstance(value.get("mechanism"), dict):
        out["mechanism"] = bounded(value["mechanism"])
    frames = (value.get("stacktrace") or {}).get("frames") or []
    if len(frames) > MAX_FRAMES:
        frames = frames[: MAX_FRAMES // 2] + frames[-MAX_FRAMES // 2 :]
    out["frames"] = [_frame(f) for f in frames]
    return {k: v for k, v in out.items() if v is not None}


def _frame(frame: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, limit in _FRAME_STRINGS.items():
        if isinstance(frame.get(key), str):
            out[key] = frame[key][:limit]
    lineno = frame.get("lineno")
    if isinstance(lineno, int) and not isinstance(lineno, bool) and 0 <= lineno < 2**31:
        out["lineno"] = lineno
    for key in ("pre_context", "post_context"):
        if isinstance(frame.get(key), list):
            out[key] = [str(line)[:2000] for line in frame[key][-_CONTEXT_LINES:]]
    if isinstance(frame.get("in_app"), bool):
        out["in_app"] = frame["in_app"]
    if isinstance(frame.get("vars"), dict):
        out["vars"] = bounded(frame["vars"])
    return out


def bounded(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` within the server's bounds for free-form objects (nesting depth, values,
    string length): the keys that fit, in order; a key that does not is left out."""
    keys = list(data)[: MAX_DATA_VALUES // 2]
    budget = [MAX_DATA_VALUES - len(keys)]
    out: dict[str, Any] = {}
    for key in keys:
        value = data[key]
        fitted = _fit(value, 2, budget)
        if fitted is not _NO_FIT:
            out[str(key)] = fitted
    return out


_NO_FIT = object()


def _fit(value: Any, depth: int, budget: list[int]) -> Any:
    if isinstance(value, str):
        return value[:MAX_DATA_STRING]
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return repr(value)
    if not isinstance(value, (dict, list, tuple)):
        return value
    if depth > MAX_DATA_DEPTH or budget[0] < len(value):
        return _NO_FIT
    budget[0] -= len(value)
    if isinstance(value, dict):
        items = ((str(k), _fit(v, depth + 1, budget)) for k, v in value.items())
        return {k: v for k, v in items if v is not _NO_FIT}
    return [v for v in (_fit(v, depth + 1, budget) for v in value) if v is not _NO_FIT]


def _context(event: dict[str, Any]) -> dict[str, Any]:
    """What the contract has no field for, under one key."""
    out: dict[str, Any] = {}
    for key in ("contexts", "extra", "logger"):
        if event.get(key):
            out[key] = event[key]
    if event.get("user"):
        out["user"] = event["user"]  # the contract's userId is one of its fields
    environment = event.get("environment")
    if environment and native_environment(environment) is None:
        out["environment"] = environment  # a name the server would refuse
    return out


def stack_text(event: dict[str, Any]) -> str:
    """The exceptions as Python prints them (the text the server parses into frames)."""
    blocks: list[str] = []
    values = (event.get("exception") or {}).get("values") or []
    for value in values:
        lines = []
        frames = (value.get("stacktrace") or {}).get("frames") or []
        if frames:
            lines.append("Traceback (most recent call last):")
        for f in frames:
            path = f.get("abs_path") or f.get("filename") or "<unknown>"
            lines.append(f'  File "{path}", line {f.get("lineno") or 0}, in {f.get("function")}')
            if f.get("context_line"):
                lines.append("    " + str(f["context_line"]).strip())
        name = f"{value['module']}.{value['type']}" if value.get("module") else value["type"]
        text = value.get("value")
        lines.append(f"{name}: {text}" if text else name)
        blocks.append("\n".join(lines))
    link = "\n\nThe above exception was the direct cause of the following exception:\n\n"
    return link.join(blocks)


def native_body(events: list[dict[str, Any]]) -> bytes:
    items = [to_native(e) for e in events]
    return json.dumps({"errors": items}, separators=(",", ":"), default=str).encode()


def rejected_items(answer: bytes) -> list[tuple[int, str]]:
    """The items the server refused (``(index, reason)``) from a 2xx batch answer."""
    try:
        data = json.loads(answer)
        results = data.get("results") or []
        return [
            (int(r.get("index", -1)), str(r.get("error")))
            for r in results
            if isinstance(r, dict) and r.get("success") is False
        ]
    except Exception:
        return []
