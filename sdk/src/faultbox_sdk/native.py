"""Faultbox's native batch API (``POST /api/v1/errors/batch``): one event → one item.

The native contract carries the exception as a text traceback (the server parses Python
tracebacks into frames and groups on them) and has no field for structured frames,
breadcrumbs, tags, the release or the client's event id; those travel in ``context``
(stored as the event's extra data) under ``faultbox_sdk``, so nothing captured is lost.
The envelope mode (``envelope.py``) carries them as first-class fields.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

# The server's limits (src/faultbox/ingest/native.py FIELDS): longer values are cut here
# so one long message cannot cost the whole item.
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
ENVIRONMENTS = ("development", "staging", "production")
_ENV_ALIASES = {
    "dev": "development",
    "develop": "development",
    "local": "development",
    "stage": "staging",
    "prod": "production",
    "live": "production",
}
_SEVERITIES = {
    "debug": "debug",
    "info": "info",
    "warning": "warning",
    "error": "error",
    "fatal": "critical",
}


def native_environment(environment: str | None) -> str | None:
    """The contract's three names, or None (the name then travels in ``context``)."""
    if not environment:
        return None
    name = environment.strip().lower()
    name = _ENV_ALIASES.get(name, name)
    return name if name in ENVIRONMENTS else None


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
    item["context"] = {"faultbox_sdk": _context(event, exc)}
    return item


def _context(event: dict[str, Any], exc: dict[str, Any] | None) -> dict[str, Any]:
    """Everything the contract has no field for, under one key."""
    out: dict[str, Any] = {"event_id": event["event_id"]}
    for key in ("release", "environment", "tags", "user", "contexts", "extra", "logger"):
        if event.get(key):
            out[key] = event[key]
    crumbs = (event.get("breadcrumbs") or {}).get("values")
    if crumbs:
        out["breadcrumbs"] = crumbs
    if exc is not None:
        frames = (exc.get("stacktrace") or {}).get("frames") or []
        out["frames"] = [
            {
                k: f.get(k)
                for k in ("module", "function", "lineno", "in_app", "context_line", "vars")
                if f.get(k) is not None
            }
            for f in frames
        ]
        if exc.get("mechanism"):
            out["mechanism"] = exc["mechanism"]
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
