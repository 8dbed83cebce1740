"""One place where an exception in a request becomes an answer and, when it is a server
error or unexpected, a report: every middleware calls :func:`handle`.

The report goes through the client's public API (``exception_event`` then
``capture_event``) so it can carry the Sentry ``request`` interface (method, URL,
scrubbed headers and body) beside what the request's scope holds (the user, the
``request_id`` tag, the trace context).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import faultbox_sdk
from faultbox_sdk.problem import CONTENT_TYPE, Problem, problem_for
from faultbox_sdk.request_context import (
    REQUEST_ID_HEADER,
    RequestInfo,
    current_request,
    enter_request,
    leave_request,
    redact,
)
from faultbox_sdk.scope import Scope, push_scope

logger = logging.getLogger("faultbox_sdk")
_REPORTED = "__faultbox_sdk_reported__"  # the client's mark (client.py): once per exception


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    problem: Problem
    event_id: str | None = None


def handle(
    exc: BaseException,
    *,
    debug: bool = False,
    info: RequestInfo | None = None,
    scope: Scope | None = None,
    mechanism: str = "http",
) -> Answer:
    info = info if info is not None else current_request()
    try:
        problem = problem_for(exc, debug=debug)
    except Exception:
        logger.exception("faultbox_sdk: could not build a problem answer")
        problem = problem_for(RuntimeError())
    event_id = report(exc, problem, info, scope, mechanism) if problem.reportable else None
    request_id = info.request_id if info else None
    body = problem.encode(instance=info.path if info else None, request_id=request_id)
    headers = [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))]
    headers += [(k, v) for k, v in problem.headers.items() if k.lower() != "content-length"]
    if request_id:
        headers.append((REQUEST_ID_HEADER, request_id))
    return Answer(problem.status, headers, body, problem, event_id)


def report(
    exc: BaseException,
    problem: Problem,
    info: RequestInfo | None,
    scope: Scope | None = None,
    mechanism: str = "http",
) -> str | None:
    client = faultbox_sdk.get_client()
    if client is None or getattr(exc, _REPORTED, False):
        return None
    try:
        event = client.exception_event(exc, handled=False, mechanism=mechanism)
        event["level"] = "error"  # unhandled by the app, but the process lives on
        tags = event.setdefault("tags", {})
        tags["error_code"] = problem.error_code
        tags["status_code"] = str(problem.status)
        if info is not None:
            secrets = info.secrets()
            if secrets:
                event["exception"] = redact(event["exception"], secrets)
            event["request"] = info.event_request()
            tags["request_id"] = info.request_id
            if info.user and "user" not in event:
                event["user"] = dict(info.user)
        try:
            setattr(exc, _REPORTED, True)
        except Exception:
            pass
        return client.capture_event(event, {"exception": exc}, scope)
    except Exception:
        logger.exception("faultbox_sdk: could not report a request's exception")
        return None


@contextmanager
def request_scope(info: RequestInfo) -> Iterator[Scope]:
    """The request for the block: its info in the context variable, and a scope of its
    own (tagged with the request id, with the trace context) for every event inside."""
    token = enter_request(info)
    try:
        with push_scope() as scope:
            scope.set_tag("request_id", info.request_id)
            if info.trace_id:
                scope.set_context("trace", {"trace_id": info.trace_id, "span_id": info.span_id})
            yield scope
    finally:
        leave_request(token)
