"""One JSON object per log line, carrying what joins a log line to its request and its
report: ``request_id``, the W3C ``trace_id``/``span_id`` (from the request's
``traceparent``), ``service`` and ``environment`` (default: the SDK client's).

    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(service="checkout", environment="production"))
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import datetime, timezone
from typing import Any

import faultbox_sdk
from faultbox_sdk.frames import serialize
from faultbox_sdk.request_context import current_request

# A LogRecord's own attributes: everything else on a record came from ``extra=``.
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)


class JsonFormatter(logging.Formatter):
    def __init__(self, *, service: str | None = None, environment: str | None = None) -> None:
        super().__init__()
        self.service = service
        self.environment = environment

    def format(self, record: logging.LogRecord) -> str:
        client = faultbox_sdk.get_client()
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request = current_request()
        if request is not None:
            out["request_id"] = request.request_id
            if request.trace_id:
                out["trace_id"] = request.trace_id
                out["span_id"] = request.span_id
        service = self.service or (client.service_name if client else None)
        environment = self.environment or (client.environment if client else None)
        if service:
            out["service"] = service
        if environment:
            out["environment"] = environment
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            out["exception"] = {
                "type": type(exc).__name__,
                "message": str(exc),
                "stack": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
            }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in out and not key.startswith("_"):
                out[key] = serialize(value)
        return json.dumps(out, ensure_ascii=False, default=str)
