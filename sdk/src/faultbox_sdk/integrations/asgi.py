"""ASGI (Starlette, FastAPI, any ASGI 3 app): every exception answered as
``application/problem+json``, the request id propagated, server errors reported.

    from faultbox_sdk.integrations.asgi import install

    app = FastAPI()
    install(app)            # the middleware + handlers for HTTPException and validation

or, for a bare ASGI app: ``app = FaultboxASGIMiddleware(app)``.

Starlette answers ``HTTPException`` (404 for an unknown path, 405, ...) and FastAPI its
``RequestValidationError`` inside the app, before any middleware sees them: ``install``
registers handlers for both that answer through the same problem builder.  The
middleware is added with ``add_middleware`` so it sits inside Starlette's
``ServerErrorMiddleware`` and answers unexpected exceptions itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from faultbox_sdk.handling import handle, request_scope
from faultbox_sdk.request_context import REQUEST_ID_HEADER, RequestInfo, current_request

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_ID_HEADER = REQUEST_ID_HEADER.lower().encode()


def request_info(scope: Scope) -> RequestInfo:
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers") or []]
    host = next((v for k, v in headers if k.lower() == "host"), None)
    if host is None and scope.get("server"):
        server_host, port = scope["server"][0], scope["server"][1]
        host = f"{server_host}:{port}" if port else server_host
    path = scope.get("root_path", "") + scope.get("path", "")
    query = (scope.get("query_string") or b"").decode("latin-1")
    url = f"{scope.get('scheme', 'http')}://{host or 'unknown'}{path}"
    if query:
        url += "?" + query
    info = RequestInfo.from_headers(headers, method=scope.get("method", ""), url=url, path=path)
    user = scope.get("user")  # Starlette's AuthenticationMiddleware
    if user is not None and getattr(user, "is_authenticated", False):
        info.user = {"username": str(getattr(user, "display_name", "") or "")}
    return info


class FaultboxASGIMiddleware:
    def __init__(self, app: ASGIApp, *, debug: bool = False) -> None:
        self.app = app
        self.debug = debug

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        info = request_info(scope)
        started = False

        async def receive_kept() -> Message:
            message = await receive()
            if message.get("type") == "http.request":
                info.keep_body(message.get("body") or b"")
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message.get("type") == "http.response.start":
                started = True
                headers = list(message.get("headers") or [])
                if not any(k.lower() == _ID_HEADER for k, _ in headers):
                    headers.append((_ID_HEADER, info.request_id.encode()))
                message["headers"] = headers
            await send(message)

        with request_scope(info) as sdk_scope:
            try:
                await self.app(scope, receive_kept, send_with_id)
            except Exception as exc:
                if started:
                    # Too late for an answer: report it and let the server close the stream.
                    handle(exc, debug=self.debug, info=info, scope=sdk_scope, mechanism="asgi")
                    raise
                answer = handle(exc, debug=self.debug, info=info, scope=sdk_scope, mechanism="asgi")
                await send_with_id(
                    {
                        "type": "http.response.start",
                        "status": answer.status,
                        "headers": [(k.lower().encode(), v.encode()) for k, v in answer.headers],
                    }
                )
                await send_with_id({"type": "http.response.body", "body": answer.body})


def problem_response(request: Any, exc: Exception, *, debug: bool = False) -> Any:
    """A Starlette ``Response`` for ``exc`` (used by the handlers ``install`` registers)."""
    from starlette.responses import Response

    info = current_request() or request_info(request.scope)
    answer = handle(exc, debug=debug, info=info, mechanism="asgi")
    headers = {k: v for k, v in answer.headers if k.lower() not in ("content-length",)}
    return Response(answer.body, status_code=answer.status, headers=headers)


def install(app: Any, *, debug: bool = False) -> None:
    """Add the middleware to a Starlette or FastAPI app and route its own HTTP and
    validation errors through the problem builder."""
    from starlette.exceptions import HTTPException

    async def handler(request: Any, exc: Exception) -> Any:
        return problem_response(request, exc, debug=debug)

    app.add_exception_handler(HTTPException, handler)
    try:
        from fastapi.exceptions import RequestValidationError
    except ImportError:
        pass
    else:
        app.add_exception_handler(RequestValidationError, handler)
    app.add_middleware(FaultboxASGIMiddleware, debug=debug)
