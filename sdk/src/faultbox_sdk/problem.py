"""RFC 9457 problem details (``application/problem+json``) for any exception, shared by
every middleware so FastAPI, Flask and Django apps answer alike.

Members: ``type`` (``https://faultbox.dev/problems/<error_code>``, or ``about:blank`` for a
plain HTTP status), ``title``, ``status``, ``detail``, ``instance`` (the request path),
and the extensions ``error_code``, ``request_id`` and, for ``AppError``, ``details``.

Frameworks' own errors are recognised by class name along the MRO (no framework is
imported here): Starlette/FastAPI ``HTTPException``, werkzeug ``HTTPException``,
Django ``Http404``/``PermissionDenied``/``BadRequest``/``SuspiciousOperation``, and
FastAPI's ``RequestValidationError`` → 422 (FastAPI's documented status, which its
OpenAPI schema declares: clients generated from it expect 422).

Anything else is unexpected: 500 with the detail "Internal Server Error" only — no
exception text, no traceback — unless ``debug`` is on.
"""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from faultbox_sdk.errors import AppError

CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://faultbox.dev/problems/"
INTERNAL = "Internal Server Error"


@dataclass
class Problem:
    status: int
    title: str
    detail: str
    error_code: str
    type: str = "about:blank"
    details: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    expected: bool = False  # a deliberate answer (not reported unless 5xx)
    debug: dict[str, Any] | None = None

    @property
    def reportable(self) -> bool:
        return self.status >= 500 or not self.expected

    def body(self, *, instance: str | None, request_id: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            out["instance"] = instance
        out["error_code"] = self.error_code
        if request_id:
            out["request_id"] = request_id
        if self.details:
            out["details"] = self.details
        if self.debug:
            out["debug"] = self.debug
        return out

    def encode(self, *, instance: str | None, request_id: str | None) -> bytes:
        body = self.body(instance=instance, request_id=request_id)
        return json.dumps(body, ensure_ascii=False, default=str).encode()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _code_for(status: int) -> str:
    return _phrase(status).lower().replace(" ", "_").replace("-", "_").replace("'", "")


def _names(exc: BaseException) -> set[str]:
    return {f"{c.__module__}.{c.__qualname__}" for c in type(exc).__mro__}


def _http(status: int, detail: str | None = None, headers: dict[str, str] | None = None) -> Problem:
    if not 400 <= status <= 599:
        status = 500
    title = _phrase(status)
    return Problem(
        status=status,
        title=title,
        detail=detail if (detail and status < 500) else title,
        error_code=_code_for(status),
        headers=dict(headers or {}),
        expected=True,
    )


def _native(exc: BaseException) -> Problem | None:
    names = _names(exc)
    if "fastapi.exceptions.RequestValidationError" in names:
        errors = exc.errors() if hasattr(exc, "errors") else []
        # Only where and what: a rejected "input" may be the password that was sent.
        fields = [
            {k: e[k] for k in ("loc", "msg", "type") if k in e}
            for e in errors
            if isinstance(e, dict)
        ]
        problem = _http(422, "The request is not valid.")
        problem.error_code = "request_validation_error"
        problem.type = TYPE_BASE + problem.error_code
        problem.details = {"errors": fields}
        return problem
    if "starlette.exceptions.HTTPException" in names:
        detail = getattr(exc, "detail", None)
        return _http(
            int(getattr(exc, "status_code", 500)),
            detail if isinstance(detail, str) else None,
            getattr(exc, "headers", None),
        )
    if "werkzeug.exceptions.HTTPException" in names:
        code = getattr(exc, "code", None) or 500
        headers: dict[str, str] = {}
        try:
            pairs = getattr(exc, "get_headers")()  # noqa: B009 - werkzeug's, not imported
            headers = {k: v for k, v in pairs if k.lower() != "content-type"}
        except Exception:
            pass
        return _http(int(code), getattr(exc, "description", None), headers)
    if "django.http.response.Http404" in names:
        return _http(404, "Not Found")
    if "django.core.exceptions.PermissionDenied" in names:
        return _http(403, "Permission Denied")
    if (
        "django.core.exceptions.BadRequest" in names
        or "django.core.exceptions.SuspiciousOperation" in names
    ):
        return _http(400, "Bad Request")
    return None


def problem_for(exc: BaseException, *, debug: bool = False) -> Problem:
    if isinstance(exc, AppError):
        status = exc.status_code if 400 <= exc.status_code <= 599 else 500
        problem = Problem(
            status=status,
            title=exc.title,
            detail=exc.detail or exc.title,
            error_code=exc.error_code,
            type=TYPE_BASE + exc.error_code,
            details=dict(exc.details) or None,
            headers=dict(exc.headers),
            expected=True,
        )
    else:
        native = _native(exc)
        if native is not None:
            problem = native
        else:
            problem = Problem(
                status=500, title=INTERNAL, detail=INTERNAL, error_code="internal_error"
            )
    if debug:
        problem.debug = {
            "exception": f"{type(exc).__module__}.{type(exc).__qualname__}",
            "message": str(exc),
            "traceback": traceback.format_exception(type(exc), exc, exc.__traceback__),
        }
    return problem
