"""The projects list and a project's onboarding: its DSN, copy-paste snippets for every
client, and a "waiting for your first event" panel that turns into the issue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from faultbox.query.dsn import dsn_for
from faultbox.store.db import read_connection
from faultbox.store.projects import Project, project_counts
from faultbox.store.schema import issues
from faultbox.web.access import project_for, visible_projects
from faultbox.web.render import page
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False)


@router.get("/projects")
def projects(request: Request, user: SignedIn) -> Response:
    public_url = request.app.state.settings.public_url
    with read_connection(engine_of(request)) as conn:
        rows = []
        for project in visible_projects(conn, user):
            events, issue_count = project_counts(conn, project.id)
            rows.append(
                {
                    "project": project,
                    "dsn": dsn_for(public_url, project),
                    "events": events,
                    "issues": issue_count,
                    "role": user.role(project.id),
                }
            )
    return page(request, "onboarding/projects.html", {"rows": rows, "nav": "projects"}, user=user)


def _first_issue(request: Request, project: Project) -> dict[str, Any] | None:
    with read_connection(engine_of(request)) as conn:
        row = conn.execute(
            select(issues.c.id, issues.c.short_id, issues.c.title, issues.c.level)
            .where(issues.c.project_id == project.id)
            .order_by(issues.c.first_seen, issues.c.id)
            .limit(1)
        ).first()
    return dict(row._mapping) if row is not None else None


def snippets(public_url: str, dsn: str, public_key: str) -> list[dict[str, str]]:
    """Copy-paste setup per client, in the order a new user is likely to look."""
    return [
        {
            "id": "python",
            "title": "Python (sentry-sdk)",
            "install": "pip install sentry-sdk",
            "code": (
                "import sentry_sdk\n\n"
                f'sentry_sdk.init(dsn="{dsn}", release="my-app@1.0.0", '
                'environment="production")\n\n'
                "division_by_zero = 1 / 0  # a first error to see it arrive"
            ),
        },
        {
            "id": "faultbox-sdk",
            "title": "Python (faultbox-sdk)",
            "install": "pip install faultbox-sdk",
            "code": (
                "import faultbox_sdk\n\n"
                f'faultbox_sdk.init(dsn="{dsn}", service_name="api", '
                'environment="production", release="1.0.0")\n\n'
                'faultbox_sdk.capture_message("Faultbox is set up")'
            ),
        },
        {
            "id": "browser",
            "title": "Browser (@sentry/browser)",
            "install": "npm install @sentry/browser",
            "code": (
                'import * as Sentry from "@sentry/browser";\n\n'
                f'Sentry.init({{ dsn: "{dsn}", release: "web@1.0.0", '
                'environment: "production" }});'
            ),
        },
        {
            "id": "browser-script",
            "title": "Browser (Faultbox script, no build step)",
            "install": "",
            "code": (
                # crossorigin: errors passing through the script (a failed fetch it
                # watched) are otherwise muted by the browser for another origin's script.
                f'<script src="{public_url}/sdk/faultbox.js" crossorigin="anonymous"></script>\n'
                "<script>\n"
                f'  Faultbox.init({{ dsn: "{dsn}", environment: "production", '
                'release: "web@1.0.0", serviceName: "web" });\n'
                "</script>"
            ),
        },
        {
            "id": "node",
            "title": "Node.js (@sentry/node)",
            "install": "npm install @sentry/node",
            "code": (
                'const Sentry = require("@sentry/node");\n\n'
                f'Sentry.init({{ dsn: "{dsn}", release: "api@1.0.0", '
                'environment: "production" }});'
            ),
        },
        {
            "id": "curl",
            "title": "curl (native JSON API)",
            "install": "",
            "code": (
                f"curl -X POST {public_url}/api/v1/errors \\\n"
                f"  -H 'X-Faultbox-Key: {public_key}' \\\n"
                "  -H 'Content-Type: application/json' \\\n"
                '  -d \'{"errorType": "TimeoutError", "message": "payment gateway timed out",'
                ' "serviceName": "checkout", "environment": "production"}\''
            ),
        },
    ]


@router.get("/projects/{slug}/onboarding")
def onboarding(request: Request, slug: str, user: SignedIn) -> Response:
    public_url = request.app.state.settings.public_url
    with read_connection(engine_of(request)) as conn:
        project = project_for(conn, user, slug)
    dsn = dsn_for(public_url, project)
    context = {
        "project": project,
        "nav": "projects",
        "dsn": dsn,
        "snippets": snippets(public_url, dsn, project.public_key or "") if dsn else [],
        "first": _first_issue(request, project),
    }
    return page(request, "onboarding/onboarding.html", context, user=user)


@router.get("/projects/{slug}/onboarding/first-event")
def first_event(request: Request, slug: str, user: SignedIn) -> Response:
    """Polled by the waiting panel; once an event is grouped, it answers the issue."""
    with read_connection(engine_of(request)) as conn:
        project = project_for(conn, user, slug)
    context = {"project": project, "first": _first_issue(request, project)}
    return page(request, "onboarding/first_event.html", context, user=user)
