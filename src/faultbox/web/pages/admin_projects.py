"""Projects: the user's projects with their DSN; creating one in a team (team admin+)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from starlette.responses import RedirectResponse, Response

from faultbox.query.dsn import dsn_for
from faultbox.store.admin_teams import list_teams
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.errors import AlreadyExists, NotFound
from faultbox.store.projects import create_project
from faultbox.web.access import visible_projects
from faultbox.web.csrf import csrf_protect
from faultbox.web.identity import WebUser
from faultbox.web.pages.admin_common import MAX_NAME, sentence
from faultbox.web.render import page
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

CREATE_SCOPE = "project:admin"


def _projects_page(
    request: Request,
    user: WebUser,
    *,
    error: str | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    public_url = request.app.state.settings.public_url
    with read_connection(engine_of(request)) as conn:
        projects = visible_projects(conn, user)
        teams = list_teams(conn, None if user.is_superuser else set(user.team_roles))
    rows = [
        {
            "project": p,
            "dsn": dsn_for(public_url, p),
            "may_admin": user.may(p.id, "project:admin"),
            "may_write": user.may(p.id, "project:write"),
            "role": user.role(p.id),
        }
        for p in projects
    ]
    creatable = [t for t in teams if user.may_in_team(t.id, CREATE_SCOPE)]
    return page(
        request,
        "admin/projects.html",
        {
            "nav": "admin",
            "rows": rows,
            "teams": creatable,
            "error": error,
            "form": form or {},
        },
        user=user,
        status_code=status_code,
    )


@router.get("/admin/projects")
def projects_list(request: Request, user: SignedIn) -> Response:
    return _projects_page(request, user)


@router.post("/admin/projects")
def project_create(
    request: Request,
    user: SignedIn,
    name: Annotated[str, Form(max_length=1000)] = "",
    team: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    name = name.strip()

    def again(error: str, status_code: int = 400) -> Response:
        form = {"name": name, "team": team}
        return _projects_page(request, user, error=error, status_code=status_code, form=form)

    with read_connection(engine_of(request)) as conn:
        teams = {t.slug: t for t in list_teams(conn)}
    chosen = teams.get(team)
    if chosen is None or not (user.is_superuser or chosen.id in user.team_roles):
        return again("Choose one of your teams.")
    if not user.may_in_team(chosen.id, CREATE_SCOPE):
        raise HTTPException(403, f"your role in {chosen.name} may not create projects")
    if not name or len(name) > MAX_NAME:
        return again(f"A project name must be 1 to {MAX_NAME} characters.")
    try:
        with write_transaction(engine_of(request)) as conn:
            project = create_project(conn, name=name, team_id=chosen.id)
    except AlreadyExists as exc:
        return again(sentence(exc, ": choose another name."), 409)
    except (ValueError, NotFound) as exc:
        return again(sentence(exc))
    return RedirectResponse(f"/projects/{project.slug}/onboarding", status_code=303)
