"""Checks for the native contract's structured fields: what an SDK captures beyond a
text traceback (the client's event id, release, tags, breadcrumbs, structured frames).

The shapes are Sentry's own (a frame here is a Sentry frame, a breadcrumb a Sentry
breadcrumb), so the digest maps them with the code that maps Sentry payloads and the
same bug groups alike whichever API sent it.  Every size, count and nesting depth is
bounded, and a bad value raises BadRequest naming its path
(``exception.frames[3].lineno``): the batch API reports it for that item alone.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from faultbox.ingest.envelope import normalize_event_id
from faultbox.ingest.errors import BadRequest

MAX_ENVIRONMENT = 64  # Sentry's limits for environments and releases
MAX_RELEASE = 200
MAX_TAGS = 100
MAX_TAG_KEY = 200
MAX_TAG_VALUE = 200
MAX_BREADCRUMBS = 100  # what the SDKs keep by default
MAX_FRAMES = 250  # per exception, as many as the digest keeps
MAX_CHAINED = 25
MAX_CONTEXT_LINES = 50
MAX_SOURCE_LINE = 2000
MAX_PATH = 2048
MAX_NAME = 1024
MAX_TEXT = 8192
MAX_DATA_DEPTH = 10  # frame locals, breadcrumb data, mechanism
MAX_DATA_VALUES = 1000
MAX_DATA_STRING = 16384
MAX_INT = 2**31

# Sentry refuses these characters in environment and release names.
_ENVIRONMENT_BAD = re.compile(r"[\r\n\t\f/]")
_RELEASE_BAD = re.compile(r"[\r\n\t\f/\\]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PLATFORM = re.compile(r"[a-z][a-z0-9_-]{0,63}")
BREADCRUMB_LEVELS = ("fatal", "critical", "error", "warning", "info", "log", "debug")


def _string(path: str, value: object, limit: int) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"{path} must be a string")
    if len(value) > limit:
        raise BadRequest(f"{path} is longer than {limit} characters")
    return value


def _object(path: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest(f"{path} must be a JSON object")
    return value


def _list(path: str, value: object, limit: int) -> list[Any]:
    if not isinstance(value, list):
        raise BadRequest(f"{path} must be a list")
    if len(value) > limit:
        raise BadRequest(f"{path} has {len(value)} items, at most {limit} are allowed")
    return value


def _integer(path: str, value: object) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON encoders in some languages write 12 as 12.0
    if type(value) is not int or not 0 <= value < MAX_INT:
        raise BadRequest(f"{path} must be an integer between 0 and {MAX_INT - 1}")
    return value


def _boolean(path: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise BadRequest(f"{path} must be true or false")
    return value


def bounded_data(path: str, value: object) -> dict[str, Any]:
    """A JSON object of arbitrary shape (locals, breadcrumb data), bounded in depth, in
    the number of values and in each string's length."""
    data = _object(path, value)
    budget = [MAX_DATA_VALUES]

    def walk(node: object, depth: int) -> None:
        if isinstance(node, dict | list):
            if depth > MAX_DATA_DEPTH:
                raise BadRequest(f"{path} is nested deeper than {MAX_DATA_DEPTH} levels")
            children = node.values() if isinstance(node, dict) else node
            budget[0] -= len(node)
            if budget[0] < 0:
                raise BadRequest(f"{path} holds more than {MAX_DATA_VALUES} values")
            for child in children:
                walk(child, depth + 1)
        elif isinstance(node, str) and len(node) > MAX_DATA_STRING:
            raise BadRequest(f"{path} holds a string longer than {MAX_DATA_STRING} characters")
        elif isinstance(node, float) and not math.isfinite(node):
            raise BadRequest(f"{path} holds a number JSON cannot carry")  # NaN from lenient parsers

    walk(data, 1)
    return data


# --- top-level fields ------------------------------------------------------------------


def event_id(path: str, value: object) -> str:
    normalized = normalize_event_id(value)
    if normalized is None:
        raise BadRequest(f"{path} must be 32 hex digits or a UUID")
    return normalized


def environment(path: str, value: object) -> str:
    text = _string(path, value, MAX_ENVIRONMENT)
    if not text.strip():
        raise BadRequest(f"{path} must not be empty")
    if _ENVIRONMENT_BAD.search(text):
        raise BadRequest(f"{path} must not contain a slash, a tab or a line break")
    return text


def release(path: str, value: object) -> str:
    text = _string(path, value, MAX_RELEASE)
    if text.strip() in ("", ".", ".."):
        raise BadRequest(f"{path} must name a release")
    if _RELEASE_BAD.search(text):
        raise BadRequest(f"{path} must not contain a slash, a backslash, a tab or a line break")
    return text


def platform(path: str, value: object) -> str:
    text = _string(path, value, 64)
    if not _PLATFORM.fullmatch(text):
        raise BadRequest(
            f"{path} must be a Sentry platform name in lowercase (python, javascript, java, …)"
        )
    return text


def tags(path: str, value: object) -> dict[str, str]:
    data = _object(path, value)
    if len(data) > MAX_TAGS:
        raise BadRequest(f"{path} has {len(data)} entries, at most {MAX_TAGS} are allowed")
    out: dict[str, str] = {}
    for key, tag in data.items():
        if not _tag_key(key):
            raise BadRequest(
                f"{path} keys must be 1 to {MAX_TAG_KEY} characters without control characters"
            )
        if tag is None:
            continue
        out[key] = _string(f"{path}.{key}", tag, MAX_TAG_VALUE)
    return out


def _tag_key(key: object) -> bool:
    return (
        isinstance(key, str)
        and bool(key.strip())
        and len(key) <= MAX_TAG_KEY
        and not _CONTROL.search(key)
    )


def _breadcrumb_timestamp(path: str, value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment.timestamp()
        except (ValueError, OverflowError):
            pass
    raise BadRequest(f"{path} must be Unix seconds or an ISO 8601 string")


def breadcrumbs(path: str, value: object) -> list[dict[str, Any]]:
    """A list of Sentry breadcrumbs (or Sentry's ``{"values": [...]}``), oldest first."""
    if isinstance(value, dict) and set(value) == {"values"}:
        value, path = value["values"], f"{path}.values"
    out = []
    for index, raw in enumerate(_list(path, value, MAX_BREADCRUMBS)):
        where = f"{path}[{index}]"
        crumb = _object(where, raw)
        clean: dict[str, Any] = {}
        if crumb.get("timestamp") is not None:
            clean["timestamp"] = _breadcrumb_timestamp(f"{where}.timestamp", crumb["timestamp"])
        for name, limit in (("type", 64), ("category", MAX_NAME), ("message", MAX_TEXT)):
            if crumb.get(name) is not None:
                clean[name] = _string(f"{where}.{name}", crumb[name], limit)
        if (level := crumb.get("level")) is not None:
            if level not in BREADCRUMB_LEVELS:
                raise BadRequest(f"{where}.level must be one of {', '.join(BREADCRUMB_LEVELS)}")
            clean["level"] = level
        if crumb.get("data") is not None:
            clean["data"] = bounded_data(f"{where}.data", crumb["data"])
        out.append(clean)
    return out


# --- exception ------------------------------------------------------------------------

_FRAME_STRINGS = (
    ("filename", MAX_PATH),
    ("abs_path", MAX_PATH),
    ("module", MAX_NAME),
    ("function", MAX_NAME),
    ("package", MAX_PATH),
    ("context_line", MAX_SOURCE_LINE),
)


def _frame(path: str, value: object) -> dict[str, Any]:
    frame = _object(path, value)
    out: dict[str, Any] = {}
    for name, limit in _FRAME_STRINGS:
        if frame.get(name) is not None:
            out[name] = _string(f"{path}.{name}", frame[name], limit)
    for name in ("lineno", "colno"):
        if frame.get(name) is not None:
            out[name] = _integer(f"{path}.{name}", frame[name])
    for name in ("pre_context", "post_context"):
        if frame.get(name) is not None:
            lines = _list(f"{path}.{name}", frame[name], MAX_CONTEXT_LINES)
            where = f"{path}.{name}"
            out[name] = [
                _string(f"{where}[{i}]", line, MAX_SOURCE_LINE) for i, line in enumerate(lines)
            ]
    if frame.get("in_app") is not None:
        out["in_app"] = _boolean(f"{path}.in_app", frame["in_app"])
    if frame.get("vars") is not None:
        out["vars"] = bounded_data(f"{path}.vars", frame["vars"])
    if frame.get("platform") is not None:
        out["platform"] = platform(f"{path}.platform", frame["platform"])
    return out


def _exception_value(path: str, value: object, *, nested: bool) -> dict[str, Any]:
    exc = _object(path, value)
    out: dict[str, Any] = {}
    for name, limit in (("type", 512), ("value", MAX_TEXT), ("module", MAX_NAME)):
        if exc.get(name) is not None:
            out[name] = _string(f"{path}.{name}", exc[name], limit)
    if exc.get("frames") is not None:
        frames = _list(f"{path}.frames", exc["frames"], MAX_FRAMES)
        out["frames"] = [_frame(f"{path}.frames[{i}]", f) for i, f in enumerate(frames)]
    if exc.get("mechanism") is not None:
        out["mechanism"] = bounded_data(f"{path}.mechanism", exc["mechanism"])
    if exc.get("chained") is not None:
        if nested:
            raise BadRequest(
                f"{path}.chained is not allowed: list every cause in exception.chained"
            )
        causes = _list(f"{path}.chained", exc["chained"], MAX_CHAINED)
        out["chained"] = [
            _exception_value(f"{path}.chained[{i}]", c, nested=True) for i, c in enumerate(causes)
        ]
    return out


def exception(path: str, value: object) -> dict[str, Any]:
    """``{type?, value?, module?, frames: [...], mechanism?, chained?: [...]}``: the
    exception finally raised, its frames oldest (the outermost caller) first, and in
    ``chained`` its causes, the root cause first (the order Python prints them)."""
    return _exception_value(path, value, nested=False)
