"""faultbox-sdk's error-handling middleware: what it adds to each request.

Starts `faultbox serve` in a temporary data dir (reports really go out, from the SDK's
thread), then sends requests straight into minimal WSGI and ASGI apps (no framework, no
network: only the app and the middleware are timed), with and without the middleware,
interleaved in the same run:

* ok              — a 200 answer (the middleware: request id, scope, header echo)
* 404 AppError    — ``NotFound`` raised; without the middleware a hand-written
                    ``except`` answers JSON. Not reported.
* 500 unexpected  — ``RuntimeError`` raised; the middleware builds the problem answer and
                    reports it (frames, locals, scrubbed request, the queue hand-off);
                    the baseline's ``except`` calls ``capture_exception()`` itself, so
                    the difference is what the middleware adds to a report

Each figure is the median over ``--runs`` runs of that run's p50/p99, in µs.

    python benchmarks/sdk_middleware.py --requests 2000 --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import faultbox_sdk  # noqa: E402
from faultbox_sdk.errors import AppError, NotFound  # noqa: E402
from faultbox_sdk.integrations.asgi import FaultboxASGIMiddleware  # noqa: E402
from faultbox_sdk.integrations.wsgi import FaultboxWSGIMiddleware  # noqa: E402
from ingest import _spawn  # noqa: E402

BODY = json.dumps({"id": 7, "items": [{"sku": f"A-{i}", "qty": i} for i in range(10)]}).encode()


def work(path: str) -> bytes:
    """The view: a little JSON, then the outcome the path asks for."""
    order = json.loads(BODY)
    if path == "/missing":
        raise NotFound("no such order")
    if path == "/boom":
        raise RuntimeError(f"ledger broken for order {order['id']}")
    return json.dumps(order).encode()


# -- WSGI --------------------------------------------------------------------------


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    body = work(environ["PATH_INFO"])
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


def wsgi_plain(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The baseline: the same app with the least error handling an app would have."""
    try:
        return wsgi_app(environ, start_response)
    except AppError as exc:
        start_response(f"{exc.status_code} Error", [("Content-Type", "application/json")])
        return [json.dumps({"error": exc.error_code}).encode()]
    except Exception:
        faultbox_sdk.capture_exception()  # the least reporting an app would do
        start_response("500 Internal Server Error", [("Content-Type", "application/json")])
        return [b'{"error": "internal"}']


def wsgi_call(app: Any, path: str) -> None:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "bench",
        "SERVER_PORT": "80",
        "HTTP_HOST": "bench",
        "HTTP_AUTHORIZATION": "Bearer secret-token",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(BODY)),
        "wsgi.input": io.BytesIO(BODY),
        "wsgi.url_scheme": "http",
    }
    b"".join(app(environ, lambda status, headers, exc_info=None: None))


# -- ASGI --------------------------------------------------------------------------


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    body = work(scope["path"])
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


async def asgi_plain(scope: dict[str, Any], receive: Any, send: Any) -> None:
    try:
        await asgi_app(scope, receive, send)
    except AppError as exc:
        await send({"type": "http.response.start", "status": exc.status_code, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})
    except Exception:
        faultbox_sdk.capture_exception()
        await send({"type": "http.response.start", "status": 500, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


async def asgi_call(app: Any, path: str) -> None:
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": b"",
        "scheme": "http",
        "headers": [(b"host", b"bench"), (b"authorization", b"Bearer secret-token")],
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    await app(scope, receive, send)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e6


def time_wsgi(app: Any, path: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        wsgi_call(app, path)
        out.append(time.perf_counter() - started)
    return out


def time_asgi(app: Any, path: str, n: int) -> list[float]:
    async def run() -> list[float]:
        out = []
        for _ in range(n):
            started = time.perf_counter()
            await asgi_call(app, path)
            out.append(time.perf_counter() - started)
        return out

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=18_767)
    args = parser.parse_args()
    paths = {"ok": "/ok", "404 AppError": "/missing", "500 unexpected": "/boom"}
    with tempfile.TemporaryDirectory() as tmp:
        proc, dsn, _token = _spawn(Path(tmp) / "data", args.port, [])
        try:
            faultbox_sdk.init(
                dsn, buffer_dir=str(Path(tmp) / "outbox"), max_queue=100_000, install_hooks=False
            )
            rows: dict[str, list[tuple[float, float]]] = {}
            apps = {
                "wsgi": (time_wsgi, wsgi_plain, FaultboxWSGIMiddleware(wsgi_app)),
                "asgi": (time_asgi, asgi_plain, FaultboxASGIMiddleware(asgi_app)),
            }
            for _ in range(args.runs):
                for kind, (timer, plain, wrapped) in apps.items():
                    for label, path in paths.items():
                        # Fewer 500s: each is a real report the server must take in.
                        n = args.requests // 4 if path == "/boom" else args.requests
                        for variant, app in (("without", plain), ("with", wrapped)):
                            values = timer(app, path, n)
                            rows.setdefault(f"{kind} {label} {variant}", []).append(
                                (_p(values, 0.5), _p(values, 0.99))
                            )
                    faultbox_sdk.flush(30)
            client = faultbox_sdk.get_client()
            dropped = client.transport.dropped if client else 0
            faultbox_sdk.close()
            print(f"faultbox-sdk middleware overhead per request ({args.runs} runs, medians, µs)")
            print(
                f"{'':22} {'p50 w/o':>9} {'p50 with':>9} {'+p50':>8} {'p99 w/o':>9} {'p99 with':>9}"
            )
            for kind in apps:
                for label in paths:
                    without = rows[f"{kind} {label} without"]
                    with_ = rows[f"{kind} {label} with"]
                    a50 = statistics.median(v[0] for v in without)
                    b50 = statistics.median(v[0] for v in with_)
                    a99 = statistics.median(v[1] for v in without)
                    b99 = statistics.median(v[1] for v in with_)
                    name = f"{kind} {label}"
                    print(f"{name:22} {a50:9.1f} {b50:9.1f} {b50 - a50:8.1f} {a99:9.1f} {b99:9.1f}")
            print(f"events dropped: {dropped}")
        finally:
            proc.terminate()
            proc.wait(timeout=60)


if __name__ == "__main__":
    main()
