"""Serving the metrics: ``GET /metrics`` on ``faultbox serve``, and a small HTTP
server on ``metrics_port`` in the worker process.  Both answer in Prometheus text
format 0.0.4 and, when ``metrics_token`` is set, only to ``Bearer <token>``."""

from __future__ import annotations

import asyncio
import hmac
import logging
import socket
import threading
from collections.abc import Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector, CollectorRegistry
from starlette.requests import Request
from starlette.responses import Response

from faultbox.config import Settings
from faultbox.observe.metrics import RECORDED

log = logging.getLogger(__name__)

_UNAUTHORIZED_BODY = b"metrics need Authorization: Bearer <FAULTBOX_METRICS_TOKEN>\n"


class _Recorded(Collector):
    """This process's recorded metrics, included in each registry that serves them."""

    def collect(self) -> Iterable[Metric]:
        return RECORDED.collect()


def build_registry(*scraped: Collector) -> CollectorRegistry:
    """The recorded metrics, the process's own (RSS, CPU, open files, GC) and the
    given scrape-time collectors.  One per app, so two apps in one process (tests)
    never register the same collector twice."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Recorded())
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    for collector in scraped:
        registry.register(collector)
    return registry


def authorized(settings: Settings, header: str | None) -> bool:
    if not settings.metrics_token:
        return True
    expected = f"Bearer {settings.metrics_token}".encode()
    # Constant time: the comparison must not tell how much of a guess was right.
    return hmac.compare_digest((header or "").encode(), expected)


async def metrics_endpoint(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not authorized(settings, request.headers.get("authorization")):
        return Response(
            _UNAUTHORIZED_BODY,
            status_code=401,
            media_type="text/plain",
            headers={"WWW-Authenticate": "Bearer"},
        )
    registry: CollectorRegistry = request.app.state.metrics
    # The queue and database reads block; keep them off the event loop.
    body = await asyncio.to_thread(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)


# -- the worker's metrics server -----------------------------------------------------


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every 15 s would otherwise print an access line each."""


def _wsgi_app(settings: Settings, registry: CollectorRegistry) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "/") not in ("/", "/metrics"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found: metrics are at /metrics\n"]
        if not authorized(settings, environ.get("HTTP_AUTHORIZATION")):
            start_response(
                "401 Unauthorized",
                [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")],
            )
            return [_UNAUTHORIZED_BODY]
        body = generate_latest(registry)
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_PLAIN_0_0_4)])
        return [body]

    return app


class MetricsServer:
    """``/metrics`` of a process without the HTTP app (``faultbox worker``)."""

    def __init__(self, settings: Settings, registry: CollectorRegistry) -> None:
        self._server: WSGIServer = make_server(
            settings.host,
            settings.metrics_port,
            _wsgi_app(settings, registry),
            server_class=_Server6 if ":" in settings.host else _Server,
            handler_class=_QuietHandler,
        )
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="metrics-http", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def serve_worker_metrics(settings: Settings, *scraped: Collector) -> MetricsServer | None:
    """Start the worker's metrics server when ``metrics_port`` is set.  A port that
    cannot be bound is logged, not fatal: the digest matters more than its metrics."""
    if not settings.metrics_port:
        return None
    try:
        server = MetricsServer(settings, build_registry(*scraped))
    except OSError as exc:
        log.error(
            "cannot serve metrics on %s:%s: %s", settings.host, settings.metrics_port, exc.strerror
        )
        return None
    log.info("worker metrics at http://%s:%s/metrics", settings.host, server.port)
    return server
