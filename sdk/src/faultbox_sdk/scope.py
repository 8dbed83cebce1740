"""Scopes: what is known about the current work (user, tags, contexts, extras, breadcrumbs)
and gets attached to each event captured under it.

One global scope for the process; ``push_scope()`` makes a copy that lives for a ``with``
block in the current context only (a ``contextvars`` variable, so threads and asyncio
tasks started inside see the copy, and others never do).
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

MAX_BREADCRUMBS = 100
LEVELS = ("debug", "info", "warning", "error", "fatal")


class Scope:
    def __init__(self, max_breadcrumbs: int = MAX_BREADCRUMBS) -> None:
        self.user: dict[str, Any] | None = None
        self.tags: dict[str, str] = {}
        self.contexts: dict[str, dict[str, Any]] = {}
        self.extra: dict[str, Any] = {}
        self.level: str | None = None
        self.fingerprint: list[str] | None = None
        self.breadcrumbs: deque[dict[str, Any]] = deque(maxlen=max_breadcrumbs)

    def copy(self) -> Scope:
        new = Scope.__new__(Scope)
        new.user = dict(self.user) if self.user is not None else None
        new.tags = dict(self.tags)
        new.contexts = {k: dict(v) for k, v in self.contexts.items()}
        new.extra = dict(self.extra)
        new.level = self.level
        new.fingerprint = list(self.fingerprint) if self.fingerprint is not None else None
        new.breadcrumbs = deque(self.breadcrumbs, maxlen=self.breadcrumbs.maxlen)
        return new

    def set_user(self, user: dict[str, Any] | None) -> None:
        self.user = dict(user) if user else None

    def set_tag(self, key: str, value: object) -> None:
        self.tags[str(key)[:200]] = str(value)[:200]

    def remove_tag(self, key: str) -> None:
        self.tags.pop(key, None)

    def set_context(self, name: str, value: dict[str, Any] | None) -> None:
        if value is None:
            self.contexts.pop(name, None)
        else:
            self.contexts[name] = dict(value)

    def set_extra(self, key: str, value: object) -> None:
        self.extra[key] = value

    def set_level(self, level: str | None) -> None:
        self.level = level if level in LEVELS else None

    def set_fingerprint(self, fingerprint: list[str] | None) -> None:
        self.fingerprint = [str(p) for p in fingerprint] if fingerprint else None

    def add_breadcrumb(self, crumb: dict[str, Any]) -> None:
        self.breadcrumbs.append(crumb)

    def clear_breadcrumbs(self) -> None:
        self.breadcrumbs.clear()

    def apply(self, event: dict[str, Any]) -> None:
        """Fill the event from the scope; what the event already has wins."""
        if self.user and "user" not in event:
            event["user"] = copy.deepcopy(self.user)
        if self.tags:
            event["tags"] = {**self.tags, **event.get("tags", {})}
        if self.contexts:
            event["contexts"] = {**copy.deepcopy(self.contexts), **event.get("contexts", {})}
        if self.extra:
            event["extra"] = {**self.extra, **event.get("extra", {})}
        if self.level and "level" not in event:
            event["level"] = self.level
        if self.fingerprint and "fingerprint" not in event:
            event["fingerprint"] = list(self.fingerprint)
        if self.breadcrumbs:
            event["breadcrumbs"] = {"values": [dict(c) for c in self.breadcrumbs]}


_GLOBAL = Scope()
_current: ContextVar[Scope | None] = ContextVar("faultbox_sdk_scope", default=None)


def current_scope() -> Scope:
    scope = _current.get()
    return _GLOBAL if scope is None else scope


@contextmanager
def push_scope() -> Iterator[Scope]:
    """A copy of the current scope for the ``with`` block; changes end with it."""
    token = _current.set(current_scope().copy())
    try:
        yield current_scope()
    finally:
        _current.reset(token)


def reset_global_scope() -> None:
    """Forget everything (tests; a new ``init``)."""
    global _GLOBAL
    _GLOBAL = Scope()
