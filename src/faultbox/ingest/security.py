"""Browser security reports (CSP, Expect-CT, HPKP, Expect-Staple) → Sentry-shaped events.

Browsers post these themselves, authenticated by ``?sentry_key=`` in the report
URL.  Like Sentry, Faultbox stores each report as an event so that violations
group into issues ("Blocked 'script' from 'evil.example'").
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import orjson

from faultbox.ingest.accept import IngestContext, now
from faultbox.ingest.auth import auth_from_request
from faultbox.ingest.errors import BadRequest, IngestError, UnsupportedMediaType
from faultbox.ingest.http import IngestRequest, IngestResponse
from faultbox.ingest.limits import decode_body, loads_json
from faultbox.ingest.sentry_routes import CORS_HEADERS, sentry_error
from faultbox.queue.base import IngestMeta, Kind, NewMessage

ACCEPTED_TYPES = (
    "application/csp-report",
    "application/json",
    "application/expect-ct-report",
    "application/expect-ct-report+json",
    "application/expect-staple-report",
    "application/reports+json",
)


def _host(uri: object) -> str:
    text = str(uri or "")
    if text in ("self", "inline", "eval", "data", "blob"):
        return text
    return urlsplit(text).netloc or text or "unknown"


def report_to_event(report: object) -> dict[str, Any]:
    """Build the event for one report body, or raise BadRequest for an unknown shape."""
    if not isinstance(report, dict):
        raise BadRequest("security report must be a JSON object")
    if isinstance(report.get("csp-report"), dict):
        csp = report["csp-report"]
        directive = str(
            csp.get("effective-directive") or csp.get("violated-directive") or "unknown"
        ).split(" ")[0]
        blocked = _host(csp.get("blocked-uri"))
        return _event(
            "csp",
            f"Blocked '{directive}' from '{blocked}'",
            csp.get("document-uri"),
            {"effective-directive": directive, "blocked-uri": blocked},
            csp,
        )
    for key, label in (
        ("expect-ct-report", "Expect-CT"),
        ("expect-staple-report", "Expect-Staple"),
    ):
        if isinstance(report.get(key), dict):
            body = report[key]
            host = str(body.get("hostname") or "unknown")
            return _event(key, f"{label} failed for '{host}'", None, {"hostname": host}, body)
    if "known-pins" in report or "served-certificate-chain" in report:
        host = str(report.get("hostname") or "unknown")
        message = f"Public key pinning validation failed for '{host}'"
        return _event("hpkp", message, None, {"hostname": host}, report)
    raise BadRequest(
        "unknown security report: expected csp-report, expect-ct-report, "
        "expect-staple-report or an HPKP report"
    )


def _event(
    kind: str, message: str, url: object, tags: dict[str, str], report: dict[str, Any]
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "level": "warning",
        "logger": kind,
        "platform": "javascript",
        "message": message,
        "tags": tags,
        "extra": {kind: report},
    }
    if isinstance(url, str) and url:
        event["request"] = {"url": url}
    return event


async def security_endpoint(request: IngestRequest) -> IngestResponse:
    ctx: IngestContext = request.ctx
    try:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ACCEPTED_TYPES:
            raise UnsupportedMediaType(f"unsupported content type {content_type!r} for a report")
        auth = auth_from_request(request.headers, request.query_params)
        key = ctx.project_for_key(auth.public_key, request.path_params["project_id"])
        body = await ctx.read_body(request)
        data = decode_body(
            body, request.headers.get("content-encoding"), ctx.settings.max_event_size
        )
        event = report_to_event(loads_json(data, "report"))
        for param, field in (("sentry_release", "release"), ("sentry_environment", "environment")):
            if request.query_params.get(param):
                event[field] = request.query_params[param][:200]
        meta = IngestMeta(
            client_ip=request.client_ip,
            user_agent=request.headers.get("user-agent"),
        )
        message = NewMessage(
            key.project_id, Kind.SENTRY_EVENT, event["event_id"], now(), orjson.dumps(event), meta
        )
        admission = await ctx.admit(key, [message], "security")
        if admission.limited is not None:
            raise admission.limited
        await ctx.enqueue(admission.kept)
        ctx.outcomes.add(key.project_id, "security", "accepted", quantity=len(admission.kept))
        return IngestResponse(200, b"", CORS_HEADERS)
    except IngestError as exc:
        return sentry_error(exc)
