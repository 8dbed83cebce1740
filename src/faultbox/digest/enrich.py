"""Browser, OS and device contexts (and their tags) from the request's User-Agent.

Relay fills these in for every event that carries a User-Agent header and lacks
the contexts; the issue page and the ``browser``/``os.name`` tag breakdowns need
them.  ``ua_parser`` is pure Python and costs about a millisecond per new string,
so results are cached: real traffic repeats a small set of user agents.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Any

from ua_parser import parse

from faultbox.model import Event

MAX_USER_AGENT = 512  # longer strings are junk or attacks; parsing them costs time


def _version(*parts: str | None) -> str | None:
    present = []
    for part in parts:
        if not part:
            break
        present.append(part)
    return ".".join(present) or None


@lru_cache(maxsize=4096)
def _parse(user_agent: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    # Immutable, so one cached result can serve many events without being shared mutably.
    result = parse(user_agent)
    out: list[tuple[str, dict[str, str | None]]] = []
    ua, os, device = result.user_agent, result.os, result.device
    if ua is not None and ua.family != "Other":
        out.append(
            ("browser", {"name": ua.family, "version": _version(ua.major, ua.minor, ua.patch)})
        )
    if os is not None and os.family != "Other":
        out.append(("os", {"name": os.family, "version": _version(os.major, os.minor, os.patch)}))
    if device is not None and device.family != "Other":
        out.append(
            ("device", {"family": device.family, "brand": device.brand, "model": device.model})
        )
    return tuple((name, tuple((k, v) for k, v in ctx.items() if v)) for name, ctx in out)


def ua_contexts(user_agent: str) -> dict[str, dict[str, Any]]:
    """``{"browser": {name, version}, "os": {name, version}, "device": {family, brand, model}}``
    with only the parts the user agent reveals."""
    if not isinstance(user_agent, str) or not user_agent.strip():
        return {}
    return {name: dict(fields) for name, fields in _parse(user_agent.strip()[:MAX_USER_AGENT])}


def _user_agent(event: Event) -> str | None:
    headers = event.request.get("headers") if event.request else None
    if not isinstance(headers, dict):
        return None
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == "user-agent" and isinstance(value, str):
            return value
    return None


def _tags(contexts: dict[str, Any], tags: dict[str, str]) -> dict[str, str]:
    """Sentry's derived tags: ``browser`` = "Chrome 120.0.6099", ``browser.name``, ``os.name``."""
    browser, os = contexts.get("browser"), contexts.get("os")
    added: dict[str, str] = {}
    if isinstance(browser, dict) and isinstance(name := browser.get("name"), str) and name:
        version = browser.get("version")
        added["browser"] = f"{name} {version}" if isinstance(version, str) and version else name
        added["browser.name"] = name
    if isinstance(os, dict) and isinstance(name := os.get("name"), str) and name:
        added["os.name"] = name
    return {k: v[:200] for k, v in added.items() if k not in tags}


def enrich_event(event: Event) -> Event:
    contexts = event.contexts
    if "browser" not in contexts or "os" not in contexts:
        user_agent = _user_agent(event)
        parsed = ua_contexts(user_agent) if user_agent else {}
        missing = {k: v for k, v in parsed.items() if k not in contexts}
        if missing:
            contexts = {**contexts, **missing}
    tags = _tags(contexts, event.tags)
    if contexts is event.contexts and not tags:
        return event
    return dataclasses.replace(event, contexts=contexts, tags={**event.tags, **tags})
