"""GET /api/v1/issues/{id}/report: the analysis report, as JSON or Markdown."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from faultbox import clock
from faultbox.api.auth import Principal, engine_of, require
from faultbox.api.issues import visible_issue
from faultbox.digest.grouping.frame_naming import grouping_app_frame
from faultbox.query.report import build_report
from faultbox.query.report_markdown import render_report
from faultbox.store.db import read_connection

router = APIRouter(prefix="/api/v1", tags=["issues and events"])
EventReader = Annotated[Principal, Depends(require("event:read"))]
MARKDOWN = "text/markdown; charset=utf-8"


def _wants_markdown(request: Request, fmt: str | None) -> bool:
    if fmt is not None:
        if fmt not in ("json", "markdown"):
            raise HTTPException(400, f"format must be json or markdown; got {fmt[:40]!r}")
        return fmt == "markdown"
    return "text/markdown" in request.headers.get("accept", "")


@router.get(
    "/issues/{issue_id}/report",
    responses={200: {"content": {"application/json": {}, "text/markdown": {}}}},
)
def issue_report(
    request: Request,
    issue_id: int,
    principal: EventReader,
    fmt: Annotated[
        str | None,
        Query(alias="format", description="json (default) or markdown (or Accept: text/markdown)"),
    ] = None,
) -> Any:
    """Summary, impact, timeline (spikes and the deploys around them), the latest
    event's first in-app frame with its source, suspect release, over-represented tag
    values, catalogue fields, patterns and activity (see ``faultbox.query.report``)."""
    markdown = _wants_markdown(request, fmt)
    issue = visible_issue(request, principal, issue_id)
    with read_connection(engine_of(request)) as conn:
        report = build_report(conn, issue["id"], grouping_app_frame, clock.now())
    if report is None:  # deleted between the two reads
        raise HTTPException(404, f"no issue {issue_id}")
    if "merged_from" in issue:
        report["merged_from"] = issue["merged_from"]
    if markdown:
        return Response(render_report(report), media_type=MARKDOWN)
    return report
