"""Every exception class, in FastAPI, Flask and Django: the problem+json answer (RFC 9457),
the request id, and nothing internal in production."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from faultbox_sdk import errors
from faultbox_sdk.problem import CONTENT_TYPE
from tests.sdk.kit.apps import APP_ERRORS, APPS, FACTORIES, FRAMEWORKS, SECRET, Call

CLASSES = {cls.__name__: cls for cls in errors.ALL_ERRORS}


@pytest.fixture(params=FRAMEWORKS)
def app(request: pytest.FixtureRequest) -> Call:
    return APPS[request.param]()


@pytest.mark.parametrize("name", APP_ERRORS)
def test_every_app_error_is_a_problem_with_its_status_and_code(app: Call, name: str) -> None:
    cls = CLASSES[name]
    expected = FACTORIES[name]()
    assert isinstance(expected, errors.AppError)
    reply = app("GET", f"/raise/{name}", {"X-Request-ID": "req-42"})
    assert reply.status == cls.status_code
    assert reply.headers["content-type"] == CONTENT_TYPE
    assert reply.headers["x-request-id"] == "req-42"
    body = reply.json()
    assert body["type"] == f"https://faultbox.dev/problems/{cls.error_code}"
    assert body["title"] == cls.title
    assert body["status"] == cls.status_code
    assert body["detail"] == expected.detail
    assert body["instance"] == f"/raise/{name}"
    assert body["error_code"] == cls.error_code
    assert body["request_id"] == "req-42"
    assert body.get("details") == (expected.details or None)
    assert "debug" not in body
    for header, value in expected.headers.items():
        assert reply.headers[header.lower()] == value


def test_the_hierarchy_has_the_documented_statuses() -> None:
    statuses = {cls.__name__: cls.status_code for cls in errors.ALL_ERRORS}
    assert statuses == {
        "AppError": 500,
        "ValidationError": 400,
        "AuthenticationError": 401,
        "PermissionDenied": 403,
        "NotFound": 404,
        "Conflict": 409,
        "RateLimited": 429,
        "ExternalServiceError": 502,
        "ServiceUnavailable": 503,
        "DataIntegrityError": 500,
    }
    assert all(issubclass(cls, errors.AppError) for cls in errors.ALL_ERRORS)


def test_an_unexpected_exception_says_only_internal_server_error(app: Call) -> None:
    reply = app("POST", "/raise/RuntimeError", {"Content-Type": "application/json"}, b"{}")
    assert reply.status == 500
    assert reply.headers["content-type"] == CONTENT_TYPE
    assert reply.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "Internal Server Error",
        "instance": "/raise/RuntimeError",
        "error_code": "internal_error",
        "request_id": reply.headers["x-request-id"],
    }
    for leak in (b"10.0.0.5", b"builtins", b"Traceback", b"/srv/app", b"orders.py"):
        assert leak not in reply.body


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_debug_mode_shows_the_exception(framework: str) -> None:
    reply = APPS[framework](debug=True)("GET", "/raise/RuntimeError")
    debug = reply.json()["debug"]
    assert debug["exception"] == "builtins.RuntimeError" and debug["message"] == SECRET
    assert any("Traceback" in line for line in debug["traceback"])


def test_the_frameworks_own_404_for_an_unknown_path_is_a_problem(app: Call) -> None:
    reply = app("GET", "/nowhere/at/all")
    assert reply.status == 404
    assert reply.headers["content-type"] == CONTENT_TYPE
    body = reply.json()
    assert body["type"] == "about:blank" and body["title"] == "Not Found"
    assert body["error_code"] == "not_found" and body["instance"] == "/nowhere/at/all"
    assert body["request_id"] == reply.headers["x-request-id"]


def test_a_success_carries_a_generated_request_id(app: Call) -> None:
    reply = app("GET", "/ok")
    assert reply.status == 200
    assert len(reply.headers["x-request-id"]) == 32
    int(reply.headers["x-request-id"], 16)


@pytest.mark.parametrize(
    "incoming",
    ["", "a" * 129, "x y", 'evil"quote', "<script>", "new\u2028line", "ü-unicode"],
)
def test_an_unsafe_incoming_request_id_is_replaced(app: Call, incoming: str) -> None:
    try:
        reply = app("GET", "/raise/NotFound", {"X-Request-ID": incoming})
    except (ValueError, UnicodeEncodeError):
        pytest.skip("the client itself refuses to send this header value")
    rid = reply.headers["x-request-id"]
    assert rid != incoming and len(rid) == 32
    assert reply.json()["request_id"] == rid


def test_a_correlation_id_is_taken_when_no_request_id_comes(app: Call) -> None:
    reply = app("GET", "/raise/Conflict", {"X-Correlation-ID": "corr-7"})
    assert reply.headers["x-request-id"] == "corr-7"
    assert reply.json()["request_id"] == "corr-7"


def test_fastapi_request_validation_is_a_422_problem_without_the_input() -> None:
    reply = APPS["fastapi"]()("GET", "/items/not-a-number")
    assert reply.status == 422
    body = reply.json()
    assert body["error_code"] == "request_validation_error"
    assert body["type"] == "https://faultbox.dev/problems/request_validation_error"
    (error,) = body["details"]["errors"]
    assert error["loc"] == ["path", "item_id"] and "input" not in error


def test_fastapi_method_not_allowed_keeps_its_allow_header() -> None:
    reply = APPS["fastapi"]()("DELETE", "/ok")
    assert reply.status == 405 and reply.json()["error_code"] == "method_not_allowed"
    assert reply.headers["allow"] == "GET"


def test_flask_method_not_allowed_keeps_its_allow_header() -> None:
    reply = APPS["flask"]()("DELETE", "/ok")
    assert reply.status == 405 and reply.json()["title"] == "Method Not Allowed"
    assert set(reply.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}


def test_django_http404_and_permission_denied_are_problems_without_their_text() -> None:
    call = APPS["django"]()
    reply = call("GET", "/http404")
    assert (reply.status, reply.json()["error_code"]) == (404, "not_found")
    assert b"/srv/secret" not in reply.body
    reply = call("GET", "/denied")
    assert (reply.status, reply.json()["error_code"]) == (403, "forbidden")
    assert b"internal reason" not in reply.body


class _Calls(list[Any]):
    def append_args(self, *args: Any) -> None:
        self.append(args)


def test_a_bare_wsgi_app_gets_the_same_answers() -> None:
    import io

    from faultbox_sdk.integrations.wsgi import FaultboxWSGIMiddleware

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        environ["wsgi.input"].read()
        raise FACTORIES[environ["PATH_INFO"].strip("/")]()

    wrapped = FaultboxWSGIMiddleware(app)
    for name, status in (("Conflict", 409), ("RuntimeError", 500)):
        started = _Calls()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": f"/{name}",
            "HTTP_X_REQUEST_ID": "w-1",
            "wsgi.input": io.BytesIO(b"x=1"),
            "wsgi.url_scheme": "http",
            "SERVER_NAME": "s",
            "SERVER_PORT": "80",
        }
        body = json.loads(b"".join(wrapped(environ, started.append_args)))
        status_line, headers, _exc_info = started[0]
        assert status_line.startswith(f"{status} ")
        assert ("Content-Type", CONTENT_TYPE) in headers and ("X-Request-ID", "w-1") in headers
        assert body["status"] == status and body["request_id"] == "w-1"
        assert body["instance"] == f"/{name}"


def test_a_bare_asgi_app_gets_the_same_answers() -> None:
    from faultbox_sdk.integrations.asgi import FaultboxASGIMiddleware
    from tests.sdk.kit.apps import asgi_request

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise FACTORIES[scope["path"].strip("/")]()

    wrapped = FaultboxASGIMiddleware(app)
    for name, status in (("RateLimited", 429), ("RuntimeError", 500)):
        reply = asyncio.run(asgi_request(wrapped, "GET", f"/{name}", {"X-Request-ID": "a-1"}, b""))
        assert reply.status == status and reply.headers["content-type"] == CONTENT_TYPE
        assert reply.headers["x-request-id"] == "a-1" and reply.json()["request_id"] == "a-1"
    assert reply.json()["detail"] == "Internal Server Error"


def test_an_error_after_the_answer_started_is_reported_and_raised(tmp_path: Any) -> None:
    """Too late for a problem answer: the middleware reports it and lets it through so
    the server ends the stream."""
    import faultbox_sdk
    from faultbox_sdk.integrations.asgi import FaultboxASGIMiddleware
    from tests.sdk.kit.apps import asgi_request
    from tests.sdk.support import DSN, Recorder

    recorder = Recorder()
    faultbox_sdk.init(DSN, buffer_dir=str(tmp_path / "o"), post=recorder, install_hooks=False)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("mid-stream")

    with pytest.raises(RuntimeError, match="mid-stream"):
        asyncio.run(asgi_request(FaultboxASGIMiddleware(app), "GET", "/s", {}, b""))
    assert faultbox_sdk.flush(5)
    (item,) = recorder.native_items()
    assert item["errorType"].endswith("RuntimeError")
