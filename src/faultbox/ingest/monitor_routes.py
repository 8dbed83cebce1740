"""The native check-in: ``POST /api/v1/monitors/{slug}/checkins``.

Authenticated like ``/api/v1/errors`` (the project's key: ``X-Faultbox-Key``,
``Authorization: DSN <dsn>`` or Sentry auth). The body is Sentry's check-in without
``monitor_slug`` (the URL names the monitor): ``status`` and optionally
``check_in_id``, ``duration``, ``environment``, ``release``, ``monitor_config``.
Answers 202 with the ``check_in_id`` once the check-in is queued durably; sending
the same id again (``ok`` or ``error`` after ``in_progress``) closes that run.
"""

from __future__ import annotations

import orjson

from faultbox.ingest.accept import Backpressure, IngestContext, now
from faultbox.ingest.auth import native_key_from_request
from faultbox.ingest.checkins import clean_check_in
from faultbox.ingest.errors import IngestError
from faultbox.ingest.http import IngestRequest, IngestResponse
from faultbox.ingest.limits import decode_body, loads_json
from faultbox.ingest.sentry_routes import CORS_HEADERS
from faultbox.queue.base import IngestMeta, Kind, NewMessage
from faultbox.store.db import read_connection
from faultbox.store.monitors import monitor_exists

MAX_CHECK_IN_SIZE = 100 * 1024  # as an envelope's check_in item


def _json(body: object, status: int, headers: dict[str, str] | None = None) -> IngestResponse:
    return IngestResponse(status, orjson.dumps(body), {**CORS_HEADERS, **(headers or {})})


def _failure(exc: IngestError) -> IngestResponse:
    """The native shape: ``{"success": false, "error": …}`` with the status."""
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Backpressure) else None
    return _json({"success": False, "error": exc.detail}, exc.status, headers)


class UnknownMonitor(IngestError):
    def __init__(self, slug: str) -> None:
        super().__init__(
            404,
            f"no monitor {slug!r} in this project: create it in the dashboard or API, "
            "or send monitor_config with the check-in",
        )


async def create_check_in(request: IngestRequest) -> IngestResponse:
    ctx: IngestContext = request.ctx
    try:
        key = ctx.project_for_key(native_key_from_request(request.headers), None)
        body = await ctx.read_body(request)
        data = decode_body(body, request.headers.get("content-encoding"), MAX_CHECK_IN_SIZE)
        slug = request.path_params["slug"]  # the ASGI path is already percent-decoded
        cleaned = clean_check_in(loads_json(data, "body"), slug=slug)
        if "monitor_config" not in cleaned:
            # A check-in is rare (one per job run), so this read costs nothing that
            # matters, and the caller learns at once that the slug is wrong.
            with read_connection(ctx.keys.engine) as conn:
                if not monitor_exists(conn, key.project_id, cleaned["monitor_slug"]):
                    raise UnknownMonitor(cleaned["monitor_slug"])
        meta = IngestMeta(client_ip=request.client_ip, user_agent=request.headers.get("user-agent"))
        message = NewMessage(
            key.project_id,
            Kind.CHECK_IN,
            cleaned["check_in_id"],
            now(),
            orjson.dumps(cleaned),
            meta,
        )
        await ctx.enqueue([message])
        ctx.outcomes.add(key.project_id, "monitor", "accepted")
        return _json({"success": True, "check_in_id": cleaned["check_in_id"]}, 202)
    except IngestError as exc:
        return _failure(exc)
