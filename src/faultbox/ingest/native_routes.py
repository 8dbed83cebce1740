"""The team's native contract: POST /api/v1/errors and POST /api/v1/errors/batch.

Answers ``{"success": true, "id": …}`` or ``{"success": false, "error": …}`` with
a 4xx status, as the existing clients expect.  Authenticated by the project key
(``X-Faultbox-Key: <public key>``, ``Authorization: DSN <dsn>``, or ``?faultbox_key=``
for browsers' ``sendBeacon``, which cannot set headers).
"""

from __future__ import annotations

import uuid

import orjson

from faultbox.ingest.accept import Backpressure, IngestContext, now
from faultbox.ingest.auth import native_key_from_request
from faultbox.ingest.errors import IngestError
from faultbox.ingest.http import IngestRequest, IngestResponse
from faultbox.ingest.limits import decode_body, loads_json
from faultbox.ingest.native import validate_native_batch, validate_native_error
from faultbox.ingest.rate_limits import RateLimited
from faultbox.ingest.sentry_routes import CORS_HEADERS
from faultbox.queue.base import IngestMeta, Kind, NewMessage
from faultbox.store.projects import KeyInfo


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> IngestResponse:
    return IngestResponse(status, orjson.dumps(body), {**CORS_HEADERS, **(headers or {})})


def _failure(exc: IngestError) -> IngestResponse:
    headers = {}
    if isinstance(exc, Backpressure):
        headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, RateLimited):
        headers.update(exc.headers())
    return _json({"success": False, "error": exc.detail}, exc.status, headers)


async def _read(ctx: IngestContext, request: IngestRequest) -> tuple[KeyInfo, object, IngestMeta]:
    key = ctx.project_for_key(native_key_from_request(request.headers, request.query_params), None)
    body = await ctx.read_body(request)
    data = decode_body(body, request.headers.get("content-encoding"), ctx.settings.max_decoded_size)
    meta = IngestMeta(
        client_ip=request.client_ip,
        user_agent=request.headers.get("user-agent"),
    )
    return key, loads_json(data, "body"), meta


def _message(project_id: int, cleaned: dict[str, object], meta: IngestMeta) -> NewMessage:
    # The client's eventId makes a resend (after a lost answer) the same event: storing
    # is idempotent on (project, event_id), as for envelopes.
    event_id = cleaned.get("eventId")
    return NewMessage(
        project_id,
        Kind.NATIVE_ERROR,
        event_id if isinstance(event_id, str) else uuid.uuid4().hex,
        now(),
        orjson.dumps(cleaned),
        meta,
    )


async def create_error(request: IngestRequest) -> IngestResponse:
    ctx: IngestContext = request.ctx
    try:
        key, body, meta = await _read(ctx, request)
        cleaned = validate_native_error(body, request.headers.get("x-app-id"))
        message = _message(key.project_id, cleaned, meta)
        admission = await ctx.admit(key, [message])
        if admission.limited is not None:
            raise admission.limited
        await ctx.enqueue(admission.kept)
        ctx.outcomes.add(key.project_id, "error", "accepted", quantity=len(admission.kept))
        return _json({"success": True, "id": message.event_id})
    except IngestError as exc:
        return _failure(exc)


async def create_errors_batch(request: IngestRequest) -> IngestResponse:
    ctx: IngestContext = request.ctx
    try:
        key, body, meta = await _read(ctx, request)
        project_id = key.project_id
        results = validate_native_batch(body, request.headers.get("x-app-id"))
        messages: list[NewMessage] = []
        items: list[dict[str, object]] = []
        for index, cleaned, error in results:
            if cleaned is None:
                items.append({"index": index, "success": False, "error": error})
                ctx.outcomes.add(project_id, "error", "rejected", "invalid")
                continue
            message = _message(project_id, cleaned, meta)
            messages.append(message)
            items.append({"index": index, "success": True, "id": message.event_id})
        # A batch is admitted whole: if its events do not all fit a limit, none is taken.
        admission = await ctx.admit(key, messages)
        if admission.limited is not None:
            raise admission.limited
        await ctx.enqueue(admission.kept)
        ctx.outcomes.add(project_id, "error", "accepted", quantity=len(admission.kept))
        return _json(
            {
                "success": True,
                "total": len(results),
                "succeeded": len(messages),
                "failed": len(results) - len(messages),
                "results": items,
            }
        )
    except IngestError as exc:
        return _failure(exc)
