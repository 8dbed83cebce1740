"""The client: options, building events in the application's thread (the frames die with
the traceback, so they are read at capture time), then sampling, ``before_send``, scrubbing
and a non-blocking hand-off to the transport.

Every public entry point catches its own failures: an SDK error is logged on the
``faultbox_sdk`` logger, never raised into the application.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import random
import socket
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from faultbox_sdk.breadcrumbs import LoggingHandler, level_name, make_breadcrumb
from faultbox_sdk.buffer import Buffer, DiskBuffer, MemoryBuffer
from faultbox_sdk.dsn import parse_dsn
from faultbox_sdk.frames import InApp, exception_values, safe_str, serialize
from faultbox_sdk.http import Post, Sender, urllib_post
from faultbox_sdk.scope import Scope, current_scope
from faultbox_sdk.scrub import Scrubber
from faultbox_sdk.transport import Backoff, Transport
from faultbox_sdk.version import SDK_NAME, VERSION

logger = logging.getLogger("faultbox_sdk")

# Set on an exception once reported: the same exception seen again (asyncio's default
# handler logs what the SDK's asyncio hook already reported; a re-raise caught higher up)
# is not a second event.
_REPORTED = "__faultbox_sdk_reported__"


def _first_report(exc: BaseException) -> bool:
    if getattr(exc, _REPORTED, False):
        return False
    try:
        setattr(exc, _REPORTED, True)
    except Exception:
        pass  # an exception type with __slots__: duplicates are possible, not harmful
    return True


Event = dict[str, Any]
Hint = dict[str, Any]
BeforeSend = Callable[[Event, Hint], "Event | None"]


def default_buffer_dir(dsn: str) -> str:
    """``$XDG_CACHE_HOME/faultbox-sdk/<DSN hash>`` (one outbox per project and server)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    digest = hashlib.sha256(dsn.encode()).hexdigest()[:16]
    return os.path.join(base, "faultbox-sdk", digest)


class Client:
    def __init__(
        self,
        dsn: str,
        *,
        environment: str | None = None,
        release: str | None = None,
        service_name: str | None = None,
        server_name: str | None = None,
        sample_rate: float = 1.0,
        before_send: BeforeSend | None = None,
        mode: str = "native",
        include_locals: bool = True,
        in_app_include: tuple[str, ...] = (),
        in_app_exclude: tuple[str, ...] = (),
        project_root: str | None = None,
        scrub: bool = True,
        scrub_fields: tuple[str, ...] = (),
        disk_buffer: bool = True,
        buffer_dir: str | None = None,
        buffer_max_bytes: int = 8 << 20,
        buffer_max_files: int = 1000,
        max_queue: int = 1000,
        batch_size: int = 100,
        timeout: float = 5.0,
        shutdown_timeout: float = 2.0,
        backoff: Backoff | None = None,
        post: Post = urllib_post,
        rng: random.Random | None = None,
    ) -> None:
        if not 0.0 <= sample_rate <= 1.0:
            raise ValueError("sample_rate must be between 0 and 1")
        self.dsn = parse_dsn(dsn)
        self.environment = environment
        self.release = release
        self.service_name = service_name
        self.server_name = server_name if server_name is not None else socket.gethostname()
        self.sample_rate = sample_rate
        self.before_send = before_send
        self.include_locals = include_locals
        self.in_app = InApp(
            tuple(in_app_include),
            tuple(in_app_exclude),
            project_root if project_root is not None else os.getcwd(),
        )
        self.scrubber = Scrubber(extra_fields=tuple(scrub_fields)) if scrub else None
        self.shutdown_timeout = shutdown_timeout
        self._rng = rng or random.Random()
        self.last_event_id: str | None = None
        buffer: Buffer
        if disk_buffer:
            directory = buffer_dir or default_buffer_dir(self.dsn.raw)
            try:
                buffer = DiskBuffer(directory, buffer_max_bytes, buffer_max_files)
            except OSError as exc:
                logger.warning(
                    "faultbox_sdk: no disk buffer at %s (%s); memory only", directory, exc
                )
                buffer = MemoryBuffer(max_queue)
        else:
            buffer = MemoryBuffer(max_queue)
        sender = Sender(self.dsn, mode, timeout, post)
        self.transport = Transport(
            sender, buffer, max_queue=max_queue, batch_size=batch_size, backoff=backoff
        )
        self._closed = False
        atexit.register(self._at_exit)

    # -- building events -------------------------------------------------------------

    def _base_event(self, level: str) -> Event:
        event: Event = {
            "event_id": uuid.uuid4().hex,
            "timestamp": time.time(),
            "platform": "python",
            "level": level,
            "server_name": self.server_name,
            "sdk": {"name": SDK_NAME, "version": VERSION},
        }
        if self.release:
            event["release"] = self.release
        if self.environment:
            event["environment"] = self.environment
        if self.service_name:
            event["tags"] = {"service": self.service_name}
        return event

    def exception_event(
        self, exc: BaseException, *, handled: bool = True, mechanism: str = "generic"
    ) -> Event:
        event = self._base_event("fatal" if not handled else "error")
        event["exception"] = {
            "values": exception_values(
                exc,
                self.in_app,
                with_locals=self.include_locals,
                mechanism={"type": mechanism, "handled": handled},
            )
        }
        return event

    def message_event(self, message: str, level: str = "info") -> Event:
        event = self._base_event(level)
        event["message"] = safe_str(message)
        return event

    def record_event(self, record: logging.LogRecord) -> Event | None:
        """None when the record's exception was already reported."""
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and not _first_report(exc):
            return None
        if exc is not None:
            event = self.exception_event(exc, handled=True, mechanism="logging")
            event["level"] = level_name(record.levelno)
        else:
            event = self._base_event(level_name(record.levelno))
        try:
            formatted = record.getMessage()
        except Exception:
            formatted = safe_str(record.msg)
        event["logger"] = record.name
        event["logentry"] = {
            "message": safe_str(record.msg),
            "params": serialize(list(record.args)) if isinstance(record.args, tuple) else [],
            "formatted": formatted,
        }
        return event

    # -- sending ---------------------------------------------------------------------

    def capture_event(
        self, event: Event, hint: Hint | None = None, scope: Scope | None = None
    ) -> str | None:
        """Apply the scope, sample, ``before_send``, scrub, queue. Returns the event id,
        or None when the event was dropped (sampled out, vetoed, queue full, an error)."""
        try:
            if self._closed:
                return None
            if self.sample_rate < 1.0 and self._rng.random() >= self.sample_rate:
                return None
            (scope or current_scope()).apply(event)
            if self.before_send is not None:
                try:
                    result = self.before_send(event, hint or {})
                except Exception:
                    # A failing hook may have been meant to remove something: do not send.
                    logger.exception("faultbox_sdk: before_send raised; the event is dropped")
                    return None
                if result is None:
                    return None
                event = result
            if self.scrubber is not None:
                event = self.scrubber.event(event)
            event_id = str(event["event_id"])
            if not self.transport.submit(event):
                return None
            self.last_event_id = event_id
            return event_id
        except Exception:
            logger.exception("faultbox_sdk: could not capture an event")
            return None

    def capture_exception(
        self,
        error: BaseException | None = None,
        *,
        handled: bool = True,
        mechanism: str = "generic",
        scope: Scope | None = None,
    ) -> str | None:
        try:
            if error is None:
                error = sys.exc_info()[1]
                if error is None:
                    return None
            if not _first_report(error):
                return None
            event = self.exception_event(error, handled=handled, mechanism=mechanism)
        except Exception:
            logger.exception("faultbox_sdk: could not read an exception")
            return None
        return self.capture_event(event, {"exception": error}, scope)

    def capture_message(
        self, message: str, level: str = "info", scope: Scope | None = None
    ) -> str | None:
        try:
            event = self.message_event(message, level)
        except Exception:
            logger.exception("faultbox_sdk: could not build a message event")
            return None
        return self.capture_event(event, {}, scope)

    def capture_record(self, record: logging.LogRecord) -> None:
        try:
            event = self.record_event(record)
        except Exception:
            return
        if event is not None:
            self.capture_event(event, {"log_record": record})

    def add_breadcrumb(self, crumb: dict[str, Any] | None = None, **fields: Any) -> None:
        try:
            if crumb is None:
                crumb = make_breadcrumb(**fields)
            else:
                crumb = {"timestamp": time.time(), **serialize(dict(crumb))}
            current_scope().add_breadcrumb(crumb)
        except Exception:
            logger.exception("faultbox_sdk: could not add a breadcrumb")

    def logging_handler(
        self, breadcrumb_level: int = logging.INFO, event_level: int | None = logging.ERROR
    ) -> LoggingHandler:
        return LoggingHandler(current_scope_add, self.capture_record, breadcrumb_level, event_level)

    def flush(self, timeout: float = 2.0) -> bool:
        try:
            return self.transport.flush(timeout)
        except Exception:
            logger.exception("faultbox_sdk: flush failed")
            return False

    def close(self, timeout: float | None = None) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            atexit.unregister(self._at_exit)
            self.transport.close(self.shutdown_timeout if timeout is None else timeout)
        except Exception:
            logger.exception("faultbox_sdk: close failed")

    def _at_exit(self) -> None:
        self.close()


def current_scope_add(crumb: dict[str, Any]) -> None:
    current_scope().add_breadcrumb(crumb)
