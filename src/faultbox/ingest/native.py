"""Validation of the native ``POST /api/v1/errors[/batch]`` payloads.

The field rules are the existing CreateErrorLogDto contract, declared once in ``FIELDS``,
plus the optional structured fields an SDK captures (``native_structured.py``).
Hand-written checks instead of pydantic: this runs once per event on the hot path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from faultbox.ingest import native_structured as structured
from faultbox.ingest.errors import BadRequest

SOURCE_TYPES = ("backend", "frontend_web", "frontend_mobile")
SEVERITIES = ("debug", "info", "warning", "error", "critical")


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    check: Callable[[Field, object], object]
    max_length: int | None = None
    required: bool = False
    choices: tuple[str, ...] = ()


def _string(field: Field, value: object) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"{field.name} must be a string")
    if field.max_length is not None and len(value) > field.max_length:
        raise BadRequest(f"{field.name} is longer than {field.max_length} characters")
    return value


def _non_empty_string(field: Field, value: object) -> str:
    text = _string(field, value)
    if not text.strip():
        raise BadRequest(f"{field.name} must not be empty")
    return text


def _choice(field: Field, value: object) -> str:
    if value not in field.choices:
        raise BadRequest(f"{field.name} must be one of {', '.join(field.choices)}")
    return str(value)


def _object(field: Field, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest(f"{field.name} must be a JSON object")
    return value


def _object_or_string(field: Field, value: object) -> dict[str, Any] | str:
    if not isinstance(value, dict | str):
        raise BadRequest(f"{field.name} must be a JSON object or a string")
    return value


def _status_code(field: Field, value: object) -> int:
    # JSON encoders in some languages write integral numbers as 500.0.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if type(value) is not int or not 100 <= value <= 599:
        raise BadRequest(f"{field.name} must be an integer between 100 and 599")
    return value


def _fingerprint(field: Field, value: object) -> str | list[str]:
    if isinstance(value, str):
        return _string(field, value)
    if not isinstance(value, list) or not all(isinstance(part, str) for part in value):
        raise BadRequest(f"{field.name} must be a string or a list of strings")
    for index, part in enumerate(value):
        if field.max_length is not None and len(part) > field.max_length:
            raise BadRequest(f"{field.name}[{index}] is longer than {field.max_length} characters")
    return value


def _timestamp(field: Field, value: object) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"{field.name} must be an ISO 8601 string")
    try:
        moment = datetime.fromisoformat(value.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)  # the contract says naive times are UTC
        return moment.astimezone(UTC).isoformat()
    except (ValueError, OverflowError):
        raise BadRequest(
            f"{field.name} is not an ISO 8601 timestamp: {value[:64]!r}"
            " (expected e.g. 2024-05-01T12:30:00Z)"
        ) from None


def _structured(check: Callable[[str, object], object]) -> Callable[[Field, object], object]:
    return lambda field, value: check(field.name, value)


FIELDS: tuple[Field, ...] = (
    Field("errorCode", _non_empty_string, 100, required=True),
    Field("errorType", _string, 100, required=True),
    Field("message", _string, 5000, required=True),
    Field("stackTrace", _string, 50000),
    Field("appId", _string, 100),
    Field("sourceType", _choice, choices=SOURCE_TYPES),
    Field("serviceName", _string, 200),
    Field("userId", _string, 200),
    Field("sessionId", _string, 200),
    Field("requestUrl", _string, 4096),
    Field("requestMethod", _string, 16),
    Field("requestHeaders", _object),
    Field("requestBody", _object_or_string),
    Field("responseStatusCode", _status_code),
    Field("environment", _structured(structured.environment)),
    Field("severity", _choice, choices=SEVERITIES),
    Field("context", _object),
    Field("fingerprint", _fingerprint, 200),
    Field("browserInfo", _object),
    Field("deviceInfo", _object),
    Field("userAgent", _string, 1000),
    Field("occurredAt", _timestamp),
    # What an SDK captures beyond a text trace; shapes as in Sentry's event payload.
    Field("eventId", _structured(structured.event_id)),
    Field("release", _structured(structured.release)),
    Field("platform", _structured(structured.platform)),
    Field("tags", _structured(structured.tags)),
    Field("breadcrumbs", _structured(structured.breadcrumbs)),
    Field("exception", _structured(structured.exception)),
)
_APP_ID_HEADER = Field("X-App-Id header", _string, 100)


def validate_native_error(obj: object, app_id_header: str | None) -> dict[str, Any]:
    """Return only the known fields, checked; raise BadRequest naming the first bad field.

    ``appId`` falls back to the X-App-Id header; ``occurredAt`` becomes ISO 8601 in UTC.
    """
    return _validate(obj, app_id_header, "body")


def validate_native_batch(
    obj: object, app_id_header: str | None, max_items: int = 1000
) -> list[tuple[int, dict[str, Any] | None, str | None]]:
    """Validate ``{"errors": [...]}`` (or a bare list) item by item.

    Returns ``(index, cleaned, None)`` or ``(index, None, reason)`` per item, so one bad item
    does not cost the others; only a malformed batch as a whole raises BadRequest.
    """
    if isinstance(obj, dict):
        if "errors" not in obj:
            raise BadRequest("errors is required")
        items = obj["errors"]
    elif isinstance(obj, list):
        items = obj
    else:
        raise BadRequest('body must be a JSON object like {"errors": [...]}')
    if not isinstance(items, list):
        raise BadRequest("errors must be a list")
    if not items:
        raise BadRequest("errors must not be empty")
    if len(items) > max_items:
        raise BadRequest(f"errors has {len(items)} items, at most {max_items} are allowed")

    results: list[tuple[int, dict[str, Any] | None, str | None]] = []
    for index, item in enumerate(items):
        try:
            results.append((index, _validate(item, app_id_header, f"errors[{index}]"), None))
        except BadRequest as exc:
            results.append((index, None, exc.detail))
    return results


def _validate(obj: object, app_id_header: str | None, what: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise BadRequest(f"{what} must be a JSON object")
    cleaned: dict[str, Any] = {}
    for field in FIELDS:
        value = obj.get(field.name)
        if value is None:
            # null is how JSON clients spell "not set" for optional fields.
            if field.required:
                raise BadRequest(f"{field.name} is required")
            continue
        cleaned[field.name] = field.check(field, value)
    if "appId" not in cleaned and app_id_header is not None and app_id_header.strip():
        cleaned["appId"] = _string(_APP_ID_HEADER, app_id_header.strip())
    return cleaned
