"""The ingest routes, mounted by faultbox.app."""

from __future__ import annotations

from starlette.routing import Route

from faultbox.ingest import native_routes, security, sentry_routes

routes = [
    Route("/api/{project_id}/envelope/", sentry_routes.envelope_endpoint, methods=["POST"]),
    Route("/api/{project_id}/envelope", sentry_routes.envelope_endpoint, methods=["POST"]),
    Route("/api/{project_id}/store/", sentry_routes.store_endpoint, methods=["POST"]),
    Route("/api/{project_id}/store", sentry_routes.store_endpoint, methods=["POST"]),
    Route("/api/{project_id}/envelope/", sentry_routes.preflight, methods=["OPTIONS"]),
    Route("/api/{project_id}/store/", sentry_routes.preflight, methods=["OPTIONS"]),
    Route("/api/{project_id}/security/", security.security_endpoint, methods=["POST"]),
    Route("/api/{project_id}/csp-report/", security.security_endpoint, methods=["POST"]),
    Route("/api/{project_id}/security/", sentry_routes.preflight, methods=["OPTIONS"]),
    Route("/api/v1/errors", native_routes.create_error, methods=["POST"]),
    Route("/api/v1/errors/batch", native_routes.create_errors_batch, methods=["POST"]),
    Route("/api/v1/errors", sentry_routes.preflight, methods=["OPTIONS"]),
    Route("/api/v1/errors/batch", sentry_routes.preflight, methods=["OPTIONS"]),
]
