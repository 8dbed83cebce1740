"""Sentry ingestion endpoints: /api/<project_id>/envelope/ and /api/<project_id>/store/.

Hot path: authenticate, bound, decode, split the envelope, enqueue the event
items durably, answer like Sentry.  No grouping, no joins (design rule 2).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson

from faultbox.ingest.accept import Backpressure, IngestContext, now
from faultbox.ingest.auth import auth_from_request
from faultbox.ingest.checkins import clean_check_in
from faultbox.ingest.envelope import Envelope, EnvelopeItem, normalize_event_id, parse_envelope
from faultbox.ingest.errors import BadRequest, IngestError
from faultbox.ingest.http import IngestRequest, IngestResponse
from faultbox.ingest.limits import decode_body, decode_store_body, loads_json_object
from faultbox.ingest.outcomes import CATEGORY_OF_ITEM
from faultbox.ingest.rate_limits import RateLimited
from faultbox.ingest.sessions import clean_session, clean_sessions
from faultbox.queue.base import IngestMeta, Kind, NewMessage

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "X-Sentry-Error, X-Sentry-Rate-Limits, Retry-After",
}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": (
        "x-sentry-auth, x-requested-with, origin, accept, content-type, content-encoding, "
        "authorization, sentry-trace, baggage, x-faultbox-key, x-app-id"
    ),
    "Access-Control-Max-Age": "3600",
}
_ENVELOPE_TYPES = ("application/x-sentry-envelope",)


def sentry_error(exc: IngestError) -> IngestResponse:
    headers = {**CORS_HEADERS, "X-Sentry-Error": exc.detail}
    if isinstance(exc, Backpressure):
        headers["Retry-After"] = str(exc.retry_after)
        # Empty categories = every category (protocol doc §9).
        headers["X-Sentry-Rate-Limits"] = f"{exc.retry_after}::organization:queue_full"
    elif isinstance(exc, RateLimited):
        headers.update(exc.headers())
    return IngestResponse(exc.status, orjson.dumps({"detail": exc.detail}), headers)


def _ok(event_id: str | None, limited: RateLimited | None = None) -> IngestResponse:
    body = orjson.dumps({"id": event_id} if event_id else {})
    if limited is None:
        return IngestResponse(200, body, CORS_HEADERS)
    # Some items went through: 200, and the header tells the SDK to hold its events.
    headers = {**CORS_HEADERS, "X-Sentry-Rate-Limits": limited.sentry_header}
    return IngestResponse(200, body, headers)


def _meta(request: IngestRequest, sent_at: float | None = None) -> IngestMeta:
    return IngestMeta(
        client_ip=request.client_ip,
        user_agent=request.headers.get("user-agent"),
        sent_at=sent_at,
    )


async def preflight(request: IngestRequest) -> IngestResponse:
    return IngestResponse(200, b"", PREFLIGHT_HEADERS)


async def _decoded_body(ctx: IngestContext, request: IngestRequest) -> bytes:
    body = await ctx.read_body(request)
    encoding = request.headers.get("content-encoding")
    return decode_body(body, encoding, ctx.settings.max_decoded_size)


async def envelope_endpoint(request: IngestRequest) -> IngestResponse:
    ctx: IngestContext = request.ctx
    try:
        data = await _decoded_body(ctx, request)
        envelope = parse_envelope(data, _item_limits(ctx))
        return await _accept_envelope(ctx, request, envelope, request.path_params["project_id"])
    except IngestError as exc:
        return sentry_error(exc)


async def store_endpoint(request: IngestRequest) -> IngestResponse:
    ctx: IngestContext = request.ctx
    try:
        data = await _decoded_body(ctx, request)
        project_id = request.path_params["project_id"]
        if request.headers.get("content-type", "").startswith(_ENVELOPE_TYPES):
            envelope = parse_envelope(data, _item_limits(ctx))
            return await _accept_envelope(ctx, request, envelope, project_id)
        raw = decode_store_body(data)
        if len(raw) > ctx.settings.max_event_size:
            raise BadRequest(f"event exceeds {ctx.settings.max_event_size} bytes")
        payload = loads_json_object(raw, "event", check_depth=False)
        auth = auth_from_request(request.headers, request.query_params)
        key = ctx.project_for_key(auth.public_key, project_id)
        event_id = normalize_event_id(payload.get("event_id")) or uuid.uuid4().hex
        if payload.get("type") == "transaction":
            ctx.outcomes.add(key.project_id, "transaction", "dropped", "not_stored")
            return _ok(event_id)
        message = NewMessage(
            key.project_id, Kind.SENTRY_EVENT, event_id, now(), raw, _meta(request)
        )
        admission = await ctx.admit(key, [message])
        if admission.limited is not None:
            raise admission.limited
        await ctx.enqueue(admission.kept)
        ctx.outcomes.add(key.project_id, "error", "accepted", quantity=len(admission.kept))
        return _ok(event_id)
    except IngestError as exc:
        return sentry_error(exc)


def _item_limits(ctx: IngestContext) -> dict[str, int]:
    event_limit = ctx.settings.max_event_size
    return {
        "event": event_limit,
        "transaction": event_limit,
        "feedback": event_limit,
        "user_report": 100 * 1024,
        "client_report": 100 * 1024,
        "check_in": 100 * 1024,
    }


async def _accept_envelope(
    ctx: IngestContext, request: IngestRequest, envelope: Envelope, path_project_id: str
) -> IngestResponse:
    dsn = envelope.headers.get("dsn")
    auth = auth_from_request(
        request.headers, request.query_params, dsn if isinstance(dsn, str) else None
    )
    key = ctx.project_for_key(auth.public_key, path_project_id)
    project_id = key.project_id
    header_event_id = normalize_event_id(envelope.headers.get("event_id"))
    meta = _meta(request, _sent_at(envelope.headers.get("sent_at")))
    received = now()
    messages: list[NewMessage] = []
    answer_id = header_event_id
    refusals: list[BadRequest] = []
    for index, item in enumerate(envelope.items):
        category = CATEGORY_OF_ITEM.get(item.type, "default")
        try:
            if item.type == "event":
                payload = loads_json_object(
                    item.payload, f"item {index} (event)", check_depth=False
                )
                event_id = (
                    header_event_id
                    or normalize_event_id(payload.get("event_id"))
                    or uuid.uuid4().hex
                )
                answer_id = answer_id or event_id
                messages.append(
                    NewMessage(
                        project_id, Kind.SENTRY_EVENT, event_id, received, item.payload, meta
                    )
                )
            elif item.type in ("user_report", "feedback"):
                messages.append(
                    _user_report(item, index, project_id, header_event_id, received, meta)
                )
            elif item.type == "client_report":
                _count_client_report(ctx, project_id, item)
            elif item.type in ("check_in", "session", "sessions"):
                messages.append(_health_message(item, index, project_id, received, meta))
            else:
                # Accepted and dropped: transactions, attachments, logs, spans…
                ctx.outcomes.add(project_id, category, "dropped", "not_stored", _quantity(item))
        except BadRequest as refusal:
            # One bad item (a malformed session beside an error, say) must not cost the
            # envelope's other items: drop it and count it, as Relay does.
            refusals.append(refusal)
            ctx.outcomes.add(project_id, category, "invalid", f"invalid_{item.type}"[:64])
    if refusals and not messages:
        # Nothing usable: the sender gets the reason rather than a silent 200.
        raise refusals[0]
    admission = await ctx.admit(key, messages)
    if admission.limited is not None and not admission.kept:
        raise admission.limited
    await ctx.enqueue(admission.kept)
    for m in admission.kept:
        ctx.outcomes.add(project_id, _CATEGORY_OF_KIND.get(m.kind, "feedback"), "accepted")
    return _ok(answer_id, admission.limited)


_CATEGORY_OF_KIND = {
    Kind.SENTRY_EVENT: "error",
    Kind.CHECK_IN: "monitor",
    Kind.SESSIONS: "session",
}


def _health_message(
    item: EnvelopeItem, index: int, project_id: int, received: float, meta: IngestMeta
) -> NewMessage:
    """A cron check-in or release-health session item, checked and reduced here so
    that garbage gets its 400 now rather than a dead letter later."""
    label = f"item {index} ({item.type})"
    payload = loads_json_object(item.payload, label)
    if item.type == "check_in":
        try:
            check_in = clean_check_in(payload)
        except BadRequest as error:
            raise BadRequest(f"{label}: {error.detail}") from None
        body, message_id, kind = check_in, check_in["check_in_id"], Kind.CHECK_IN
    else:
        clean = clean_session if item.type == "session" else clean_sessions
        body, message_id, kind = clean(payload, label), uuid.uuid4().hex, Kind.SESSIONS
    return NewMessage(project_id, kind, message_id, received, orjson.dumps(body), meta)


def _user_report(
    item: EnvelopeItem,
    index: int,
    project_id: int,
    header_event_id: str | None,
    received: float,
    meta: IngestMeta,
) -> NewMessage:
    payload = loads_json_object(item.payload, f"item {index} ({item.type})")
    if item.type == "feedback":
        contexts = payload.get("contexts")
        feedback = contexts.get("feedback") if isinstance(contexts, dict) else None
        associated = feedback.get("associated_event_id") if isinstance(feedback, dict) else None
        event_id = normalize_event_id(associated) or normalize_event_id(payload.get("event_id"))
    else:
        event_id = normalize_event_id(payload.get("event_id")) or header_event_id
    if event_id is None:
        raise BadRequest(f"item {index} ({item.type}) names no event_id")
    return NewMessage(project_id, Kind.USER_REPORT, event_id, received, item.payload, meta)


def _count_client_report(ctx: IngestContext, project_id: int, item: EnvelopeItem) -> None:
    try:
        report = orjson.loads(item.payload)
    except orjson.JSONDecodeError:
        ctx.outcomes.add(project_id, "internal", "dropped", "invalid_client_report")
        return
    discarded = report.get("discarded_events") if isinstance(report, dict) else None
    for entry in discarded if isinstance(discarded, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("quantity"), int):
            ctx.outcomes.add(
                project_id,
                str(entry.get("category", "default")),
                "client_discard",
                str(entry.get("reason", "")),
                entry["quantity"],
            )


def _quantity(item: EnvelopeItem) -> int:
    count = item.headers.get("item_count")
    return count if isinstance(count, int) and count > 0 else 1


def _sent_at(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
