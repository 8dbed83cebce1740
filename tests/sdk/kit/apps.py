"""The same small app in FastAPI, Flask and Django, each with the kit installed, and one
test client shape for all three: ``call(method, path, headers, body) -> Reply``.

``/raise/<name>`` reads the body (so a report can carry it) and raises a fresh instance of
the named exception; ``/nowhere`` matches no route (the framework's own 404).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request  # module level: FastAPI resolves the string annotation here

import faultbox_sdk
from faultbox_sdk import errors

# The "unexpected" error's text is internal: it must never reach a client in production.
SECRET = "db at 10.0.0.5:5432 refused the login (see /srv/app/orders.py)"

USER = {"id": "u-7", "email": "ada@example.com"}

FACTORIES: dict[str, Callable[[], Exception]] = {
    "AppError": lambda: errors.AppError("the app failed"),
    "ValidationError": lambda: errors.ValidationError(
        "bad input", fields={"email": "not an email"}
    ),
    "AuthenticationError": lambda: errors.AuthenticationError("sign in first"),
    "PermissionDenied": lambda: errors.PermissionDenied("not your order"),
    "NotFound": lambda: errors.NotFound("no such order"),
    "Conflict": lambda: errors.Conflict("order already paid"),
    "RateLimited": lambda: errors.RateLimited("slow down", retry_after=30),
    "ExternalServiceError": lambda: errors.ExternalServiceError(
        "payment provider failed", service="payments"
    ),
    "ServiceUnavailable": lambda: errors.ServiceUnavailable("maintenance", retry_after=60),
    "DataIntegrityError": lambda: errors.DataIntegrityError("ledger mismatch"),
    "RuntimeError": lambda: RuntimeError(SECRET),
}
APP_ERRORS = [name for name in FACTORIES if name != "RuntimeError"]
SERVER_ERRORS = ["AppError", "ExternalServiceError", "ServiceUnavailable", "DataIntegrityError"]
FRAMEWORKS = ["fastapi", "flask", "django"]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # names lowercased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Call = Callable[..., Reply]
Headers = dict[str, str] | None


async def asgi_request(
    app: Any, method: str, path: str, headers: dict[str, str], body: bytes
) -> Reply:
    """One HTTP request through an ASGI app, as a server would send it (no test client:
    Starlette's deprecates httpx, and this is all the tests need)."""
    target, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": target,
        "raw_path": target.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"testserver")]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent = False
    started: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)  # the client stays connected
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return Reply(
        started["status"],
        {k.decode().lower(): v.decode() for k, v in started.get("headers", [])},
        b"".join(chunks),
    )


def fastapi_app(debug: bool = False) -> Call:
    from fastapi import FastAPI

    from faultbox_sdk.integrations.asgi import install

    app = FastAPI()

    @app.api_route("/raise/{name}", methods=["GET", "POST"])
    async def raise_(name: str, request: Request) -> None:
        await request.body()
        faultbox_sdk.set_user(USER)  # on this request's scope only
        raise FACTORIES[name]()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @app.get("/ok")
    async def ok() -> dict[str, bool]:
        return {"ok": True}

    install(app, debug=debug)

    def call(method: str, path: str, headers: Headers = None, body: bytes = b"") -> Reply:
        return asyncio.run(asgi_request(app, method, path, headers or {}, body))

    return call


def flask_app(debug: bool = False) -> Call:
    from flask import Flask, request

    from faultbox_sdk.integrations.wsgi import install_flask

    app = Flask(__name__)

    @app.route("/raise/<name>", methods=["GET", "POST"])
    def raise_(name: str) -> None:
        request.get_data()
        faultbox_sdk.set_user(USER)
        raise FACTORIES[name]()

    @app.route("/ok")
    def ok() -> dict[str, bool]:
        return {"ok": True}

    install_flask(app, debug=debug)
    client = app.test_client(use_cookies=False)  # a Cookie header goes as sent

    def call(method: str, path: str, headers: Headers = None, body: bytes = b"") -> Reply:
        r = client.open(path, method=method, headers=headers or {}, data=body)
        return Reply(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.data)

    return call


# -- Django: configured here, once per process (settings.configure), no project files --


def _django_raise(request: Any, name: str) -> Any:
    request.body  # noqa: B018 - read it, as a view would
    faultbox_sdk.set_user(USER)
    raise FACTORIES[name]()


def _django_ok(request: Any) -> Any:
    from django.http import JsonResponse

    return JsonResponse({"ok": True})


def _django_http404(request: Any) -> Any:
    from django.http import Http404

    raise Http404("no such thing at /srv/secret")


def _django_denied(request: Any) -> Any:
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied("internal reason")


urlpatterns: list[Any] = []


def django_app(debug: bool = False) -> Call:
    import django
    from django.conf import settings

    if not settings.configured:
        from django.urls import path

        urlpatterns.extend(
            [
                path("raise/<str:name>", _django_raise),
                path("ok", _django_ok),
                path("http404", _django_http404),
                path("denied", _django_denied),
            ]
        )
        settings.configure(
            DEBUG=False,
            SECRET_KEY="kit-tests-only",
            ROOT_URLCONF=__name__,
            ALLOWED_HOSTS=["testserver"],
            MIDDLEWARE=["faultbox_sdk.integrations.django.FaultboxDjangoMiddleware"],
            INSTALLED_APPS=[],
            USE_TZ=True,
            FAULTBOX_DEBUG=False,
        )
        django.setup()
    from django.test import Client

    settings.FAULTBOX_DEBUG = debug
    client = Client(raise_request_exception=True)

    def call(method: str, path: str, headers: Headers = None, body: bytes = b"") -> Reply:
        content_type = (headers or {}).get("Content-Type", "application/octet-stream")
        extra = {k: v for k, v in (headers or {}).items() if k != "Content-Type"}
        r = client.generic(method, path, data=body, content_type=content_type, headers=extra)
        return Reply(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content)

    return call


APPS: dict[str, Callable[..., Call]] = {
    "fastapi": fastapi_app,
    "flask": flask_app,
    "django": django_app,
}
