"""One module per page family; each exposes ``router`` and is listed here once."""

from __future__ import annotations

from fastapi import APIRouter

from faultbox.web.pages import (
    admin_index,
    auth,
    deadletters,
    issue,
    issue_actions,
    issue_panels,
    onboarding,
    overview,
    releases,
)

PAGE_ROUTERS: list[APIRouter] = [
    auth.router,
    admin_index.router,
    issue.router,
    issue_actions.router,
    issue_panels.router,
    onboarding.router,
    overview.router,
    releases.router,
    deadletters.router,
]
