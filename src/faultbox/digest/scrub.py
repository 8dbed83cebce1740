"""Server-side PII scrubbing, configurable per project.

Sensitive values become ``[Filtered]``: any field whose key names a secret
(``password``, ``token``, ``authorization``, ``cookie``...), which covers the
credential headers and the cookies, and card numbers that pass the Luhn check
inside any string.  Copy-on-write: only the containers on the path to a change
are copied, the input event is never mutated.

Hot path.  Most events hold nothing to scrub, so two C-speed checks come first:
one ``orjson.dumps`` + ``translate`` over everything says whether a card can be
present at all, and a tight loop over the dict keys (memoized verdicts, one
set comparison per dict) says whether any key is denied.  Only then the walk.
"""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

import orjson

from faultbox.model import JSON, Event, ExceptionValue, Frame, Thread
from faultbox.scrub_config import ScrubConfig as ScrubConfig  # re-exported for callers
from faultbox.scrub_config import normalize_key

FILTERED = "[Filtered]"
MAX_DEPTH = 20
_MAX_MEMO = 20_000

# Substrings of the key lowercased with "-" and "_" removed, the way Relay and
# sentry-python's denylist read keys ("X-Api-Key" → "xapikey" ⊃ "apikey").
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
    "auth",  # authorization, proxy-authorization, x-auth-token
    "csrf",
    "xsrf",
    "cookie",  # cookie, set-cookie, request.cookies
)
IP_FIELDS = frozenset(
    {
        "ipaddress",
        "remoteaddr",
        "xforwardedfor",
        "xrealip",
        "forwarded",
        "cfconnectingip",
        "trueclientip",
        "clientip",
    }
)

# Major card networks start with 2-6; leaving out 1 keeps millisecond timestamps.
# The look-behind follows the first digit so the engine can skip to candidates.
_CARD_RE = re.compile(r"[2-6](?<![0-9.][2-6])(?:[ -]?[0-9]){12,18}(?![0-9])")
# Serialized, a value can hold a card only if 13 digits touch once the
# separators are gone.
_DIGITS_ONLY = bytes(0x30 if 0x30 <= i <= 0x39 else 0x2E for i in range(256))
_THIRTEEN_DIGITS = b"0" * 13

_KEEP, _DENY, _SAFE = 0, 1, 2
# What "users affected" counts: a numeric id must not be taken for a card.
_USER_IDS = frozenset({"id", "email", "username", "ip_address", "name"})
_NO_KEYS: frozenset[str] = frozenset()
_CONTAINERS = frozenset({dict, list, tuple})
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _may_hold_card(obj: object) -> bool:
    try:
        blob = orjson.dumps(obj)
    except TypeError:  # not plain JSON (huge ints, odd keys): look at every string
        return True
    return _THIRTEEN_DIGITS in blob.translate(_DIGITS_ONLY, b" -")


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


class _Scrubber:
    """One config, compiled.  ``cards`` in a walk says whether strings need the
    card scan at all."""

    def __init__(self, config: ScrubConfig) -> None:
        fields = DEFAULT_FIELDS + tuple(normalize_key(f) for f in config.extra_fields)
        self._deny_re = re.compile("|".join(re.escape(f) for f in fields if f))
        self._safe = frozenset(normalize_key(f) for f in config.safe_fields)
        self._ip_fields = IP_FIELDS if config.scrub_ip_addresses else frozenset()
        self._cards = config.scrub_credit_cards
        # Keys repeat across events (variable and header names): memoized, the
        # harmless ones also in a set so a whole dict is checked in one C call.
        self._verdicts: dict[object, int] = {}
        self._harmless: set[object] = set()

    def verdict(self, key: object) -> int:
        cached = self._verdicts.get(key)
        if cached is not None:
            return cached
        result = _KEEP
        if type(key) is str:
            norm = normalize_key(key)
            if norm in self._safe:
                result = _SAFE
            elif norm in self._ip_fields or self._deny_re.search(norm):
                result = _DENY
        if len(self._verdicts) >= _MAX_MEMO:  # a hostile key stream must not grow memory
            self._verdicts.clear()
            self._harmless.clear()
        self._verdicts[key] = result
        if result == _KEEP:
            self._harmless.add(key)
        return result

    def clean(self, root: object, depth: int = 0) -> bool:
        """No denied or safe key anywhere below, and shallow enough for the walk."""
        harmless, containers, scalars = self._harmless, _CONTAINERS, _SCALARS
        level: list[Any] = [root]
        for _ in range(MAX_DEPTH - depth):
            below: list[Any] = []
            append = below.append
            for node in level:
                kind = type(node)
                if kind is dict:
                    if not harmless.issuperset(node):
                        for key in node:
                            if key not in harmless and self.verdict(key) != _KEEP:
                                return False
                    node = node.values()
                elif kind is not list and kind is not tuple:
                    return False  # a subclass or another oddity: the full walk judges it
                for value in node:
                    kind = type(value)
                    if kind in containers:
                        append(value)
                    elif kind not in scalars:
                        return False
            if not below:
                return True
            level = below
        return False

    def text(self, value: str, cards: bool = True) -> str:
        if not cards or not self._cards or len(value) < 13 or not _CARD_RE.search(value):
            return value
        scrubbed = _CARD_RE.sub(_card, value)
        return value if scrubbed == value else scrubbed

    def walk(self, value: Any, depth: int, cards: bool) -> Any:
        if type(value) is str:
            return self.text(value, cards)
        if isinstance(value, dict):
            return self.mapping(value, depth, cards)
        if isinstance(value, list | tuple):
            return self.sequence(value, depth, cards)
        return value

    def mapping(
        self, data: dict[Any, Any], depth: int, cards: bool, keep: frozenset[str] = _NO_KEYS
    ) -> Any:
        if depth >= MAX_DEPTH:
            return FILTERED  # deeper than anything legitimate: not worth the risk
        out: dict[Any, Any] | None = None
        for key, item in data.items():
            v = self.verdict(key)
            if v == _SAFE or (v == _DENY and item == FILTERED) or (v == _KEEP and key in keep):
                continue
            new = FILTERED if v == _DENY else self.walk(item, depth + 1, cards)
            if new is not item:
                out = dict(data) if out is None else out
                out[key] = new
        return data if out is None else out

    def sequence(self, data: list[Any] | tuple[Any, ...], depth: int, cards: bool) -> Any:
        if depth >= MAX_DEPTH:
            return FILTERED
        new = [self.walk(item, depth + 1, cards) for item in data]
        if all(a is b for a, b in zip(new, data, strict=True)):
            return data
        return tuple(new) if isinstance(data, tuple) else new

    def pairs(self, data: list[Any], cards: bool) -> Any:
        """``[[name, value], ...]``: headers or a query string sent as a list."""
        out: list[Any] | None = None
        for i, item in enumerate(data):
            if isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[0], str):
                v = self.verdict(item[0])
                if v == _SAFE or (v == _DENY and item[1] == FILTERED):
                    continue
                value = FILTERED if v == _DENY else self.walk(item[1], 2, cards)
                if value is item[1]:
                    continue
                new: Any = [item[0], value]
            else:
                new = self.walk(item, 2, cards)
                if new is item:
                    continue
            out = list(data) if out is None else out
            out[i] = new
        return data if out is None else out

    def form(self, text: str, cards: bool) -> str:
        """``a=b&password=c`` with the denied values filtered, the rest as sent."""
        if "=" not in text:
            return self.text(text, cards)
        parts = text.split("&")
        changed = False
        for i, part in enumerate(parts):
            name, sep, value = part.partition("=")
            if sep and value != FILTERED and self.verdict(unquote_plus(name)) == _DENY:
                parts[i] = f"{name}={FILTERED}"
                changed = True
        return self.text("&".join(parts) if changed else text, cards)

    def body(self, data: Any, cards: bool) -> Any:
        """``request.data``: an object, or a JSON or form-encoded string."""
        if type(data) is not str:
            return self.walk(data, 1, cards)
        if data.lstrip()[:1] not in ("{", "["):
            return self.form(data, cards)
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError:
            return self.text(data, cards)
        scrubbed = self.walk(parsed, 1, True)
        return data if scrubbed is parsed else orjson.dumps(scrubbed).decode()

    def url(self, url: str, cards: bool) -> str:
        base, sep, query = url.partition("?")
        if sep:
            query, hsep, fragment = query.partition("#")
            scrubbed = f"{base}?{self.form(query, cards)}{hsep}{fragment}"
            url = url if scrubbed == url else scrubbed
        return self.text(url, cards)

    def request(self, request: JSON, cards: bool) -> JSON:
        out: JSON | None = None
        for key, item in request.items():
            v = self.verdict(key)
            if v == _SAFE or (v == _DENY and item in (FILTERED, None, "", {}, [])):
                continue
            if v == _DENY:
                new = FILTERED
            elif isinstance(item, list) and key in ("headers", "query_string", "env"):
                new = self.pairs(item, cards)
            elif type(item) is str and key in ("data", "query_string"):
                new = self.body(item, cards) if key == "data" else self.form(item, cards)
            elif type(item) is str and key == "url":
                new = self.url(item, cards)
            else:
                new = self.body(item, cards) if key == "data" else self.walk(item, 1, cards)
            if new is not item:
                out = dict(request) if out is None else out
                out[key] = new
        return request if out is None else out

    def user(self, user: JSON, cards: bool) -> JSON:
        scrubbed = self.mapping(user, 0, cards, keep=_USER_IDS)
        if self._ip_fields and "ip_address" in scrubbed:
            return {k: v for k, v in scrubbed.items() if k != "ip_address"}
        return scrubbed  # type: ignore[no-any-return]

    def frames(self, frames: tuple[Frame, ...], cards: bool) -> tuple[Frame, ...]:
        out: list[Frame] | None = None
        for i, frame in enumerate(frames):
            if frame.vars and (cards or not self.clean(frame.vars, 1)):
                new = self.mapping(frame.vars, 1, cards)
                if new is not frame.vars:
                    out = list(frames) if out is None else out
                    out[i] = dataclasses.replace(frame, vars=new if type(new) is dict else {})
        return frames if out is None else tuple(out)

    def exception(self, exc: ExceptionValue, cards: bool) -> ExceptionValue:
        value = self.text(exc.value, cards) if exc.value else exc.value
        frames = self.frames(exc.frames, cards)
        if value is exc.value and frames is exc.frames:
            return exc
        return dataclasses.replace(exc, value=value, frames=frames)

    def thread(self, thread: Thread, cards: bool) -> Thread:
        frames = self.frames(thread.frames, cards)
        return thread if frames is thread.frames else dataclasses.replace(thread, frames=frames)

    def event(self, event: Event) -> Event:
        stacks = [e.frames for e in event.exceptions] + [t.frames for t in event.threads]
        variables = [f.vars for stack in stacks for f in stack if f.vars]
        free = (event.breadcrumbs, event.extra, event.contexts, event.tags)
        texts = [event.message, event.message_template, *(e.value for e in event.exceptions)]
        # One serialization answers "no card anywhere" for most events; only
        # when it does not is each part asked on its own.
        anywhere = self._cards and _may_hold_card(
            (variables, free, texts, event.user, event.request)
        )

        def cards(part: object) -> bool:
            return anywhere and _may_hold_card(part)

        changes: dict[str, Any] = {}
        if cards(texts):
            for name in ("message", "message_template"):
                text = getattr(event, name)
                if text and self.text(text) is not text:
                    changes[name] = self.text(text)
        if (vc := cards([variables, texts])) or not self.clean(variables):
            exceptions = tuple(self.exception(e, vc) for e in event.exceptions)
            if any(a is not b for a, b in zip(exceptions, event.exceptions, strict=True)):
                changes["exceptions"] = exceptions
            threads = tuple(self.thread(t, vc) for t in event.threads)
            if any(a is not b for a, b in zip(threads, event.threads, strict=True)):
                changes["threads"] = threads
        if (fc := cards(free)) or not self.clean(free):
            for name, value in zip(("breadcrumbs", "extra", "contexts", "tags"), free, strict=True):
                new = self.walk(value, 0, fc) if fc or not self.clean(value) else value
                if new is not value:
                    changes[name] = new if type(new) is type(value) else type(value)()
        if event.user:
            user = self.user(event.user, cards(event.user))
            if user is not event.user:
                changes["user"] = user
        if event.request:
            request = self.request(event.request, cards(event.request))
            if request is not event.request:
                changes["request"] = request
        return dataclasses.replace(event, **changes) if changes else event


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
