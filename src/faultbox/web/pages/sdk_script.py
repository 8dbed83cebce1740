"""``/sdk/faultbox.js``: the browser script other sites load (``static/sdk/faultbox.js``).

It is served for third-party pages, so none of the dashboard's headers apply (its CSP,
``no-store``); instead it may be loaded and read cross-origin and cached by browsers
and CDNs. The URL carries no version, so the cache is a day, not a year: a fixed
script reaches every site within a day.
"""

from __future__ import annotations

import functools
import hashlib

from fastapi import APIRouter, Request
from starlette.responses import Response

from faultbox.web.render import STATIC_DIR

router = APIRouter(include_in_schema=False)
SCRIPT = STATIC_DIR / "sdk" / "faultbox.js"
MAX_AGE = 86400


@functools.cache
def _script() -> tuple[bytes, str]:
    body = SCRIPT.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@router.api_route("/sdk/faultbox.js", methods=["GET", "HEAD"])  # HEAD: caches and checkers
def faultbox_js(request: Request) -> Response:
    body, etag = _script()
    headers = {
        "Cache-Control": f"public, max-age={MAX_AGE}",
        "ETag": etag,
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)
