"""Server-side PII scrubbing, configurable per project.

Sensitive values are replaced by ``[Filtered]``: headers that carry credentials,
cookies, any field whose key names a secret (``password``, ``token``, ...), and
card numbers that pass the Luhn check inside any string.  Copy-on-write: only
the containers on the path to a change are copied, the input is never mutated.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

import orjson

from faultbox.model import JSON, Event, ExceptionValue, Frame, Thread

FILTERED = "[Filtered]"
MAX_DEPTH = 20
_MAX_FIELDS = 200
_MAX_FIELD_LEN = 100

# Matched as substrings of the key lowercased with "-" and "_" removed, the way
# Relay and sentry-python's denylist read them ("X-Api-Key" → "xapikey").
DEFAULT_FIELDS: tuple[str, ...] = (
    "password",
    "passwd",
    "pwd",
    "token",
    "secret",
    "apikey",
    "credentials",
    "privatekey",
    "session",
    "auth",
    "csrf",
    "xsrf",
    "cookie",
)
SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "x-auth-token",
    }
)
IP_HEADERS = frozenset(
    {"x-forwarded-for", "x-real-ip", "forwarded", "cf-connecting-ip", "true-client-ip"}
)
IP_FIELDS = frozenset({"ipaddress", "remoteaddr", "xforwardedfor", "xrealip", "clientip"})

# Major card networks start with 2-6; excluding 1 keeps millisecond timestamps out.
# The look-behind follows the first digit so the engine can skip to candidates.
_CARD_RE = re.compile(r"[2-6](?<![0-9.][2-6])(?:[ -]?[0-9]){12,18}(?![0-9])")
# A blob can hold a card only if 13 digits touch once separators are gone: one
# C-level translate and find decide that for a whole stack's variables at once.
_DIGITS_ONLY = bytes(0x30 if 0x30 <= i <= 0x39 else 0x2E for i in range(256))
_THIRTEEN_DIGITS = b"0" * 13


def _may_hold_card(obj: object) -> bool:
    try:
        blob = orjson.dumps(obj)
    except TypeError:  # not plain JSON (big ints, odd keys): look at every string
        return True
    return _THIRTEEN_DIGITS in blob.translate(_DIGITS_ONLY, b" -")


def _normalize_key(key: str) -> str:
    return key.lower().replace("-", "").replace("_", "")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    text = match.group()
    return FILTERED if _luhn(text.replace(" ", "").replace("-", "")) else text


def _field_list(obj: dict[str, object], name: str) -> tuple[str, ...]:
    value = obj.get(name, [])
    if not isinstance(value, list | tuple):
        raise ValueError(f"scrub config: {name!r} must be a list of strings")
    if len(value) > _MAX_FIELDS:
        raise ValueError(f"scrub config: {name!r} has more than {_MAX_FIELDS} entries")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"scrub config: {name!r} entries must be non-empty strings")
        if len(item) > _MAX_FIELD_LEN:
            raise ValueError(f"scrub config: {name!r} entry longer than {_MAX_FIELD_LEN}")
        out.append(item.strip())
    return tuple(out)


def _flag(obj: dict[str, object], name: str, default: bool) -> bool:
    value = obj.get(name, default)
    if not isinstance(value, bool):
        raise ValueError(f"scrub config: {name!r} must be true or false")
    return value


@dataclass(frozen=True, slots=True)
class ScrubConfig:
    enabled: bool = True
    extra_fields: tuple[str, ...] = ()
    safe_fields: tuple[str, ...] = ()
    scrub_credit_cards: bool = True
    scrub_ip_addresses: bool = False

    @classmethod
    def from_json(cls, obj: object) -> ScrubConfig:
        """The per-project JSON object; ``None`` means the defaults."""
        if obj is None:
            return cls()
        if not isinstance(obj, dict):
            raise ValueError("scrub config must be a JSON object")
        unknown = sorted(str(k) for k in obj if k not in _CONFIG_KEYS)
        if unknown:
            raise ValueError(f"scrub config: unknown key(s) {', '.join(unknown)}")
        return cls(
            enabled=_flag(obj, "enabled", True),
            extra_fields=_field_list(obj, "extra_fields"),
            safe_fields=_field_list(obj, "safe_fields"),
            scrub_credit_cards=_flag(obj, "scrub_credit_cards", True),
            scrub_ip_addresses=_flag(obj, "scrub_ip_addresses", False),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "enabled": self.enabled,
            "extra_fields": list(self.extra_fields),
            "safe_fields": list(self.safe_fields),
            "scrub_credit_cards": self.scrub_credit_cards,
            "scrub_ip_addresses": self.scrub_ip_addresses,
        }


_CONFIG_KEYS = frozenset(f.name for f in dataclasses.fields(ScrubConfig))

_KEEP, _DENY, _SAFE = 0, 1, 2
_USER_IDS = frozenset({"id", "email", "username", "ip_address", "name"})
_NO_KEYS: frozenset[str] = frozenset()


class _Scrubber:
    """One config compiled.  ``cards`` in the walk says whether strings need a
    card scan at all: the caller decided it for the whole subtree at C speed."""

    def __init__(self, config: ScrubConfig) -> None:
        fields = DEFAULT_FIELDS + tuple(_normalize_key(f) for f in config.extra_fields)
        self._deny_re = re.compile("|".join(re.escape(f) for f in fields if f))
        self._safe = frozenset(_normalize_key(f) for f in config.safe_fields)
        self._ip_fields = IP_FIELDS if config.scrub_ip_addresses else frozenset()
        self._headers = SENSITIVE_HEADERS | (IP_HEADERS if config.scrub_ip_addresses else set())
        self._cards = config.scrub_credit_cards
        # Keys repeat across events (variable names, header names): memoized.
        self._verdicts: dict[object, int] = {}

    def verdict(self, key: object) -> int:
        cached = self._verdicts.get(key)
        if cached is not None:
            return cached
        result = _KEEP
        if type(key) is str:
            norm = _normalize_key(key)
            if norm in self._safe:
                result = _SAFE
            elif norm in self._ip_fields or self._deny_re.search(norm):
                result = _DENY
        if len(self._verdicts) >= 20_000:  # a hostile key stream must not grow memory
            self._verdicts.clear()
        self._verdicts[key] = result
        return result

    def gate(self, obj: object) -> bool:
        return self._cards and _may_hold_card(obj)

    def text(self, value: str) -> str:
        if not self._cards or len(value) < 13 or _CARD_RE.search(value) is None:
            return value
        scrubbed = _CARD_RE.sub(_card, value)
        return value if scrubbed == value else scrubbed

    def walk(self, value: object, depth: int, cards: bool) -> object:
        kind = type(value)
        if kind is str:
            return self.text(value) if cards else value  # type: ignore[arg-type]
        if isinstance(value, dict):
            return self.mapping(value, depth, cards)
        if isinstance(value, list | tuple):
            return self.sequence(value, depth, cards)
        return value

    def mapping(
        self, data: dict[Any, Any], depth: int, cards: bool, keep: frozenset[str] = _NO_KEYS
    ) -> object:
        if depth >= MAX_DEPTH:
            return FILTERED  # deeper than anything legitimate: not worth the risk
        out: dict[Any, Any] | None = None
        verdicts = self._verdicts
        for key, item in data.items():
            v = verdicts.get(key)
            if v is None:
                v = self.verdict(key)
            if v == _KEEP:
                if key in keep:
                    continue
                kind = type(item)
                if kind is str:
                    if not cards or len(item) < 13:
                        continue
                    new = self.text(item)
                elif kind is dict or kind is list or isinstance(item, dict | list | tuple):
                    new = self.walk(item, depth + 1, cards)
                else:
                    continue
                if new is item:
                    continue
            elif v == _DENY:
                if item == FILTERED:
                    continue
                new = FILTERED
            else:
                continue
            if out is None:
                out = dict(data)
            out[key] = new
        return data if out is None else out

    def sequence(self, data: list[Any] | tuple[Any, ...], depth: int, cards: bool) -> object:
        if depth >= MAX_DEPTH:
            return FILTERED
        out: list[Any] | None = None
        for i, item in enumerate(data):
            new = self.walk(item, depth + 1, cards)
            if new is not item:
                if out is None:
                    out = list(data)
                out[i] = new
        if out is None:
            return data
        return tuple(out) if isinstance(data, tuple) else out

    def pairs(self, data: list[Any], cards: bool) -> object:
        """``[[name, value], ...]``: headers or a query string sent as a list."""
        out: list[Any] | None = None
        for i, item in enumerate(data):
            if isinstance(item, list | tuple) and len(item) == 2:
                new = self.mapping({item[0]: item[1]}, 2, cards)
                if new is not item and isinstance(new, dict):
                    new = [item[0], new[item[0]]]
                else:
                    continue
            else:
                new = self.walk(item, 2, cards)
                if new is item:
                    continue
            if out is None:
                out = list(data)
            out[i] = new
        return data if out is None else out

    def form(self, text: str) -> str:
        """``a=b&password=c`` with the denied values filtered, the rest as sent."""
        if "=" not in text:
            return self.text(text)
        parts = text.split("&")
        changed = False
        for i, part in enumerate(parts):
            name, sep, value = part.partition("=")
            if sep and value != FILTERED and self.verdict(unquote_plus(name)) == _DENY:
                parts[i] = f"{name}={FILTERED}"
                changed = True
        return self.text("&".join(parts) if changed else text)

    def body(self, data: object, cards: bool) -> object:
        """``request.data``: an object, or a JSON or form-encoded string."""
        if type(data) is not str:
            return self.walk(data, 1, cards)
        if data.lstrip()[:1] in ("{", "["):
            try:
                parsed = orjson.loads(data)
            except orjson.JSONDecodeError:
                return self.text(data)
            scrubbed = self.walk(parsed, 1, True)
            if scrubbed is parsed:
                return data
            return orjson.dumps(scrubbed).decode()
        return self.form(data)

    def headers(self, headers: object, cards: bool) -> object:
        pairs = headers.items() if isinstance(headers, dict) else headers
        if not isinstance(pairs, list) and not isinstance(headers, dict):
            return self.walk(headers, 1, cards)
        out: list[Any] | dict[Any, Any] | None = None
        for i, pair in enumerate(pairs):
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                continue
            name, value = pair
            v = self.verdict(name)
            if v == _SAFE:
                continue
            if v == _DENY or (isinstance(name, str) and name.lower() in self._headers):
                new = FILTERED
            else:
                new = self.walk(value, 2, cards)
            if new is value or new == value:
                continue
            if isinstance(headers, dict):
                out = dict(headers) if out is None else out
                out[name] = new  # type: ignore[call-overload]
            else:
                out = list(pairs) if out is None else out
                out[i] = [name, new]  # type: ignore[call-overload]
        return headers if out is None else out

    def url(self, url: str) -> str:
        base, sep, query = url.partition("?")
        if not sep:
            return self.text(url)
        query, hsep, fragment = query.partition("#")
        scrubbed = self.text(f"{base}?{self.form(query)}{hsep}{fragment}")
        return url if scrubbed == url else scrubbed

    def request(self, request: JSON) -> JSON:
        cards = self.gate(request)
        out: JSON | None = None
        for key, item in request.items():
            v = self.verdict(key)
            if v == _SAFE:
                continue
            if key == "cookies":
                new = item if item in (None, "", {}, [], FILTERED) else FILTERED
            elif v == _DENY:
                new = FILTERED
            elif key == "headers":
                new = self.headers(item, cards)
            elif key == "query_string" and isinstance(item, str):
                new = self.form(item)
            elif key == "query_string" and isinstance(item, list):
                new = self.pairs(item, cards)
            elif key == "data":
                new = self.body(item, cards)
            elif key == "url" and isinstance(item, str):
                new = self.url(item)
            else:
                new = self.walk(item, 1, cards)
            if new is not item and new != item:
                out = dict(request) if out is None else out
                out[key] = new
        return request if out is None else out

    def user(self, user: JSON) -> JSON:
        # The identity fields are what "users affected" counts: a numeric id
        # must not be taken for a card number.  Only the IP may have to go.
        scrubbed = self.mapping(user, 0, self.gate(user), keep=_USER_IDS)
        out = scrubbed if isinstance(scrubbed, dict) else {}
        if self._ip_fields and "ip_address" in out:
            out = {k: v for k, v in out.items() if k != "ip_address"}
        return out

    def frames(self, frames: tuple[Frame, ...]) -> tuple[Frame, ...]:
        with_vars = [f.vars for f in frames if f.vars]
        if not with_vars:
            return frames
        cards = self.gate(with_vars)
        out: list[Frame] | None = None
        for i, frame in enumerate(frames):
            if not frame.vars:
                continue
            new_vars = self.mapping(frame.vars, 1, cards)
            if new_vars is not frame.vars:
                out = list(frames) if out is None else out
                out[i] = dataclasses.replace(
                    frame, vars=new_vars if isinstance(new_vars, dict) else {}
                )
        return frames if out is None else tuple(out)

    def exception(self, exc: ExceptionValue) -> ExceptionValue:
        value = self.text(exc.value) if exc.value else exc.value
        frames = self.frames(exc.frames)
        if value is exc.value and frames is exc.frames:
            return exc
        return dataclasses.replace(exc, value=value, frames=frames)

    def thread(self, thread: Thread) -> Thread:
        frames = self.frames(thread.frames)
        return thread if frames is thread.frames else dataclasses.replace(thread, frames=frames)

    def part(self, value: Any) -> Any:
        """A free-form JSON part of the event: extra, contexts, breadcrumbs, tags."""
        return self.walk(value, 0, self.gate(value))

    def event(self, event: Event) -> Event:
        changes: dict[str, Any] = {}
        for name in ("message", "message_template"):
            text = getattr(event, name)
            if text:
                scrubbed = self.text(text)
                if scrubbed is not text:
                    changes[name] = scrubbed
        _changed(changes, "exceptions", event.exceptions, _each(self.exception))
        _changed(changes, "threads", event.threads, _each(self.thread))
        for name in ("breadcrumbs", "tags", "extra", "contexts"):
            _changed(changes, name, getattr(event, name), self.part)
        _changed(changes, "user", event.user, self.user)
        _changed(changes, "request", event.request, self.request)
        return dataclasses.replace(event, **changes) if changes else event


def _each(fn: Callable[[Any], Any]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    def apply(items: tuple[Any, ...]) -> tuple[Any, ...]:
        new = [fn(item) for item in items]
        if all(a is b for a, b in zip(new, items, strict=True)):
            return items
        return tuple(new)

    return apply


def _changed(changes: dict[str, Any], name: str, value: Any, fn: Callable[[Any], Any]) -> None:
    if not value:
        return
    new = fn(value)
    if new is not value and new != value:
        changes[name] = new


@lru_cache(maxsize=256)
def _scrubber(config: ScrubConfig) -> _Scrubber:
    return _Scrubber(config)


def scrub_event(event: Event, config: ScrubConfig) -> Event:
    """A copy of the event with the sensitive values replaced; never raises."""
    if not config.enabled:
        return event
    try:
        return _scrubber(config).event(event)
    except Exception:  # hostile shapes must not poison the worker
        return _fallback(event)


def _without_vars(frames: tuple[Frame, ...]) -> tuple[Frame, ...]:
    return tuple(dataclasses.replace(f, vars=None) for f in frames)


def _fallback(event: Event) -> Event:
    # Something in the payload defeated the walk: drop every free-form field
    # rather than store a secret that could not be inspected.
    user = {k: v for k, v in (event.user or {}).items() if k in ("id", "username")}
    return dataclasses.replace(
        event,
        request=None,
        extra={},
        contexts={},
        breadcrumbs=(),
        tags={},
        user=user or None,
        exceptions=tuple(
            dataclasses.replace(e, frames=_without_vars(e.frames)) for e in event.exceptions
        ),
        threads=tuple(
            dataclasses.replace(t, frames=_without_vars(t.frames)) for t in event.threads
        ),
    )
