"""The ingest routes, and the ASGI front door that sends ingest traffic past the API stack."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from faultbox.ingest import monitor_routes, native_routes, security, sentry_routes
from faultbox.ingest.http import IngestRequest, IngestResponse
from faultbox.observe.metrics import record_ingest_request

Handler = Callable[[IngestRequest], Awaitable[IngestResponse]]

_SENTRY_PATH = re.compile(
    r"^/api/(?P<project_id>[^/]+)/(?P<endpoint>envelope|store|security|csp-report)/?$"
)
_SENTRY_HANDLERS: dict[str, Handler] = {
    "envelope": sentry_routes.envelope_endpoint,
    "store": sentry_routes.store_endpoint,
    "security": security.security_endpoint,
    "csp-report": security.security_endpoint,
}
_NATIVE_HANDLERS: dict[str, Handler] = {
    "/api/v1/errors": native_routes.create_error,
    "/api/v1/errors/batch": native_routes.create_errors_batch,
}


def is_ingest_path(path: str) -> bool:
    # /api/<digits>/… or /api/<id>/<sentry endpoint>/, or /api/v1/errors…; else the API.
    return path.startswith("/api/") and (path[5:6].isdigit() or route(path) is not None)


_CHECK_IN_PATH = re.compile(r"^/api/v1/monitors/(?P<slug>[^/]+)/checkins/?$")


def route(path: str) -> tuple[Handler, dict[str, str]] | None:
    native = _NATIVE_HANDLERS.get(path.rstrip("/"))
    if native is not None:
        return native, {}
    check_in = _CHECK_IN_PATH.match(path)
    if check_in is not None:
        return monitor_routes.create_check_in, {"slug": check_in["slug"]}
    match = _SENTRY_PATH.match(path)
    if match is None:
        return None
    return _SENTRY_HANDLERS[match["endpoint"]], {"project_id": match["project_id"]}


class IngestFirst:
    """Serve ingest requests directly and everything else through the API app: the hot
    path skips the API's middleware, route table and request objects (measured: they
    cost more than decoding and parsing the event)."""

    def __init__(self, api: ASGIApp) -> None:
        self.api = api

    @property
    def state(self) -> Any:
        return self.api.state  # type: ignore[attr-defined]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_ingest_path(scope["path"]):
            await self._ingest(scope, receive, send)
        else:
            await self.api(scope, receive, send)

    async def _ingest(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        found = route(scope["path"])
        method = scope["method"]
        if found is None:
            response = IngestResponse(404, b'{"detail":"not found"}')
        elif method == "OPTIONS":
            response = await sentry_routes.preflight(
                IngestRequest(scope, receive, self.state.ingest, {})
            )
        elif method != "POST":
            response = IngestResponse(
                405, b'{"detail":"method not allowed"}', {"Allow": "POST, OPTIONS"}
            )
        else:
            handler, params = found
            response = await handler(IngestRequest(scope, receive, self.state.ingest, params))
        await response.send(send)
        record_ingest_request(time.perf_counter() - started, response.status)
