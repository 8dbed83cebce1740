"""A minimal ASGI request/response pair for the ingest hot path.

Starlette's Request, Response and exception wrappers cost more per request than
decoding and parsing an event; ingest needs only headers, the query string, the
client address and a bounded body, so it reads them straight from the scope.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope, Send

if TYPE_CHECKING:
    from faultbox.ingest.accept import IngestContext


class IngestRequest:
    __slots__ = ("scope", "receive", "ctx", "path_params", "headers", "_query")

    def __init__(
        self, scope: Scope, receive: Receive, ctx: IngestContext, path_params: dict[str, str]
    ) -> None:
        self.scope = scope
        self.receive = receive
        self.ctx = ctx
        self.path_params = path_params
        # Header names arrive lowercased from the server; the last value wins.
        self.headers: dict[str, str] = {
            k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]
        }
        self._query: dict[str, str] | None = None

    @property
    def query_params(self) -> dict[str, str]:
        if self._query is None:
            raw = self.scope.get("query_string", b"").decode("latin-1")
            self._query = dict(parse_qsl(raw, keep_blank_values=True)) if raw else {}
        return self._query

    @property
    def client_ip(self) -> str | None:
        client = self.scope.get("client")
        return client[0] if client else None

    async def stream(self) -> AsyncIterator[bytes]:
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return


@dataclass(slots=True)
class IngestResponse:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str | None = "application/json"

    async def send(self, send: Send) -> None:
        headers = [(b"content-length", str(len(self.body)).encode())]
        if self.media_type and self.body:
            headers.append((b"content-type", self.media_type.encode()))
        headers += [
            (k.lower().encode("latin-1"), _header_value(v)) for k, v in self.headers.items()
        ]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


def _header_value(value: str) -> bytes:
    # Error details can quote client input: no line breaks, and latin-1 or a "?".
    return value.replace("\r", " ").replace("\n", " ")[:1000].encode("latin-1", "replace")
