"""tinyhttp 2.0: the same client after a rewrite around sessions and a pool.

The public API is unchanged; its internal frames (names, depth) are not, as
happens between two versions of any library.
"""

from __future__ import annotations

import json
from decimal import Decimal
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

    def json(self, **options: Any) -> Any:
        return self._decode(self.text, options)

    @staticmethod
    def _decode(text: str, options: dict[str, Any]) -> Any:
        return json.loads(text, parse_float=Decimal, **options)


class _Pool:
    def __init__(self, host: str) -> None:
        self.host = host

    def urlopen(self, method: str, path: str, timeout: float) -> Response:
        return self._make_request(method, path, timeout)

    def _make_request(self, method: str, path: str, timeout: float) -> Response:
        reply = SERVERS.get(self.host, {}).get(path, (404, '{"error": "not found"}'))
        if reply == TIMEOUT:
            raise Timeout(f"{method} https://{self.host}{path} read timed out ({timeout})")
        return Response(*reply)


class Session:
    def request(self, method: str, url: str, timeout: float) -> Response:
        parts = urlsplit(url)
        return _Pool(parts.hostname or "").urlopen(method, parts.path, timeout)


def request(method: str, url: str, body: str | None = None, timeout: float = 5.0) -> Response:
    return Session().request(method, url, timeout)
