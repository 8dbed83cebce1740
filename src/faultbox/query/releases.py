"""Releases as the API and the dashboard show them: each with its package and semantic
version, what happened in it (new issues, regressions, events) and its deploys."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from faultbox.lifecycle.releases import parse_version
from faultbox.query.timefmt import iso
from faultbox.store.projects import Project
from faultbox.store.releases import deploys_of, release_stats
from faultbox.store.schema import issue_activity, issues


def deploy_json(row: dict[str, Any], version: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "release": version,
        "environment": row["environment"],
        "deployed_at": iso(row["deployed_at"]),
        "created_at": iso(row["created_at"]),
    }


def release_json(
    project: Project,
    row: dict[str, Any],
    stats: dict[str, int],
    deploys: list[dict[str, Any]],
    deploy_limit: int | None = None,
) -> dict[str, Any]:
    parsed = parse_version(row["version"])
    shown = deploys if deploy_limit is None else deploys[:deploy_limit]
    return {
        "version": row["version"],
        "project": project.slug,
        "package": parsed.package if parsed else None,
        "semver": str(parsed.version) if parsed else None,
        "commit": row["commit"],
        "url": row["url"],
        "created_at": iso(row["created_at"]),
        "new_issues": stats["new_issues"],
        "regressed_issues": stats["regressed_issues"],
        "event_count": stats["event_count"],
        "deploy_count": len(deploys),
        "last_deploy": deploy_json(deploys[0], row["version"]) if deploys else None,
        "deploys": [deploy_json(d, row["version"]) for d in shown],
    }


def describe_releases(
    conn: Connection, project: Project, rows: list[dict[str, Any]], deploy_limit: int | None
) -> list[dict[str, Any]]:
    """``rows`` (from store.releases) with their stats and deploys, in the same order."""
    stats = release_stats(conn, project.id, [r["version"] for r in rows])
    deploys = deploys_of(conn, [r["id"] for r in rows])
    return [
        release_json(project, r, stats[r["version"]], deploys[r["id"]], deploy_limit) for r in rows
    ]


def release_issues(
    conn: Connection, project_id: int, version: str, *, limit: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The issues first seen in the release and those that regressed in it (what
    ``new_issues`` and ``regressed_issues`` count), most events first."""
    i = issues.c
    columns = (i.id, i.short_id, i.title, i.status, i.level, i.times_seen, i.last_seen)
    new = conn.execute(
        select(*columns)
        .where(i.project_id == project_id, i.first_release == version)
        .order_by(i.times_seen.desc(), i.id.desc())
        .limit(limit)
    ).all()
    a = issue_activity.c
    regressed_ids = select(a.issue_id).where(
        a.project_id == project_id, a.kind == "regression", a.new_value == version
    )
    regressed = conn.execute(
        select(*columns)
        .where(i.project_id == project_id, i.id.in_(regressed_ids))
        .order_by(i.times_seen.desc(), i.id.desc())
        .limit(limit)
    ).all()
    return [dict(r._mapping) for r in new], [dict(r._mapping) for r in regressed]
