"""Teams and memberships: superusers create teams; team owners (and superusers) add,
remove and re-role members. A team always keeps at least one owner."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from sqlalchemy import Connection
from starlette.responses import Response

from faultbox.accounts.scopes import ROLES
from faultbox.store.accounts import add_member, get_user_by_email
from faultbox.store.admin_teams import (
    Team,
    create_team,
    get_team,
    list_teams,
    member_role,
    owner_count,
    remove_member,
    set_member_role,
    team_members_of,
)
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.errors import AlreadyExists, NotFound
from faultbox.store.projects import list_projects, slugify
from faultbox.web.csrf import csrf_protect
from faultbox.web.identity import WebUser
from faultbox.web.pages.admin_common import MAX_NAME, done, email_problem, notice
from faultbox.web.render import page
from faultbox.web.session import SignedIn, engine_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

MANAGE_SCOPE = "member:admin"  # owners hold it; admins, members and viewers do not


def _visible_team(conn: Connection, user: WebUser, slug: str) -> Team:
    try:
        team = get_team(conn, slug)
    except NotFound:
        raise HTTPException(404, f"no team {slug!r}") from None
    if not user.is_superuser and team.id not in user.team_roles:
        raise HTTPException(404, f"no team {slug!r}")
    return team


def _teams_page(
    request: Request,
    user: WebUser,
    *,
    error: str | None = None,
    status_code: int = 200,
    name: str = "",
) -> Response:
    with read_connection(engine_of(request)) as conn:
        teams = list_teams(conn, None if user.is_superuser else set(user.team_roles))
    return page(
        request,
        "admin/teams.html",
        {
            "nav": "admin",
            "teams": teams,
            "error": error,
            "notice": notice(request),
            "name": name,
        },
        user=user,
        status_code=status_code,
    )


@router.get("/admin/teams")
def teams_list(request: Request, user: SignedIn) -> Response:
    return _teams_page(request, user)


@router.post("/admin/teams")
def team_create(
    request: Request, user: SignedIn, name: Annotated[str, Form(max_length=1000)] = ""
) -> Response:
    if not user.is_superuser:
        raise HTTPException(403, "only instance superusers may create teams")
    name = name.strip()

    def again(error: str, status_code: int = 400) -> Response:
        return _teams_page(request, user, error=error, status_code=status_code, name=name)

    if not name or len(name) > MAX_NAME:
        return again(f"A team name must be 1 to {MAX_NAME} characters.")
    try:
        slug = slugify(name)
    except ValueError:
        return again("A team name needs at least one letter or digit.")
    try:
        with write_transaction(engine_of(request)) as conn:
            team_id = create_team(conn, slug=slug, name=name)
            add_member(conn, team_id=team_id, user_id=user.id, role="owner")
    except AlreadyExists:
        return again(f"A team named {slug!r} already exists.", 409)
    return done(f"/admin/teams/{slug}", "team-created")


def _team_page(
    request: Request,
    user: WebUser,
    slug: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    with read_connection(engine_of(request)) as conn:
        team = _visible_team(conn, user, slug)
        members = team_members_of(conn, team.id)
        projects = [
            p for p in list_projects(conn) if p.team_slug == team.slug and p.id in user.project_ids
        ]
    return page(
        request,
        "admin/team.html",
        {
            "nav": "admin",
            "team": team,
            "members": members,
            "projects": projects,
            "roles": ROLES,
            "may_manage": user.may_in_team(team.id, MANAGE_SCOPE),
            "error": error,
            "notice": notice(request),
            "form": form or {},
        },
        user=user,
        status_code=status_code,
    )


@router.get("/admin/teams/{slug}")
def team_detail(request: Request, user: SignedIn, slug: str) -> Response:
    return _team_page(request, user, slug)


def _managed_team(request: Request, user: WebUser, slug: str) -> Team:
    with read_connection(engine_of(request)) as conn:
        team = _visible_team(conn, user, slug)
    if not user.may_in_team(team.id, MANAGE_SCOPE):
        raise HTTPException(403, f"only owners of {team.name} may manage its members")
    return team


@router.post("/admin/teams/{slug}/members")
def member_add(
    request: Request,
    user: SignedIn,
    slug: str,
    email: Annotated[str, Form(max_length=1000)] = "",
    role: Annotated[str, Form(max_length=20)] = "member",
) -> Response:
    team = _managed_team(request, user, slug)
    email = email.strip()

    def again(error: str, status_code: int = 400) -> Response:
        form = {"email": email, "role": role}
        return _team_page(request, user, slug, error=error, status_code=status_code, form=form)

    problem = email_problem(email)
    if problem:
        return again(problem)
    if role not in ROLES:
        return again(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    with write_transaction(engine_of(request)) as conn:
        try:
            member = get_user_by_email(conn, email)
        except NotFound:
            member = None
        existing = None if member is None else member_role(conn, team.id, member.id)
        if member is not None and existing is None:
            add_member(conn, team_id=team.id, user_id=member.id, role=role)
    if member is None:
        return again(f"No user with email {email.lower()!r}; a superuser creates accounts.")
    if existing is not None:
        return again(f"{member.email} is already a member (as {existing}).", 409)
    return done(f"/admin/teams/{team.slug}", "member-added")


def _refuse_ownerless(conn: Connection, team: Team, user_id: int) -> bool:
    """Whether this member is the team's only owner."""
    return member_role(conn, team.id, user_id) == "owner" and owner_count(conn, team.id) <= 1


@router.post("/admin/teams/{slug}/members/{user_id}/role")
def member_role_change(
    request: Request,
    user: SignedIn,
    slug: str,
    user_id: int,
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    team = _managed_team(request, user, slug)
    if role not in ROLES:
        return _team_page(
            request,
            user,
            slug,
            error=f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.",
            status_code=400,
        )
    with write_transaction(engine_of(request)) as conn:
        current = member_role(conn, team.id, user_id)
        last_owner = role != "owner" and _refuse_ownerless(conn, team, user_id)
        if current is not None and not last_owner:
            set_member_role(conn, team.id, user_id, role)
    if current is None:
        raise HTTPException(404, "no such member")
    if last_owner:
        return _team_page(
            request,
            user,
            slug,
            error="A team needs an owner: make someone else owner first.",
            status_code=409,
        )
    return done(f"/admin/teams/{team.slug}", "role-changed")


@router.post("/admin/teams/{slug}/members/{user_id}/remove")
def member_remove(request: Request, user: SignedIn, slug: str, user_id: int) -> Response:
    team = _managed_team(request, user, slug)
    with write_transaction(engine_of(request)) as conn:
        current = member_role(conn, team.id, user_id)
        last_owner = _refuse_ownerless(conn, team, user_id)
        if current is not None and not last_owner:
            remove_member(conn, team.id, user_id)
    if current is None:
        raise HTTPException(404, "no such member")
    if last_owner:
        return _team_page(
            request,
            user,
            slug,
            error="A team needs an owner: make someone else owner before removing this one.",
            status_code=409,
        )
    return done(f"/admin/teams/{team.slug}", "member-removed")
