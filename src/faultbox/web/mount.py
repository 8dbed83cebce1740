"""Attach the dashboard to the FastAPI app: page routers, static files, HTML errors."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from faultbox.web.pages import PAGE_ROUTERS
from faultbox.web.render import STATIC_DIR, is_htmx, page
from faultbox.web.session import SignInRequired, login_url, optional_user


def mount_web(app: FastAPI) -> None:
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(StarletteHTTPException, _http_error)


async def _sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    target = login_url(exc.next_path)
    if is_htmx(request):
        # htmx would swap the login page into a fragment; make it navigate instead.
        return Response(status_code=401, headers={"HX-Redirect": target})
    if request.method != "GET":
        return Response("sign in first", status_code=401, media_type="text/plain")
    return RedirectResponse(target, status_code=303)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/docs", "/openapi")) and (
        "text/html" in request.headers.get("accept", "") or is_htmx(request)
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if not _wants_html(request):
        return await http_exception_handler(request, exc)
    user = await run_in_threadpool(optional_user, request)
    return page(
        request,
        "error.html",
        {"status": exc.status_code, "detail": exc.detail},
        user=user,
        status_code=exc.status_code,
        headers=dict(exc.headers or {}),
    )
