"""Retry with backoff and a circuit breaker, each reporting to Faultbox when it matters:
a retry that gives up (with its attempt count) and a breaker that opens.

Built on two well-kept libraries (the ``faultbox-sdk[resilience]`` extra), imported when
a decorator is made:

* ``tenacity`` for retries: sync and async functions with the same decorator, exponential
  backoff with jitter, stop on attempts and on total time, and a give-up callback that
  sees the attempt count.  (``stamina`` is an opinionated layer over tenacity; its
  instrumentation hooks are process-wide and fire per retry, not per give-up.)
* ``pybreaker`` for the breaker: thread-safe, listeners on state changes.  Its own async
  support needs Tornado, so coroutines go through its ``calling()`` context manager,
  which updates the same state machine without holding its lock across the ``await``.

    @retry(attempts=4, on=(ConnectionError,))
    def fetch_rates(): ...

    @circuit_breaker(name="payments-api", fail_max=5, reset_timeout=30)
    async def charge(order): ...
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import faultbox_sdk
from faultbox_sdk.frames import safe_str

F = TypeVar("F", bound=Callable[..., Any])


def _name(fn: Callable[..., Any]) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _report_give_up(name: str, attempts: int, elapsed: float, error: BaseException | None) -> None:
    with faultbox_sdk.push_scope() as scope:
        scope.set_tag("retry.function", name)
        scope.set_tag("error_code", "retry_exhausted")
        scope.set_context(
            "retry", {"function": name, "attempts": attempts, "elapsed_seconds": round(elapsed, 3)}
        )
        if error is not None:
            faultbox_sdk.capture_exception(error)
        else:
            message = f"retry gave up: {name} after {attempts} attempts"
            faultbox_sdk.capture_message(message, "error")


def retry(
    *,
    attempts: int = 3,
    on: tuple[type[BaseException], ...] = (Exception,),
    wait_initial: float = 0.1,
    wait_max: float = 10.0,
    jitter: float = 0.1,
    timeout: float | None = None,
    name: str | None = None,
    sleep: Callable[[float], Any] | None = None,
) -> Callable[[F], F]:
    """Retry ``fn`` on the exceptions in ``on``, up to ``attempts`` calls (and ``timeout``
    seconds in all), waiting ``wait_initial * 2**n`` (capped at ``wait_max``) plus up to
    ``jitter`` seconds between calls.  On giving up the last exception is reported (with
    a ``retry`` context: attempts, elapsed) and raised.  ``sleep`` replaces the wait
    (tests; an async one for coroutines)."""
    import tenacity

    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    stop: Any = tenacity.stop_after_attempt(attempts)
    if timeout is not None:
        stop = stop | tenacity.stop_after_delay(timeout)

    def decorate(fn: F) -> F:
        label = name or _name(fn)

        def give_up(state: tenacity.RetryCallState) -> Any:
            outcome = state.outcome
            error = outcome.exception() if outcome is not None else None
            _report_give_up(label, state.attempt_number, state.seconds_since_start or 0.0, error)
            if outcome is None:
                raise RuntimeError(f"retry gave up: {label}")
            return outcome.result()  # raises the last exception

        options: dict[str, Any] = {
            "stop": stop,
            # wait_exponential + wait_random rather than wait_exponential_jitter, whose
            # ``initial`` is deprecated from tenacity 9.2 on.
            "wait": tenacity.wait_exponential(multiplier=wait_initial, max=wait_max)
            + tenacity.wait_random(0, jitter),
            "retry": tenacity.retry_if_exception_type(on),
            "retry_error_callback": give_up,
        }
        if sleep is not None:
            options["sleep"] = sleep
        if inspect.iscoroutinefunction(fn):
            wrapped: Any = tenacity.AsyncRetrying(**options).wraps(fn)
        else:
            wrapped = tenacity.Retrying(**options).wraps(fn)
        return functools.wraps(fn)(wrapped)  # type: ignore[return-value]

    return decorate


def circuit_breaker(
    *,
    fail_max: int = 5,
    reset_timeout: float = 60.0,
    exclude: tuple[type[BaseException], ...] = (),
    name: str | None = None,
    breaker: Any = None,
) -> Callable[[F], F]:
    """Open after ``fail_max`` failures in a row (calls then fail at once with
    ``pybreaker.CircuitBreakerError`` for ``reset_timeout`` seconds, then one trial call
    decides).  Exceptions in ``exclude`` (e.g. the app's 4xx errors) do not count.  Each
    opening is reported as a warning event with the breaker's name and last error.  The
    decorated function has ``.breaker`` (the ``pybreaker.CircuitBreaker``; pass
    ``breaker=`` to share one between functions)."""
    import pybreaker

    class Reporter(pybreaker.CircuitBreakerListener):
        def __init__(self) -> None:
            self.last_error: BaseException | None = None

        def failure(self, cb: pybreaker.CircuitBreaker, exc: BaseException) -> None:
            self.last_error = exc

        def state_change(
            self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any
        ) -> None:
            if getattr(new_state, "name", None) != pybreaker.STATE_OPEN:
                return
            label = cb.name or "circuit breaker"
            with faultbox_sdk.push_scope() as scope:
                scope.set_tag("circuit_breaker", label)
                scope.set_tag("error_code", "circuit_open")
                scope.set_fingerprint(["circuit-breaker-open", label])
                scope.set_context(
                    "circuit_breaker",
                    {
                        "name": label,
                        "from_state": getattr(old_state, "name", None),
                        "fail_max": cb.fail_max,
                        "reset_timeout": cb.reset_timeout,
                        "failures": cb.fail_counter,
                        "last_error": safe_str(repr(self.last_error)) if self.last_error else None,
                    },
                )
                faultbox_sdk.capture_message(f"circuit breaker opened: {label}", "warning")

    if breaker is None:
        breaker = pybreaker.CircuitBreaker(
            fail_max=fail_max, reset_timeout=reset_timeout, exclude=list(exclude), name=name
        )
    breaker.add_listener(Reporter())

    def decorate(fn: F) -> F:
        if breaker.name is None:
            breaker.name = name or _name(fn)
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def call_async(*args: Any, **kwargs: Any) -> Any:
                with breaker.calling():
                    return await fn(*args, **kwargs)

            wrapped: Any = call_async
        else:

            @functools.wraps(fn)
            def call(*args: Any, **kwargs: Any) -> Any:
                return breaker.call(fn, *args, **kwargs)

            wrapped = call
        wrapped.breaker = breaker
        return wrapped  # type: ignore[no-any-return]

    return decorate
