"""Templates and the page response: autoescaped Jinja2, the layout's context, and the
security headers that keep a hostile event payload inert even if escaping were missed."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import Response

from faultbox import __version__, clock
from faultbox.query.markdown import render as render_markdown
from faultbox.web.identity import WebUser

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

# No inline script anywhere (scripts come from /static), so a script injected into a
# page through an event's text cannot run even if it escaped escaping.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def ago(ts: float | None) -> str:
    """'3 min ago', '2 h ago', '5 d ago': the stream's time column."""
    if ts is None:
        return "—"
    seconds = max(0.0, clock.now() - ts)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def when(ts: float | str | None) -> str:
    """A time for people; takes epoch seconds or the API's ISO 8601 text."""
    if ts is None or ts == "":
        return "—"
    try:
        moment = (
            datetime.fromisoformat(ts.replace("Z", "+00:00"))
            if isinstance(ts, str)
            else datetime.fromtimestamp(float(ts), UTC)
        )
    except (ValueError, OverflowError, OSError):
        return str(ts)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(ts: float | None) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts, UTC).isoformat()


def short_number(value: int | float | None) -> str:
    if value is None:
        return "0"
    value = float(value)
    for suffix, size in (("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            shown = value / size
            return f"{shown:.1f}".rstrip("0").rstrip(".") + suffix
    return str(int(value)) if math.isfinite(value) and value == int(value) else f"{value:.1f}"


def markdown(text: str | None) -> Markup:
    # markdown-it escapes raw HTML and refuses javascript: links (query/markdown.py).
    return Markup(render_markdown(text) or "")


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters.update(ago=ago, when=when, iso=iso, num=short_number, markdown=markdown)
templates.env.globals["version"] = __version__


def page(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    user: WebUser | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    values: dict[str, Any] = {"user": user, "csrf_token": user.csrf_token if user else ""}
    values.update(context or {})
    response = templates.TemplateResponse(request, template, values, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    if headers:
        response.headers.update(headers)
    return response


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"
