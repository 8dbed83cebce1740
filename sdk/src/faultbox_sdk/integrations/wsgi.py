"""WSGI (Flask, or any WSGI app): every exception answered as
``application/problem+json``, the request id propagated, server errors reported.

    from faultbox_sdk.integrations.wsgi import install_flask

    app = Flask(__name__)
    install_flask(app)

or, for any WSGI app: ``app = FaultboxWSGIMiddleware(app)``.

Flask turns exceptions into answers inside the app (werkzeug's ``HTTPException`` pages,
its own 500 page), so ``install_flask`` wraps ``app.wsgi_app`` with the middleware (request
id, scope, body kept for reports) and registers an error handler for ``Exception`` that
answers through the same problem builder.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from faultbox_sdk.handling import handle, request_scope
from faultbox_sdk.request_context import REQUEST_ID_HEADER, RequestInfo, current_request

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def request_info(environ: dict[str, Any]) -> RequestInfo:
    headers: list[tuple[str, str]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").lower(), str(value)))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers.append((key.replace("_", "-").lower(), str(value)))
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    raw_path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    path = quote(raw_path, safe="/:@!$&'()*+,;=")
    url = f"{environ.get('wsgi.url_scheme', 'http')}://{host}{path}"
    if environ.get("QUERY_STRING"):
        url += "?" + environ["QUERY_STRING"]
    return RequestInfo.from_headers(
        headers, method=environ.get("REQUEST_METHOD", ""), url=url, path=path
    )


class _KeptInput:
    """``wsgi.input`` that keeps the first bytes the app reads (for a report)."""

    def __init__(self, stream: Any, info: RequestInfo) -> None:
        self._stream = stream
        self._info = info

    def read(self, *args: Any) -> bytes:
        data: bytes = self._stream.read(*args)
        self._info.keep_body(data)
        return data

    def readinto(self, buffer: Any) -> int:  # werkzeug's LimitedStream reads this way
        count: int = self._stream.readinto(buffer)
        if count:
            self._info.keep_body(bytes(memoryview(buffer)[:count]))
        return count

    def readline(self, *args: Any) -> bytes:
        data: bytes = self._stream.readline(*args)
        self._info.keep_body(data)
        return data

    def readlines(self, *args: Any) -> list[bytes]:
        lines: list[bytes] = self._stream.readlines(*args)
        for line in lines:
            self._info.keep_body(line)
        return lines

    def __iter__(self) -> Any:
        for line in self._stream:
            self._info.keep_body(line)
            yield line

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Error"


class FaultboxWSGIMiddleware:
    def __init__(self, app: WSGIApp, *, debug: bool = False) -> None:
        self.app = app
        self.debug = debug

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        info = request_info(environ)
        if "wsgi.input" in environ:
            environ["wsgi.input"] = _KeptInput(environ["wsgi.input"], info)
        environ["faultbox.request_id"] = info.request_id

        def start_with_id(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if not any(k.lower() == REQUEST_ID_HEADER.lower() for k, _ in headers):
                headers = [*headers, (REQUEST_ID_HEADER, info.request_id)]
            return start_response(status, headers, exc_info)

        with request_scope(info) as scope:
            try:
                return self.app(environ, start_with_id)
            except Exception as exc:
                answer = handle(exc, debug=self.debug, info=info, scope=scope, mechanism="wsgi")
                start_response(_status_line(answer.status), answer.headers, sys.exc_info())
                return [answer.body]


def install_flask(app: Any, *, debug: bool = False) -> None:
    """Wrap a Flask app's ``wsgi_app`` and answer its exceptions as problem+json."""
    from flask import Response

    def handler(exc: Exception) -> Any:
        answer = handle(exc, debug=debug, info=current_request(), mechanism="flask")
        headers = [(k, v) for k, v in answer.headers if k.lower() != "content-length"]
        return Response(answer.body, status=answer.status, headers=headers)

    app.register_error_handler(Exception, handler)
    app.wsgi_app = FaultboxWSGIMiddleware(app.wsgi_app, debug=debug)
