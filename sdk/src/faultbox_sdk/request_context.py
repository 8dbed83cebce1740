"""What the current request is (its id, W3C trace ids, method, URL, headers, the first
bytes of its body), for the problem answers, the reports and the JSON logs.

A ``contextvars`` variable, so asyncio tasks and the threads a framework copies the
context into see the request they serve.  Headers and bodies are scrubbed with the
SDK's own rules (``scrub.py``: Authorization, Cookie, tokens, passwords, card numbers)
before they go into an event.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from faultbox_sdk.scrub import FILTERED, Scrubber

REQUEST_ID_HEADER = "X-Request-ID"
# Also accepted when no X-Request-ID came: the other names proxies and gateways use.
INCOMING_ID_HEADERS = ("x-request-id", "x-correlation-id")
MAX_REQUEST_ID = 128
MAX_BODY = 4096  # bytes of a request body kept for a report
_SAFE_ID = re.compile(rf"[A-Za-z0-9._:\-]{{1,{MAX_REQUEST_ID}}}")
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_TEXT_TYPES = ("json", "x-www-form-urlencoded", "text/", "xml", "graphql")

_scrubber = Scrubber()
_DENY = 1  # Scrubber.verdict's answer for a key whose value is hidden


def sanitize_request_id(value: str | None) -> str | None:
    """The incoming id if it is short and made of safe characters (no spaces, quotes,
    control characters: it is echoed in a header and written to logs), else None."""
    if not value:
        return None
    value = value.strip()
    return value if _SAFE_ID.fullmatch(value) else None


def new_request_id() -> str:
    return os.urandom(16).hex()  # as random as uuid4().hex, a few times cheaper


def parse_traceparent(value: str | None) -> tuple[str, str] | None:
    """``(trace_id, span_id)`` from a W3C ``traceparent`` header, None when invalid."""
    if not value:
        return None
    match = _TRACEPARENT.fullmatch(value.strip().lower())
    if match is None:
        return None
    version, trace_id, span_id, _flags = match.groups()
    if version == "ff" or set(trace_id) == {"0"} or set(span_id) == {"0"}:
        return None
    return trace_id, span_id


def sanitized_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header names in their usual capitalization; secrets become ``[Filtered]``."""
    out: dict[str, str] = {}
    for name, value in headers:
        key = "-".join(part.capitalize() for part in name.split("-"))
        out[key] = f"{out[key]}, {value}" if key in out else value
    scrubbed = _scrubber.mapping(out, 1)
    return scrubbed if isinstance(scrubbed, dict) else {}


def sanitized_body(body: bytes, content_type: str | None, truncated: bool = False) -> str | None:
    """A scrubbed text of the body's first bytes, or a placeholder for binary bodies."""
    if not body:
        return None
    kind = (content_type or "").lower()
    if kind and not any(t in kind for t in _TEXT_TYPES):
        return f"[{len(body)}{'+' if truncated else ''} bytes of {kind.split(';')[0]}]"
    text = body[:MAX_BODY].decode("utf-8", "replace")
    if truncated:
        # A cut JSON document does not parse: scrub it as text, keys and all.
        return _scrub_cut_text(text) + "…"
    result = _scrubber.body(text)
    return result if isinstance(result, str) else str(result)


def _scrub_cut_text(text: str) -> str:
    if text.lstrip()[:1] in ("{", "["):
        # Values after a sensitive key are hidden by the JSON-aware rule only when the
        # document parses; a cut one loses every value that follows such a key.
        return re.sub(
            r'("[^"]*"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\]]+)',
            lambda m: (
                m.group(1) + f'"{FILTERED}"'
                if _scrubber.verdict(m.group(1).split('"')[1]) == 1
                else m.group(0)
            ),
            _scrubber.text(text),
        )
    return _scrubber.form(text)


@dataclass
class RequestInfo:
    request_id: str
    method: str = ""
    url: str = ""
    path: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    trace_id: str | None = None
    span_id: str | None = None
    body: bytearray = field(default_factory=bytearray)
    body_truncated: bool = False
    user: dict[str, Any] | None = None

    @classmethod
    def from_headers(
        cls, headers: list[tuple[str, str]], *, method: str, url: str, path: str
    ) -> RequestInfo:
        lower: dict[str, str] = {}
        for name, value in headers:
            lower.setdefault(name.lower(), value)
        request_id = None
        for name in INCOMING_ID_HEADERS:
            request_id = sanitize_request_id(lower.get(name))
            if request_id:
                break
        trace = parse_traceparent(lower.get("traceparent"))
        return cls(
            request_id=request_id or new_request_id(),
            method=method.upper(),
            url=url,
            path=path,
            headers=headers,
            trace_id=trace[0] if trace else None,
            span_id=trace[1] if trace else None,
        )

    def keep_body(self, chunk: bytes) -> None:
        room = MAX_BODY - len(self.body)
        if room > 0:
            self.body += chunk[:room]
        if len(chunk) > room:
            self.body_truncated = True

    def content_type(self) -> str | None:
        for name, value in self.headers:
            if name.lower() == "content-type":
                return value
        return None

    def secrets(self) -> list[str]:
        """The raw values of this request's secret headers and body fields (at least 4
        characters): frames' local variables may hold them in shapes no key names
        (Starlette's ``scope["headers"]`` pairs of bytes), so a report hides them wherever
        they appear (:func:`redact`)."""
        found = [v for k, v in self.headers if _scrubber.verdict(k) == _DENY]
        found += [v.split(" ", 1)[1] for v in list(found) if " " in v]  # "Bearer <token>"
        data = bytes(self.body).decode("utf-8", "replace")
        try:
            parsed: Any = json.loads(data) if data.lstrip()[:1] in ("{", "[") else None
        except ValueError:
            parsed = None
        if parsed is not None:
            _secret_values(parsed, found, 0)
        elif "=" in data:
            for name, value in parse_qsl(data, keep_blank_values=False):
                if _scrubber.verdict(name) == _DENY:
                    found.append(value)
        return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)

    def event_request(self) -> dict[str, Any]:
        """The Sentry ``request`` interface, scrubbed."""
        base, _, query = self.url.partition("?")
        out: dict[str, Any] = {
            "method": self.method,
            "url": _scrubber.url(base),
            "headers": sanitized_headers(self.headers),
        }
        if query:
            out["query_string"] = _scrubber.form(query)
        data = sanitized_body(bytes(self.body), self.content_type(), self.body_truncated)
        if data is not None:
            out["data"] = data
        return out


def _secret_values(value: Any, found: list[str], depth: int) -> None:
    if depth > 20:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if _scrubber.verdict(key) == _DENY:
                found.extend(_strings(item))
            else:
                _secret_values(item, found, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _secret_values(item, found, depth + 1)


def _strings(value: Any) -> list[str]:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, (list, dict)):
        items = value.values() if isinstance(value, dict) else value
        return [s for item in items for s in _strings(item)]
    return []


def redact(value: Any, secrets: list[str]) -> Any:
    """``value`` (JSON-shaped) with every occurrence of each secret replaced by
    ``[Filtered]``.  Done on its JSON text (C speed: this runs in the app's thread); the
    walk is the fallback should the edited text not parse."""
    if not secrets:
        return value
    text = json.dumps(value, ensure_ascii=False, default=str)
    hits = []
    for secret in secrets:
        encoded = json.dumps(secret, ensure_ascii=False)[1:-1]
        if encoded in text:
            hits.append(secret)
            text = text.replace(encoded, FILTERED)
    if not hits:
        return value
    try:
        return json.loads(text)
    except ValueError:
        return _redact_walk(value, hits)


def _redact_walk(value: Any, secrets: list[str], depth: int = 0) -> Any:
    if depth > 40:
        return value
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, FILTERED)
        return value
    if isinstance(value, dict):
        return {k: _redact_walk(v, secrets, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_walk(v, secrets, depth + 1) for v in value]
    return value


_current: ContextVar[RequestInfo | None] = ContextVar("faultbox_sdk_request", default=None)


def current_request() -> RequestInfo | None:
    return _current.get()


def enter_request(info: RequestInfo) -> Token[RequestInfo | None]:
    return _current.set(info)


def leave_request(token: Token[RequestInfo | None]) -> None:
    try:
        _current.reset(token)
    except ValueError:
        _current.set(None)  # a token from another context (a framework's copied context)
