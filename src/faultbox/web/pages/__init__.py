"""One module per page family; each exposes ``router`` and is listed here once."""

from __future__ import annotations

from fastapi import APIRouter

from faultbox.web.pages import (
    admin_index,
    alert_channels,
    alert_deliveries,
    alert_rules,
    auth,
    deadletters,
    incidents,
    issue,
    issue_actions,
    issue_discard,
    issue_panels,
    monitors,
    onboarding,
    overview,
    releases,
    sdk_script,
    stream,
)

PAGE_ROUTERS: list[APIRouter] = [
    auth.router,
    stream.router,
    issue.router,
    issue_actions.router,
    issue_discard.router,
    issue_panels.router,
    onboarding.router,
    admin_index.router,
    overview.router,
    releases.router,
    monitors.router,
    alert_rules.router,
    alert_channels.router,
    alert_deliveries.router,
    deadletters.router,
    incidents.router,
    incidents.ack_router,
    sdk_script.router,
]
