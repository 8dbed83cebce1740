"""tinyhttp 1.4: a very small HTTP client, standing in for requests (no network).

Hosts answer from SERVERS, which the corpus fills with canned replies: per host and
path a ``(status, body)`` pair, or TIMEOUT.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

TIMEOUT = "timeout"
SERVERS: dict[str, dict[str, Any]] = {}


class HTTPError(Exception):
    pass


class Timeout(HTTPError):
    pass


class Response:
    def __init__(self, status: int, text: str) -> None:
        self.status = status
        self.text = text

    def json(self) -> Any:
        return json.loads(self.text)


def _send(method: str, host: str, path: str, timeout: float) -> Response:
    reply = SERVERS.get(host, {}).get(path, (404, '{"error": "not found"}'))
    if reply == TIMEOUT:
        raise Timeout(f"{method} {host}{path}: no answer within {timeout}s")
    return Response(*reply)


def request(method: str, url: str, body: str | None = None, timeout: float = 5.0) -> Response:
    parts = urlsplit(url)
    return _send(method, parts.hostname or "", parts.path, timeout)
