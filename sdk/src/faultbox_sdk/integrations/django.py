"""Django: every exception answered as ``application/problem+json``, the request id
propagated, server errors reported.  First in ``MIDDLEWARE``:

    MIDDLEWARE = ["faultbox_sdk.integrations.django.FaultboxDjangoMiddleware", ...]

Exceptions from views (``Http404``, ``PermissionDenied``, the app's ``AppError``, anything
unexpected) arrive in ``process_exception``.  A URL that matches no route never reaches a
view: Django answers its own 404 page, which the middleware replaces (a 404 with no
``resolver_match``) by the same problem answer.  Set ``FAULTBOX_DEBUG = True`` to show
exception details in answers (never in production).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from faultbox_sdk.handling import Answer, handle, request_scope
from faultbox_sdk.request_context import REQUEST_ID_HEADER, RequestInfo, current_request

_MARK = "_faultbox_problem"


def request_info(request: Any) -> RequestInfo:
    headers = [(str(k).lower(), str(v)) for k, v in request.headers.items()]
    try:
        url = request.build_absolute_uri()
    except Exception:  # a disallowed Host: no absolute URL
        url = request.get_full_path()
    method = request.method or ""
    return RequestInfo.from_headers(headers, method=method, url=url, path=request.path)


def _user(request: Any) -> dict[str, Any] | None:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return {"id": str(user.pk), "username": str(user.get_username())}


def _keep_body(request: Any, info: RequestInfo) -> None:
    try:
        info.keep_body(request.body)
    except Exception:  # read as a stream already (multipart): nothing kept
        pass


def _response(answer: Answer) -> Any:
    from django.http import HttpResponse  # type: ignore[import-untyped]

    response = HttpResponse(answer.body, status=answer.status)
    if answer.event_id is not None:
        # Reported: Django's own "Internal Server Error" log line (django.request) would
        # otherwise become a second, exception-less event through the SDK's log handler.
        response._has_been_logged = True
    for name, value in answer.headers:
        if name.lower() != "content-length":
            response[name] = value
    setattr(response, _MARK, True)
    return response


class FaultboxDjangoMiddleware:
    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        from django.conf import settings  # type: ignore[import-untyped]

        self.get_response = get_response
        self.debug = bool(getattr(settings, "FAULTBOX_DEBUG", False))

    def __call__(self, request: Any) -> Any:
        info = request_info(request)
        request.request_id = info.request_id
        with request_scope(info) as scope:
            try:
                response = self.get_response(request)
            except Exception as exc:  # from a middleware below this one
                response = self._answer(request, exc, info, scope)
            if (
                response.status_code == 404
                and not getattr(response, _MARK, False)
                and getattr(request, "resolver_match", None) is None
            ):
                from django.http import Http404

                response = self._answer(request, Http404(), info, scope)
            if REQUEST_ID_HEADER not in response:
                response[REQUEST_ID_HEADER] = info.request_id
            return response

    def process_exception(self, request: Any, exception: Exception) -> Any:
        info = current_request() or request_info(request)
        return self._answer(request, exception, info, None)

    def _answer(self, request: Any, exc: Exception, info: RequestInfo, scope: Any) -> Any:
        info.user = info.user or _user(request)
        _keep_body(request, info)
        return _response(handle(exc, debug=self.debug, info=info, scope=scope, mechanism="django"))
