"""The application's own exceptions: each carries what an HTTP answer needs (``status_code``,
a stable ``error_code`` for clients to branch on, a public ``detail`` and structured
``details``), so views raise and the middleware answers (``problem.py``).

``detail`` and ``details`` are public: they are shown to the client even in production,
so they must never carry internals.  Expected client errors (status < 500) are not
reported to Faultbox; 5xx ones are.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status_code: int = 500
    error_code: str = "app_error"
    title: str = "Application Error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        error_code: str | None = None,
        status_code: int | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        if error_code is not None:
            self.error_code = error_code
        if status_code is not None:
            self.status_code = status_code
        self.details: dict[str, Any] = dict(details or {})
        self.headers: dict[str, str] = dict(headers or {})

    @property
    def expected(self) -> bool:
        """A client error the app meant to answer: not reported."""
        return self.status_code < 500


class ValidationError(AppError):
    status_code = 400
    error_code = "validation_error"
    title = "Validation Failed"

    def __init__(
        self,
        detail: str | None = None,
        *,
        fields: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(detail, **kwargs)
        if fields:
            self.details["fields"] = dict(fields)


class AuthenticationError(AppError):
    status_code = 401
    error_code = "authentication_required"
    title = "Authentication Required"


class PermissionDenied(AppError):
    status_code = 403
    error_code = "permission_denied"
    title = "Permission Denied"


class NotFound(AppError):
    status_code = 404
    error_code = "not_found"
    title = "Not Found"


class Conflict(AppError):
    status_code = 409
    error_code = "conflict"
    title = "Conflict"


class RateLimited(AppError):
    status_code = 429
    error_code = "rate_limited"
    title = "Too Many Requests"

    def __init__(self, detail: str | None = None, *, retry_after: int | None = None, **kwargs: Any):
        super().__init__(detail, **kwargs)
        if retry_after is not None:
            self.headers.setdefault("Retry-After", str(int(retry_after)))


class ExternalServiceError(AppError):
    status_code = 502
    error_code = "external_service_error"
    title = "Bad Gateway"

    def __init__(self, detail: str | None = None, *, service: str | None = None, **kwargs: Any):
        super().__init__(detail, **kwargs)
        if service:
            self.details.setdefault("service", service)


class ServiceUnavailable(AppError):
    status_code = 503
    error_code = "service_unavailable"
    title = "Service Unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: int | None = None, **kwargs: Any):
        super().__init__(detail, **kwargs)
        if retry_after is not None:
            self.headers.setdefault("Retry-After", str(int(retry_after)))


class DataIntegrityError(AppError):
    status_code = 500
    error_code = "data_integrity_error"
    title = "Data Integrity Error"


ALL_ERRORS: tuple[type[AppError], ...] = (
    AppError,
    ValidationError,
    AuthenticationError,
    PermissionDenied,
    NotFound,
    Conflict,
    RateLimited,
    ExternalServiceError,
    ServiceUnavailable,
    DataIntegrityError,
)
