"""tinyweb: the smallest web framework, standing in for Flask or Starlette.

Like their Sentry integrations it reports what a handler raises, so the captured
stacks start in library code, as they do in production.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import sentry_sdk


def dispatch(handler: Callable[..., Any], *args: Any) -> Any:
    try:
        return handler(*args)
    except Exception:
        sentry_sdk.capture_exception()
        return None


def dispatch_async(handler: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> Any:
    try:
        return asyncio.run(handler(*args))
    except Exception:
        sentry_sdk.capture_exception()
        return None
