"""create_app(settings): mounts ingest and the API; the lifespan opens db, queue, worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Literal

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from faultbox import __version__
from faultbox.alerts.runner import AlertRunner
from faultbox.api import alerts as alerts_api
from faultbox.api import compare as compare_api
from faultbox.api import grouping as grouping_api
from faultbox.api import incidents as incidents_api
from faultbox.api import issues as issues_api
from faultbox.api import lifecycle as lifecycle_api
from faultbox.api import merge as merge_api
from faultbox.api import monitors as monitors_api
from faultbox.api import patterns as patterns_api
from faultbox.api import projects as projects_api
from faultbox.api import protection as protection_api
from faultbox.api import releases as releases_api
from faultbox.api import report as report_api
from faultbox.api import retention as retention_api
from faultbox.api import settings as settings_api
from faultbox.api import severity as severity_api
from faultbox.api import stats as stats_api
from faultbox.api.errors import validation_error
from faultbox.config import Settings
from faultbox.digest.process import WorkerProcess
from faultbox.digest.worker import DigestWorker
from faultbox.ingest.accept import IngestContext
from faultbox.ingest.keys import KeyCache
from faultbox.ingest.outcomes import OutcomeCounter
from faultbox.ingest.routes import IngestFirst
from faultbox.observe.collectors import OutcomeCollector, QueueCollector, StoreCollector
from faultbox.observe.exposition import build_registry, metrics_endpoint
from faultbox.queue import open_queue
from faultbox.runtime import freeze_startup_objects
from faultbox.store.db import open_engine, write_transaction
from faultbox.store.outcomes import add_outcomes
from faultbox.web.mount import mount_web

log = logging.getLogger(__name__)


_FLUSH_SECONDS = 2.0


WorkerMode = Literal["process", "thread", "none"]


def create_app(settings: Settings, *, worker: WorkerMode = "process") -> IngestFirst:
    """The ASGI app: ingest routes first, then the API (``.state`` holds the parts).

    ``worker`` runs the digest in a child process (the default for ``serve``: it
    gets its own core), in a thread of this process, or not at all.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = open_engine(settings.database_url)
        queue = open_queue(settings)
        outcomes = OutcomeCounter()
        app.state.settings = settings
        app.state.engine = engine
        app.state.queue = queue
        app.state.ingest = IngestContext(settings, queue, KeyCache(engine), outcomes)
        app.state.metrics = build_registry(
            QueueCollector(queue), StoreCollector(engine), OutcomeCollector(outcomes)
        )
        digest: DigestWorker | WorkerProcess | None = None
        alerts: AlertRunner | None = None  # the worker process runs its own
        if worker == "thread":
            digest = DigestWorker.from_settings(engine, queue, settings)
            alerts = AlertRunner(engine, settings)
        elif worker == "process":
            digest = WorkerProcess(settings)
        app.state.worker = digest
        app.state.alerts = alerts
        if alerts is not None:
            alerts.start()
        if digest is not None:
            digest.start()
        housekeeping = asyncio.create_task(_housekeeping_forever(app))
        freeze_startup_objects()
        try:
            yield
        finally:
            housekeeping.cancel()
            if digest is not None:
                # Drain what was acknowledged so a graceful stop leaves nothing queued.
                await asyncio.to_thread(digest.stop)
            if alerts is not None:
                await asyncio.to_thread(alerts.stop)
            await asyncio.to_thread(_flush_outcomes, app)
            await app.state.ingest.aclose()  # the rate limiter's Redis connections
            await queue.aclose()
            engine.dispose()

    app = FastAPI(
        title="Faultbox",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs",
        description=(
            "Query API. Authenticate with `Authorization: Bearer <token>` "
            "(create one with `faultbox token create`)."
        ),
    )
    app.add_exception_handler(RequestValidationError, validation_error)
    app.include_router(projects_api.router)
    app.include_router(issues_api.router)
    app.include_router(settings_api.router)
    app.include_router(grouping_api.router)
    app.include_router(merge_api.router)
    app.include_router(lifecycle_api.router)
    app.include_router(compare_api.router)
    app.include_router(severity_api.router)
    app.include_router(patterns_api.router)
    app.include_router(releases_api.router)
    app.include_router(monitors_api.router)
    app.include_router(report_api.router)
    app.include_router(stats_api.router)
    app.include_router(protection_api.router)
    app.include_router(retention_api.router)
    app.include_router(alerts_api.router)
    app.include_router(incidents_api.router)
    mount_web(app)
    app.add_api_route("/healthz", healthz, methods=["GET"], include_in_schema=False)
    app.add_api_route("/readyz", readyz, methods=["GET"], include_in_schema=False)
    # Prometheus text format; FAULTBOX_METRICS_TOKEN guards it (observe/exposition.py).
    app.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    return IngestFirst(app)


async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready; say which
        checks["database"] = f"error: {exc}"
    worker = request.app.state.worker
    if worker is not None:
        checks["worker"] = "ok" if worker.is_alive() else "error: digest worker stopped"
    checks["queue_depth"] = str(await asyncio.to_thread(request.app.state.queue.exact_depth))
    ready = all(not v.startswith("error") for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


async def _housekeeping_forever(app: FastAPI) -> None:
    while True:
        await asyncio.sleep(_FLUSH_SECONDS)
        await asyncio.to_thread(_flush_outcomes, app)
        if isinstance(app.state.worker, WorkerProcess):
            app.state.worker.ensure_running()


def _flush_outcomes(app: FastAPI) -> None:
    counter: OutcomeCounter = app.state.ingest.outcomes
    counts = counter.drain()
    if not counts:
        return
    try:
        with write_transaction(app.state.engine) as conn:
            add_outcomes(conn, counts)
    except Exception as exc:
        log.warning("could not record outcomes, keeping them for the next flush: %s", exc)
        counter.restore(counts)
