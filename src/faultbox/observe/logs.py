"""Logging setup shared by every Faultbox process.

One handler on the root logger, writing to stderr: text lines for a terminal, or
(``log_format = json``) one JSON object per line for a log shipper, with the
time (ISO 8601, UTC), level, logger, message, the process role (``serve`` or
``worker``) and pid, the exception text when there is one, and any ``extra`` fields.
uvicorn's loggers propagate to it, so its error and access lines take the same form.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from faultbox.config import Settings

_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
# uvicorn adds the message again with terminal colour codes; a log shipper wants it once.
_NOT_FIELDS = [*RESERVED_ATTRS, "color_message"]


def json_formatter(role: str) -> logging.Formatter:
    return JsonFormatter(
        "%(levelname)s %(name)s %(process)d %(message)s",
        rename_fields={
            "levelname": "level",
            "name": "logger",
            "process": "pid",
            "exc_info": "exception",
        },
        static_fields={"role": role},
        reserved_attrs=_NOT_FIELDS,
        timestamp="time",
    )


def text_formatter(role: str) -> logging.Formatter:
    # serve's lines keep their historical form; the worker's name themselves.
    suffix = "" if role == "serve" else f"[{role}]"
    return logging.Formatter(f"%(asctime)s %(levelname)s %(name)s{suffix}: %(message)s")


def setup_logging(settings: Settings, role: str) -> None:
    """Replace whatever handlers are installed (a second call, uvicorn's defaults)
    by one stderr handler in the configured format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        json_formatter(role) if settings.log_format == "json" else text_formatter(role)
    )
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in _UVICORN_LOGGERS:
        # Undo what an earlier uvicorn or logging config set: their own handlers, a
        # level of their own, or being disabled.
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.setLevel(logging.NOTSET)
        logger.propagate = True
        logger.disabled = False
    # Python's warnings become log lines too, so a JSON log stays all JSON.
    logging.captureWarnings(True)
