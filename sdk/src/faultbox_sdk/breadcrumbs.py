"""Breadcrumbs: the trail of what happened before an event, from explicit calls and from
``logging`` records; log records at ``event_level`` and above become events themselves
(sentry-sdk's ``LoggingIntegration`` defaults: INFO breadcrumbs, ERROR events)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from faultbox_sdk.frames import safe_str, serialize

SDK_LOGGER = "faultbox_sdk"
# The SDK logs its own failures here; they must never feed back into it.
_IGNORED = (SDK_LOGGER, "urllib3.connectionpool")

_LEVELS = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
    logging.CRITICAL: "fatal",
}


def level_name(levelno: int) -> str:
    for threshold in (logging.CRITICAL, logging.ERROR, logging.WARNING, logging.INFO):
        if levelno >= threshold:
            return _LEVELS[threshold]
    return "debug"


def make_breadcrumb(
    message: str | None = None,
    *,
    category: str | None = None,
    level: str = "info",
    type: str = "default",
    data: dict[str, Any] | None = None,
    timestamp: float | None = None,
) -> dict[str, Any]:
    crumb: dict[str, Any] = {
        "timestamp": time.time() if timestamp is None else timestamp,
        "type": type,
        "level": level,
    }
    if message is not None:
        crumb["message"] = safe_str(message)
    if category is not None:
        crumb["category"] = category
    if data:
        crumb["data"] = serialize(data)
    return crumb


class LoggingHandler(logging.Handler):
    """Installed on the root logger by ``init``: records become breadcrumbs or events."""

    def __init__(
        self,
        add_breadcrumb: Callable[[dict[str, Any]], None],
        capture_record: Callable[[logging.LogRecord], None],
        breadcrumb_level: int = logging.INFO,
        event_level: int | None = logging.ERROR,
    ) -> None:
        super().__init__(level=logging.NOTSET)
        self._add = add_breadcrumb
        self._capture = capture_record
        self.breadcrumb_level = breadcrumb_level
        self.event_level = event_level

    def emit(self, record: logging.LogRecord) -> None:
        try:
            name = record.name
            if name == SDK_LOGGER or name.startswith(SDK_LOGGER + ".") or name in _IGNORED:
                return
            if self.event_level is not None and record.levelno >= self.event_level:
                self._capture(record)
            if record.levelno >= self.breadcrumb_level:
                self._add(record_breadcrumb(record))
        except Exception:  # a broken record (bad format args) must not reach the app
            pass


def record_breadcrumb(record: logging.LogRecord) -> dict[str, Any]:
    try:
        message = record.getMessage()
    except Exception:
        message = safe_str(record.msg)
    return make_breadcrumb(
        message,
        category=record.name,
        level=level_name(record.levelno),
        type="log",
        timestamp=record.created,
    )
