"""Client-side scrubbing: the server's default rules (``faultbox.digest.scrub``), before
anything leaves the process.

The same key denylist (matched on the key lowercased with ``-`` and ``_`` removed), the
same ``[Filtered]`` marker, Luhn-checked card numbers inside any string, the same depth
limit.  The server scrubs again with the project's own settings; doing it here too means a
password in a local variable never crosses the network.  ``tests/sdk/test_scrub_parity.py``
runs both on the same inputs.  Standard library only, so no ``orjson`` fast paths: events
are scrubbed once, on the transport's thread.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_plus

FILTERED = "[Filtered]"
MAX_DEPTH = 20

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
_CARD_RE = re.compile(r"[2-6](?<![0-9.][2-6])(?:[ -]?[0-9]){12,18}(?![0-9])")
_KEEP, _DENY, _SAFE = 0, 1, 2
_USER_IDS = frozenset({"id", "email", "username", "ip_address", "name"})
_MAX_MEMO = 5000


def normalize_key(key: str) -> str:
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


class Scrubber:
    """The server's ``ScrubConfig`` knobs, with its defaults."""

    def __init__(
        self,
        extra_fields: tuple[str, ...] = (),
        safe_fields: tuple[str, ...] = (),
        scrub_credit_cards: bool = True,
        scrub_ip_addresses: bool = False,
    ) -> None:
        fields = DEFAULT_FIELDS + tuple(normalize_key(f) for f in extra_fields)
        self._deny_re = re.compile("|".join(re.escape(f) for f in fields if f))
        self._safe = frozenset(normalize_key(f) for f in safe_fields)
        self._ip_fields = IP_FIELDS if scrub_ip_addresses else frozenset()
        self._cards = scrub_credit_cards
        self._verdicts: dict[str, int] = {}

    def verdict(self, key: object) -> int:
        if type(key) is not str:
            return _KEEP
        cached = self._verdicts.get(key)
        if cached is not None:
            return cached
        norm = normalize_key(key)
        result = _KEEP
        if norm in self._safe:
            result = _SAFE
        elif norm in self._ip_fields or self._deny_re.search(norm):
            result = _DENY
        if len(self._verdicts) >= _MAX_MEMO:
            self._verdicts.clear()
        self._verdicts[key] = result
        return result

    def text(self, value: str) -> str:
        if not self._cards or len(value) < 13:
            return value
        return _CARD_RE.sub(_card, value)

    def walk(self, value: Any, depth: int = 0) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return self.mapping(value, depth)
        if isinstance(value, (list, tuple)):
            if depth >= MAX_DEPTH:
                return FILTERED
            return [self.walk(item, depth + 1) for item in value]
        return value

    def mapping(self, data: dict[Any, Any], depth: int, keep: frozenset[str] = frozenset()) -> Any:
        if depth >= MAX_DEPTH:
            return FILTERED
        out: dict[Any, Any] = {}
        for key, item in data.items():
            v = self.verdict(key)
            if v == _SAFE or (v == _KEEP and key in keep):
                out[key] = item
            elif v == _DENY:
                out[key] = FILTERED
            else:
                out[key] = self.walk(item, depth + 1)
        return out

    def pairs(self, data: list[Any]) -> list[Any]:
        out: list[Any] = []
        for item in data:
            if isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], str):
                v = self.verdict(item[0])
                if v == _SAFE:
                    out.append(item)
                else:
                    value = FILTERED if v == _DENY else self.walk(item[1], 2)
                    out.append([item[0], value])
            else:
                out.append(self.walk(item, 2))
        return out

    def form(self, text: str) -> str:
        if "=" not in text:
            return self.text(text)
        parts = text.split("&")
        for i, part in enumerate(parts):
            name, sep, value = part.partition("=")
            if sep and value != FILTERED and self.verdict(unquote_plus(name)) == _DENY:
                parts[i] = f"{name}={FILTERED}"
        return self.text("&".join(parts))

    def body(self, data: Any) -> Any:
        if not isinstance(data, str):
            return self.walk(data, 1)
        if data.lstrip()[:1] not in ("{", "["):
            return self.form(data)
        try:
            parsed = json.loads(data)
        except ValueError:
            return self.text(data)
        scrubbed = self.walk(parsed, 1)
        if scrubbed == parsed:
            return data
        return json.dumps(scrubbed, separators=(",", ":"), ensure_ascii=False)

    def url(self, url: str) -> str:
        base, sep, query = url.partition("?")
        if sep:
            query, hsep, fragment = query.partition("#")
            url = f"{base}?{self.form(query)}{hsep}{fragment}"
        return self.text(url)

    def request(self, request: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in request.items():
            v = self.verdict(key)
            if v == _SAFE or (v == _DENY and item in (FILTERED, None, "", {}, [])):
                out[key] = item
            elif v == _DENY:
                out[key] = FILTERED
            elif isinstance(item, list) and key in ("headers", "query_string", "env"):
                out[key] = self.pairs(item)
            elif isinstance(item, str) and key == "query_string":
                out[key] = self.form(item)
            elif isinstance(item, str) and key == "url":
                out[key] = self.url(item)
            elif key == "data":
                out[key] = self.body(item)
            else:
                out[key] = self.walk(item, 1)
        return out

    def user(self, user: dict[str, Any]) -> dict[str, Any]:
        scrubbed = self.mapping(user, 0, keep=_USER_IDS)
        if not isinstance(scrubbed, dict):
            return {}
        if self._ip_fields:
            scrubbed.pop("ip_address", None)
        return scrubbed

    def frames(self, frames: list[dict[str, Any]]) -> None:
        for frame in frames:
            if frame.get("vars"):
                new = self.mapping(frame["vars"], 1)
                frame["vars"] = new if isinstance(new, dict) else {}

    def event(self, event: dict[str, Any]) -> dict[str, Any]:
        """Scrub a Sentry-shaped event dict in place (the client owns it) and return it."""
        if isinstance(event.get("message"), str):
            event["message"] = self.text(event["message"])
        logentry = event.get("logentry")
        if isinstance(logentry, dict) and isinstance(logentry.get("formatted"), str):
            logentry["formatted"] = self.text(logentry["formatted"])
        for exc in (event.get("exception") or {}).get("values") or ():
            if isinstance(exc.get("value"), str):
                exc["value"] = self.text(exc["value"])
            self.frames((exc.get("stacktrace") or {}).get("frames") or [])
        for thread in (event.get("threads") or {}).get("values") or ():
            self.frames((thread.get("stacktrace") or {}).get("frames") or [])
        crumbs = event.get("breadcrumbs")
        if isinstance(crumbs, dict) and isinstance(crumbs.get("values"), list):
            crumbs["values"] = self.walk(crumbs["values"], 0)
        for name in ("extra", "contexts", "tags"):
            if isinstance(event.get(name), dict):
                new = self.walk(event[name], 0)
                event[name] = new if isinstance(new, dict) else {}
        if isinstance(event.get("user"), dict):
            event["user"] = self.user(event["user"])
        if isinstance(event.get("request"), dict):
            event["request"] = self.request(event["request"])
        return event
