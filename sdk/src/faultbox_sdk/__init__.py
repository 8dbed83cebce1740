"""faultbox-sdk: report errors from Python applications to Faultbox.

    import faultbox_sdk
    faultbox_sdk.init(dsn="http://<key>@faultbox.example.com/1", environment="production")
    try:
        ...
    except Exception:
        faultbox_sdk.capture_exception()

Standard library only.  Nothing here raises into the application once ``init`` has
accepted its options (a bad DSN or option is the one error ``init`` raises).
"""

from __future__ import annotations

import logging
from typing import Any

from faultbox_sdk.breadcrumbs import LoggingHandler
from faultbox_sdk.client import BeforeSend, Client
from faultbox_sdk.hooks import Hooks
from faultbox_sdk.scope import Scope, current_scope, push_scope, reset_global_scope
from faultbox_sdk.version import VERSION

__version__ = VERSION
__all__ = [
    "Client",
    "Scope",
    "add_breadcrumb",
    "capture_exception",
    "capture_message",
    "close",
    "flush",
    "get_client",
    "init",
    "last_event_id",
    "push_scope",
    "set_context",
    "set_extra",
    "set_tag",
    "set_user",
]

logger = logging.getLogger("faultbox_sdk")

_client: Client | None = None
_hooks: Hooks | None = None
_handler: LoggingHandler | None = None


def init(
    dsn: str,
    *,
    environment: str | None = None,
    release: str | None = None,
    service_name: str | None = None,
    sample_rate: float = 1.0,
    before_send: BeforeSend | None = None,
    mode: str = "native",
    install_hooks: bool = True,
    logging_breadcrumb_level: int = logging.INFO,
    logging_event_level: int | None = logging.ERROR,
    **options: Any,
) -> Client:
    """Start reporting.  ``mode``: ``"native"`` (Faultbox's batch API) or ``"envelope"``
    (Sentry envelopes, for any Sentry-compatible server).  A second call replaces the
    first client (which is flushed and closed).  More options: see :class:`Client`."""
    global _client, _hooks, _handler
    # The previous client goes first: it may be sending from the same outbox folder.
    close()
    client = Client(
        dsn,
        environment=environment,
        release=release,
        service_name=service_name,
        sample_rate=sample_rate,
        before_send=before_send,
        mode=mode,
        **options,
    )
    reset_global_scope()
    _client = client
    if install_hooks:
        _hooks = Hooks(_capture_exception_hook, capture_message)
        _hooks.install()
    _handler = client.logging_handler(logging_breadcrumb_level, logging_event_level)
    logging.getLogger().addHandler(_handler)
    return client


def get_client() -> Client | None:
    return _client


def close(timeout: float | None = None) -> None:
    """Flush and stop; hooks and the logging handler are removed."""
    global _client, _hooks, _handler
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler = None
    if _hooks is not None:
        _hooks.uninstall()
        _hooks = None
    if _client is not None:
        client, _client = _client, None
        client.close(timeout)


def flush(timeout: float = 2.0) -> bool:
    """Wait up to ``timeout`` seconds for delivery; True when nothing is left to send."""
    return _client.flush(timeout) if _client is not None else True


def capture_exception(error: BaseException | None = None) -> str | None:
    """Report ``error`` (default: the exception being handled); returns the event id."""
    return _client.capture_exception(error) if _client is not None else None


def _capture_exception_hook(
    error: BaseException, *, handled: bool = False, mechanism: str = "generic"
) -> str | None:
    if _client is None:
        return None
    event_id = _client.capture_exception(error, handled=handled, mechanism=mechanism)
    if not handled:
        # The process (or thread) is about to die: deliver now, within the timeout.
        _client.flush(_client.shutdown_timeout)
    return event_id


def capture_message(message: str, level: str = "info") -> str | None:
    return _client.capture_message(message, level) if _client is not None else None


def add_breadcrumb(
    message: str | None = None,
    *,
    category: str | None = None,
    level: str = "info",
    type: str = "default",
    data: dict[str, Any] | None = None,
) -> None:
    if _client is not None:
        _client.add_breadcrumb(
            message=message, category=category, level=level, type=type, data=data
        )


def set_user(user: dict[str, Any] | None) -> None:
    current_scope().set_user(user)


def set_tag(key: str, value: object) -> None:
    current_scope().set_tag(key, value)


def set_context(name: str, value: dict[str, Any] | None) -> None:
    current_scope().set_context(name, value)


def set_extra(key: str, value: object) -> None:
    current_scope().set_extra(key, value)


def last_event_id() -> str | None:
    return _client.last_event_id if _client is not None else None
