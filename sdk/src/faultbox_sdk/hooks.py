"""Global hooks: uncaught exceptions in the main thread (``sys.excepthook``), in other
threads (``threading.excepthook``) and in asyncio (each loop's exception handler, for loops
that exist at ``init`` and for loops the current policy creates later).

Each hook reports, then calls the hook that was there before, so the application's own
handlers and the default printing still run.  ``uninstall`` puts the previous ones back.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import warnings
from collections.abc import Callable
from types import TracebackType
from typing import Any

Capture = Callable[..., Any]


class Hooks:
    def __init__(self, capture_exception: Capture, capture_message: Capture) -> None:
        self._capture = capture_exception
        self._message = capture_message
        self._old_excepthook: Callable[..., Any] | None = None
        self._old_threading: Callable[..., Any] | None = None
        self._policy: Any = None
        self._old_new_loop: Any = None

    def install(self) -> None:
        self._old_excepthook = sys.excepthook
        sys.excepthook = self._excepthook
        self._old_threading = threading.excepthook
        threading.excepthook = self._threading_hook
        self._install_asyncio()

    def uninstall(self) -> None:
        if self._old_excepthook is not None and sys.excepthook == self._excepthook:
            sys.excepthook = self._old_excepthook
        if self._old_threading is not None and threading.excepthook == self._threading_hook:
            threading.excepthook = self._old_threading
        if self._policy is not None:
            try:
                del self._policy.new_event_loop  # back to the class's method
            except AttributeError:
                pass
            self._policy = None

    # -- sys / threading -------------------------------------------------------------

    def _excepthook(
        self,
        type_: type[BaseException],
        value: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if not issubclass(type_, KeyboardInterrupt):
            self._capture(value, handled=False, mechanism="excepthook")
        if self._old_excepthook is not None:
            self._old_excepthook(type_, value, tb)

    def _threading_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None and not isinstance(args.exc_value, SystemExit):
            self._capture(args.exc_value, handled=False, mechanism="threading")
        if self._old_threading is not None:
            self._old_threading(args)

    # -- asyncio ---------------------------------------------------------------------

    def asyncio_handler(self, previous: Callable[..., Any] | None) -> Callable[..., None]:
        def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            exc = context.get("exception")
            if isinstance(exc, BaseException):
                self._capture(exc, handled=False, mechanism="asyncio")
            elif context.get("message"):
                self._message(str(context["message"]), "error")
            if previous is not None:
                previous(loop, context)
            else:
                loop.default_exception_handler(context)

        handler.faultbox_sdk = True  # type: ignore[attr-defined]
        return handler

    def install_on_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        previous = loop.get_exception_handler()
        if previous is not None and getattr(previous, "faultbox_sdk", False):
            return
        loop.set_exception_handler(self.asyncio_handler(previous))

    def _install_asyncio(self) -> None:
        try:
            self.install_on_loop(asyncio.get_running_loop())
        except RuntimeError:
            pass  # no loop running in this thread
        try:
            with warnings.catch_warnings():  # policies are deprecated from 3.14 on
                warnings.simplefilter("ignore", DeprecationWarning)
                policy = asyncio.get_event_loop_policy()
            original = policy.new_event_loop

            def new_event_loop() -> asyncio.AbstractEventLoop:
                loop = original()
                try:
                    self.install_on_loop(loop)
                except Exception:
                    pass
                return loop

            policy.new_event_loop = new_event_loop  # type: ignore[method-assign]
            self._policy = policy
        except Exception:
            self._policy = None
