"""/admin: the sections the signed-in user may use; also gathers the admin routers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from faultbox.web.pages import (
    admin_keys,
    admin_projects,
    admin_protection,
    admin_retention,
    admin_settings,
    admin_teams,
    admin_tokens,
    admin_users,
)
from faultbox.web.render import page
from faultbox.web.session import SignedIn

router = APIRouter(include_in_schema=False)


@router.get("/admin")
def admin_index(request: Request, user: SignedIn) -> Response:
    manages_a_team = user.is_superuser or any(
        user.may_in_team(team_id, "member:admin") for team_id in user.team_roles
    )
    return page(
        request,
        "admin/index.html",
        {"nav": "admin", "manages_a_team": manages_a_team},
        user=user,
    )


# admin_retention before admin_settings: its tab's routes win over the generic one.
for _module in (
    admin_users,
    admin_teams,
    admin_projects,
    admin_keys,
    admin_protection,
    admin_retention,
    admin_settings,
    admin_tokens,
):
    router.include_router(_module.router)
