"""An event as the issue page shows it: the reported exception first, innermost frames
first, every value a bounded string (a hostile or huge payload stays text, and short)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

MAX_VALUE = 2000  # characters of one shown value; the rest is cut with a marker
MAX_BREADCRUMBS = 100
MAX_FRAMES = 250


def text(value: Any, limit: int = MAX_VALUE) -> str:
    """Any JSON value as display text, cut to ``limit`` characters."""
    if value is None:
        return ""
    if isinstance(value, str):
        shown = value
    else:
        try:
            shown = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
        except TypeError:
            shown = repr(value)
    if len(shown) > limit:
        return shown[:limit] + f"… ({len(shown) - limit:,} more characters)"
    return shown


def pairs(mapping: Any) -> list[tuple[str, str]]:
    """A mapping (or Sentry's list of pairs) as sorted (key, text) rows."""
    if isinstance(mapping, Mapping):
        items: Iterable[Any] = mapping.items()
    elif isinstance(mapping, list):
        items = (p for p in mapping if isinstance(p, list | tuple) and len(p) == 2)
    else:
        return []
    return sorted((text(k, 200), text(v)) for k, v in items)


def _frame(frame: Mapping[str, Any]) -> dict[str, Any]:
    lineno = frame.get("lineno")
    pre = list(frame.get("pre_context") or [])
    post = list(frame.get("post_context") or [])
    context: list[tuple[int | None, str, bool]] = []
    if frame.get("context_line") is not None:
        start = lineno - len(pre) if isinstance(lineno, int) else None
        for offset, line in enumerate([*pre, frame["context_line"], *post]):
            number = start + offset if start is not None else None
            context.append((number, text(line, 500), offset == len(pre)))
    return {
        "function": text(frame.get("function") or "?", 500),
        "module": text(frame.get("module"), 500),
        "filename": text(frame.get("filename") or frame.get("abs_path"), 500),
        "lineno": lineno if isinstance(lineno, int) else None,
        "colno": frame.get("colno") if isinstance(frame.get("colno"), int) else None,
        "in_app": bool(frame.get("in_app")),
        "context": context,
        "vars": pairs(frame.get("vars")),
        "package": text(frame.get("package"), 300),
    }


def _stack(frames: Any) -> list[dict[str, Any]]:
    listed = [f for f in (frames or []) if isinstance(f, Mapping)]
    # Stored oldest call first (Sentry's order); shown innermost first, where it broke.
    return [_frame(f) for f in reversed(listed[-MAX_FRAMES:])]


def _exception(exc: Mapping[str, Any]) -> dict[str, Any]:
    raw = exc.get("mechanism")
    mechanism: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    return {
        "type": text(exc.get("type") or "Error", 500),
        "value": text(exc.get("value")),
        "module": text(exc.get("module"), 300),
        "handled": mechanism.get("handled"),
        "mechanism": text(mechanism.get("type"), 100),
        "frames": _stack(exc.get("frames")),
    }


def _breadcrumb(crumb: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "timestamp": crumb.get("timestamp"),
        "category": text(crumb.get("category") or crumb.get("type") or "default", 100),
        "level": text(crumb.get("level") or "info", 20),
        "message": text(crumb.get("message")),
        "data": pairs(crumb.get("data")),
    }


def event_view(event: Mapping[str, Any]) -> dict[str, Any]:
    exceptions = [e for e in event.get("exceptions") or [] if isinstance(e, Mapping)]
    threads = [t for t in event.get("threads") or [] if isinstance(t, Mapping)]
    request = event.get("request") if isinstance(event.get("request"), Mapping) else None
    raw_contexts = event.get("contexts")
    contexts: Mapping[str, Any] = raw_contexts if isinstance(raw_contexts, Mapping) else {}
    crumbs = [b for b in event.get("breadcrumbs") or [] if isinstance(b, Mapping)]
    return {
        "event_id": event.get("event_id"),
        "timestamp": event.get("timestamp"),
        "received_at": event.get("received_at"),
        "release": text(event.get("release"), 250),
        "environment": text(event.get("environment"), 64),
        "service": text(event.get("service"), 200),
        "platform": text(event.get("platform"), 64),
        "message": text(event.get("message")),
        # The reported exception is the last in Sentry's list; its causes come before it.
        "exceptions": [_exception(e) for e in reversed(exceptions)],
        "threads": [
            {
                "name": text(t.get("name") or t.get("id") or "thread", 200),
                "crashed": bool(t.get("crashed")),
                "frames": _stack(t.get("frames")),
            }
            for t in threads
            if t.get("frames")
        ],
        "breadcrumbs": [_breadcrumb(b) for b in crumbs[-MAX_BREADCRUMBS:]],
        "breadcrumbs_cut": max(0, len(crumbs) - MAX_BREADCRUMBS),
        "request": None
        if request is None
        else {
            "method": text(request.get("method"), 20),
            "url": text(request.get("url")),
            "query": text(request.get("query_string")),
            "headers": pairs(request.get("headers")),
            "data": text(request.get("data")),
        },
        "user": pairs(event.get("user")),
        "tags": pairs(event.get("tags")),
        "contexts": [(text(name, 100), pairs(value)) for name, value in sorted(contexts.items())],
        "extra": pairs(event.get("extra")),
        "user_reports": event.get("user_reports") or [],
    }
