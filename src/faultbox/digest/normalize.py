"""Sentry event payload → :class:`faultbox.model.Event`.

Relay reads payloads leniently and so must we: every shape in
``docs/sentry-protocol.md`` §11/§14 (legacy ``sentry.interfaces.*`` keys, bare lists
for ``{values}``, numbers for strings, nulls anywhere) becomes a well-typed Event;
only a payload that is not an object is rejected.  This is the digest hot path, so
the model is built straight from the decoded JSON, copying only dicts it changes.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from faultbox.model import JSON, Event, ExceptionValue, Frame, Level, Thread
from faultbox.queue.base import IngestMeta

MAX_MESSAGE = 8192
MAX_TAG = 200
MAX_FRAMES = 250
OUTER_FRAMES = 50  # kept from the caller end when a stack is cut; the rest from the raise end
MAX_BREADCRUMBS = 100
MAX_FUTURE = 86400.0
MAX_INT = 2**31  # larger numbers are garbage here, and the stored JSON must encode them
MIN_TIMESTAMP = -62135596800.0  # year 1: later stages turn timestamps into datetimes


class NormalizeError(ValueError):
    """The payload cannot be an event at all; the worker dead-letters it with this message."""


_ALIASES = {"critical": "fatal", "err": "error", "warn": "warning", "log": "info", "trace": "debug"}
_LEVELS = {**{level.value: level for level in Level}, **{k: Level(v) for k, v in _ALIASES.items()}}
_NUMERIC_LEVELS = ((50, Level.FATAL), (40, Level.ERROR), (30, Level.WARNING), (20, Level.INFO))


def normalize_level(value: Any, default: Level | None = Level.ERROR) -> Level | None:
    if isinstance(value, str):
        text = value.strip().lower()
        return _LEVELS.get(text) or (normalize_level(int(text)) if _opt_int(text) else default)
    if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
        return next((lvl for floor, lvl in _NUMERIC_LEVELS if value >= floor), Level.DEBUG)
    return default


def parse_timestamp(value: Any) -> float | None:
    """Unix seconds from a number or an RFC 3339 string (naive means UTC)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) >= 10 and text[4] == "-":
                dt = datetime.fromisoformat(text)
                return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()
            value = float(text)
        except (ValueError, OverflowError):
            return None
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        try:
            return str(value)
        except ValueError:  # an int beyond Python's 4300-digit str() limit
            return "<int>"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _opt_str(value: Any, limit: int = MAX_TAG) -> str | None:
    if value is None or (type(value) is str and len(value) <= limit):
        return value  # the usual case first: this runs for every frame field
    if isinstance(value, dict | list):
        return None
    text = _to_str(value)
    return text if len(text) <= limit else text[:limit]


def _trim(text: str, limit: int = MAX_MESSAGE) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."  # Relay's cut marker


def _opt_int(value: Any) -> int | None:
    if type(value) is int:
        return value if -MAX_INT < value < MAX_INT else None
    if isinstance(value, float) and -MAX_INT < value < MAX_INT:
        return int(value)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 10:
        return int(value)
    return None


def _lines(value: Any) -> tuple[str, ...]:
    if type(value) is not list or not value:
        return ()
    try:
        "".join(value)  # C-speed proof that every entry is a str, the usual case
    except TypeError:
        return tuple(v if isinstance(v, str) else ("" if v is None else _to_str(v)) for v in value)
    return tuple(value)


# Frames are most of the work here and a frozen dataclass ``__init__`` costs ~2 µs:
# filling the slots directly builds the same object in half the time.
_FRAME_FIELDS = tuple(
    "filename abs_path function module lineno colno context_line pre_context post_context"
    " in_app vars package platform".split()
)
if Frame.__slots__ != _FRAME_FIELDS:
    raise ImportError("model.Frame changed: update frame_from_dict to fill every slot")
_SET = tuple(getattr(Frame, name).__set__ for name in _FRAME_FIELDS)


def frame_from_dict(d: dict[str, Any]) -> Frame:
    g, s, f = d.get, _SET, object.__new__(Frame)
    lineno, colno, in_app, vars_ = g("lineno"), g("colno"), g("in_app"), g("vars")
    s[0](f, _opt_str(g("filename"), MAX_MESSAGE))
    s[1](f, _opt_str(g("abs_path"), MAX_MESSAGE))
    s[2](f, _opt_str(g("function"), MAX_MESSAGE))
    s[3](f, _opt_str(g("module"), MAX_MESSAGE))
    s[4](f, None if lineno is None else _opt_int(lineno))
    s[5](f, None if colno is None else _opt_int(colno))
    s[6](f, _opt_str(g("context_line"), MAX_MESSAGE))
    s[7](f, _lines(g("pre_context")))
    s[8](f, _lines(g("post_context")))
    s[9](f, in_app if in_app is True or in_app is False else None)
    s[10](f, vars_ if type(vars_) is dict and vars_ else None)  # repr strings, kept as sent
    s[11](f, _opt_str(g("package"), MAX_MESSAGE))
    s[12](f, _opt_str(g("platform")))
    return f


def frames_from_stacktrace(stacktrace: Any) -> tuple[Frame, ...]:
    frames = stacktrace.get("frames") if isinstance(stacktrace, dict) else None
    if not isinstance(frames, list):
        return ()
    if len(frames) > MAX_FRAMES:
        # Keep the entry point and the raise site; deep recursion fills the middle.
        frames = frames[:OUTER_FRAMES] + frames[OUTER_FRAMES - MAX_FRAMES :]
    return tuple(frame_from_dict(f) for f in frames if isinstance(f, dict))


def _exception(d: dict[str, Any]) -> ExceptionValue | None:
    frames = frames_from_stacktrace(d.get("stacktrace") or d.get("raw_stacktrace"))
    type_ = _opt_str(d.get("type"), 512) or None
    value = None if (raw := d.get("value")) is None else _trim(_to_str(raw))
    if not type_ and not value and not frames:
        return None
    module, mechanism = _opt_str(d.get("module"), 512), d.get("mechanism")
    mechanism = mechanism if isinstance(mechanism, dict) else None
    return ExceptionValue(type_, value, module, frames, mechanism, _opt_str(d.get("thread_id")))


def _values(raw: Any) -> list[Any]:
    values = raw.get("values") if isinstance(raw, dict) else raw
    return values if isinstance(values, list) else []


def extract_exceptions(payload: dict[str, Any]) -> tuple[ExceptionValue, ...]:
    """The exception chain, oldest (the root cause) first, as the SDKs send it."""
    raw = payload.get("exception")
    if isinstance(raw, dict) and "values" not in raw:
        raw = [raw]  # old clients sent the single exception object itself
    found = (_exception(v) for v in _values(raw) if isinstance(v, dict))
    return tuple(e for e in found if e is not None)


def _threads(raw: Any) -> list[Thread]:
    return [
        Thread(
            id=_opt_str(t.get("id")),
            name=_opt_str(t.get("name")),
            crashed=t.get("crashed") is True,
            current=t.get("current") is True,
            frames=frames_from_stacktrace(t.get("stacktrace") or t.get("raw_stacktrace")),
        )
        for t in _values(raw)
        if isinstance(t, dict)
    ]


_PERCENT = re.compile(r"%(?:\(([^()%\n]{0,100})\))?([-#0 +]{0,5}\d{0,3}(?:\.\d{0,3})?)([a-zA-Z%])")
_BRACE = re.compile(r"\{(\w{0,100})\}")
_MISSING: Any = object()


def format_params(template: str, params: Any) -> str:
    """``logentry.message`` with its ``params`` applied, as the SDK would have.  One by one
    and width-bounded, so a hostile template cannot raise or allocate gigabytes; no
    ``str.format``, with which a template could read attributes of the params."""
    if not params or not isinstance(params, list | dict):
        return template
    seq = params if isinstance(params, list) else []
    named = params if isinstance(params, dict) else {}
    if "%" in template:
        positional = iter(seq)

        def percent(m: re.Match[str]) -> str:
            key, spec, conv = m.groups()
            if conv == "%":
                return "%" if key is None and not spec else m.group(0)
            if conv not in "sdirfFgGeExXoc":
                return m.group(0)
            value = named.get(key, _MISSING) if key is not None else next(positional, _MISSING)
            if value is _MISSING:
                return m.group(0)
            try:
                return ("%" + spec + conv) % (value,)
            except (TypeError, ValueError, OverflowError):
                return _to_str(value)

        out = _PERCENT.sub(percent, template)
        if out != template:
            return out
    if "{" in template:
        auto = iter(range(len(seq)))

        def brace(m: re.Match[str]) -> str:
            key = m.group(1)
            value = named.get(key, _MISSING)
            if seq:
                index = int(key) if key.isdecimal() else -1 if key else next(auto, -1)
                value = seq[index] if 0 <= index < len(seq) else _MISSING
            return m.group(0) if value is _MISSING else _to_str(value)

        return _BRACE.sub(brace, template)
    return template


def _message(payload: dict[str, Any]) -> tuple[str | None, str | None]:
    """(formatted message, template) from ``logentry`` or its legacy aliases."""
    for key in ("logentry", "sentry.interfaces.Message", "message"):
        raw = payload.get(key)
        if isinstance(raw, dict):
            tmpl = None if (template := raw.get("message")) is None else _to_str(template)
            text = None if (formatted := raw.get("formatted")) is None else _to_str(formatted)
            if not text and tmpl:
                text = format_params(tmpl, raw.get("params"))
            if text:
                return _trim(text), _trim(tmpl or text)
        elif raw is not None and raw != "" and not isinstance(raw, list):
            text = _trim(_to_str(raw))
            return text, text
    return None, None


def _items(raw: Any) -> Any:
    if isinstance(raw, list):
        return [p for p in raw if isinstance(p, list) and len(p) == 2]
    return raw.items() if isinstance(raw, dict) else ()


def _pairs(raw: Any) -> dict[str, str]:
    """``{k: v}`` or ``[[k, v], ...]`` → dict; repeated keys are joined the HTTP way."""
    out: dict[str, str] = {}
    for key, value in _items(raw):
        if key is None or value is None:
            continue
        if isinstance(value, list):
            value = ", ".join(_to_str(x) for x in value if x is not None)
        k, v = _to_str(key), _to_str(value)
        out[k] = f"{out[k]}, {v}" if k in out else v
    return out


def _request(raw: Any) -> JSON | None:
    if not isinstance(raw, dict) or not raw:
        return None
    req = dict(raw)
    req["headers"] = _pairs(req.get("headers"))
    query = req.get("query_string")
    if isinstance(query, dict | list):
        req["query_string"] = urlencode(list(_pairs(query).items()))
    if isinstance(req.get("cookies"), list):
        req["cookies"] = _pairs(req["cookies"])
    return req


def _user(raw: Any, client_ip: str | None) -> JSON | None:
    if not isinstance(raw, dict):
        return None
    auto_ip = raw.get("ip_address") == "{{auto}}"  # "use the IP the request came from"
    user = {k: v for k, v in raw.items() if v is not None and not (auto_ip and k == "ip_address")}
    if auto_ip and client_ip:
        user["ip_address"] = client_ip
    if "id" in user and not isinstance(user["id"], str):
        user["id"] = _to_str(user["id"])
    return user or None


def _drop_none(d: JSON) -> JSON:
    return {k: v for k, v in d.items() if v is not None} if None in d.values() else d


_CANONICAL_LEVELS = frozenset(level.value for level in Level)


def normalize_breadcrumbs(raw: Any, drift: float) -> tuple[JSON, ...]:
    # The newest explain the error best.  Well-formed fields (the usual case) are
    # kept as they are: this runs for every crumb of every event.
    values = [b for b in _values(raw) if isinstance(b, dict)][-MAX_BREADCRUMBS:]
    out = []
    for b in values:
        ts = b.get("timestamp")
        ts = ts if type(ts) is float else parse_timestamp(ts)
        data, message, level = b.get("data"), b.get("message"), b.get("level")
        # (type first: a list or object level is unhashable)
        if level is not None and (type(level) is not str or level not in _CANONICAL_LEVELS):
            parsed = normalize_level(level, None)
            level = None if parsed is None else parsed.value
        if message is not None and (type(message) is not str or len(message) > MAX_MESSAGE):
            message = _trim(_to_str(message))
        out.append(
            {
                "timestamp": None if ts is None else ts + drift,
                "type": _opt_str(b.get("type")) or "default",
                "category": _opt_str(b.get("category"), MAX_MESSAGE),
                "message": message,
                "level": level,
                "data": data if data is None or type(data) is dict else _as_object(data),
            }
        )
    return tuple(out)


def _as_object(data: Any) -> JSON:
    return data if isinstance(data, dict) else {"value": data}


def _modules(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict) and all(type(k) is str and type(v) is str for k, v in raw.items()):
        return raw  # sentry-python's {package: version}, already clean
    return {k: _to_str(v) for k, v in _items(raw) if v is not None and type(k) is str}


_LEGACY = {f"sentry.interfaces.{name}": name.lower() for name in ("Exception", "Stacktrace")}
_LEGACY |= {f"sentry.interfaces.{name}": name.lower() for name in ("User", "Breadcrumbs")}
_LEGACY |= {"sentry.interfaces.Http": "request", "sentry.interfaces.Template": "template"}


def normalize_sentry(
    payload: dict[str, Any],
    *,
    project_id: int,
    event_id: str,
    received_at: float,
    meta: IngestMeta,
) -> Event:
    if not isinstance(payload, dict):
        raise NormalizeError(f"event payload must be a JSON object, got {type(payload).__name__}")
    legacy = _LEGACY.keys() & payload.keys()
    if legacy:  # raven-era clients; the modern key wins when both are present
        modern = {k: v for k, v in payload.items() if v is not None}
        payload = {**{_LEGACY[k]: payload[k] for k in legacy}, **modern}
    g = payload.get
    timestamp = parse_timestamp(g("timestamp"))
    drift = 0.0 if timestamp is None or meta.sent_at is None else received_at - meta.sent_at
    if timestamp is None or not MIN_TIMESTAMP < timestamp + drift < received_at + MAX_FUTURE:
        timestamp = received_at
    else:
        timestamp += drift  # the client's clock, moved onto ours
    exceptions = extract_exceptions(payload)
    threads = _threads(g("threads"))
    top_frames = frames_from_stacktrace(g("stacktrace"))
    if top_frames:
        if len(exceptions) == 1 and not exceptions[0].frames:
            # Relay moves a lone top-level stack into a lone exception without one.
            e = exceptions[0]
            moved = ExceptionValue(e.type, e.value, e.module, top_frames, e.mechanism, e.thread_id)
            exceptions = (moved,)
        elif not threads:
            threads = [Thread(id=None, name=None, crashed=False, current=True, frames=top_frames)]
    message, template = _message(payload)
    tags = {k[:MAX_TAG]: v[:MAX_TAG] for k, v in _pairs(g("tags")).items() if k}
    contexts = {
        n: _drop_none(c) for n, c in _items(g("contexts")) if type(n) is str and type(c) is dict
    }
    if isinstance(template_iface := g("template"), dict):
        contexts.setdefault("template", template_iface)  # Django template errors
    extra, sdk, modules, fingerprint = g("extra"), g("sdk"), g("modules"), g("fingerprint")
    if not isinstance(fingerprint, list):
        fingerprint = [fingerprint] if isinstance(fingerprint, str) and fingerprint else []
    return Event(
        event_id=event_id,
        project_id=project_id,
        timestamp=timestamp,
        received_at=received_at,
        platform=_opt_str(g("platform"), 64) or "other",
        level=normalize_level(g("level")) or Level.ERROR,
        logger=_opt_str(g("logger")),
        message=message,
        message_template=template,
        exceptions=exceptions,
        threads=tuple(threads),
        breadcrumbs=normalize_breadcrumbs(g("breadcrumbs"), drift),
        tags=tags,
        user=_user(g("user"), meta.client_ip),
        request=_request(g("request")),
        contexts=contexts,
        release=_opt_str(g("release")),
        environment=_opt_str(g("environment")),
        server_name=_opt_str(g("server_name")),
        service=tags.get("service"),
        transaction=_opt_str(g("transaction"), MAX_MESSAGE),
        fingerprint=tuple(_to_str(p) for p in fingerprint if p is not None) or None,
        sdk=sdk if isinstance(sdk, dict) else None,
        extra=extra if isinstance(extra, dict) else {},
        modules=_modules(modules),
    )
