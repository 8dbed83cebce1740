"""Releases and deploys: recorded from events' ``release``, created through the API,
and read with what happened in each (new issues, regressions, events)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from faultbox.store.dialect import upsert
from faultbox.store.errors import AlreadyExists
from faultbox.store.schema import deploys, issue_activity, issue_tags, issues, releases

MAX_TAG_VALUE = 200  # issue_tags.value: the release facet is counted under this prefix

Key = tuple[int, str]  # (project_id, version)


def record_seen(conn: Connection, first_seen: Mapping[Key, float]) -> set[Key]:
    """Create the releases events named, dated by their earliest event; one statement
    per batch whatever its size. Returns those that did not exist before."""
    if not first_seen:
        return set()
    stmt = (
        upsert(conn, releases)
        .on_conflict_do_nothing(index_elements=["project_id", "version"])
        .returning(releases.c.project_id, releases.c.version, sort_by_parameter_order=False)
    )
    rows = conn.execute(
        stmt,
        [
            {"project_id": pid, "version": version, "created_at": ts}
            for (pid, version), ts in sorted(first_seen.items())
        ],
    )
    return {(int(r.project_id), r.version) for r in rows}


def _first_deploy() -> Any:
    return (
        select(func.min(deploys.c.deployed_at))
        .where(deploys.c.release_id == releases.c.id)
        .scalar_subquery()
    )


def release_times(conn: Connection, project_id: int, versions: Iterable[str]) -> dict[str, Any]:
    """``{version: (created_at, first deploy or None)}`` of the versions that exist."""
    wanted = sorted(set(versions))
    found: dict[str, Any] = {}
    for i in range(0, len(wanted), 400):
        rows = conn.execute(
            select(releases.c.version, releases.c.created_at, _first_deploy().label("deployed"))
            .where(releases.c.project_id == project_id)
            .where(releases.c.version.in_(wanted[i : i + 400]))
        )
        found.update((r.version, (r.created_at, r.deployed)) for r in rows)
    return found


# -- the API ---------------------------------------------------------------------------


def create_release(
    conn: Connection,
    project_id: int,
    version: str,
    *,
    commit: str | None,
    url: str | None,
    now: float,
) -> tuple[dict[str, Any], bool]:
    """The release and whether it is new. An existing one (events created it, or a
    CI job posts twice) gets the commit and url it lacked; a different commit or url
    than the stored one is refused rather than silently rewritten."""
    inserted = conn.execute(
        upsert(conn, releases)
        .values(project_id=project_id, version=version, commit=commit, url=url, created_at=now)
        .on_conflict_do_nothing(index_elements=["project_id", "version"])
        .returning(releases.c.id)
    ).first()
    current = get_release(conn, project_id, version)
    assert current is not None
    if inserted is not None:
        return current, True
    fill: dict[str, str] = {}
    for name, value in (("commit", commit), ("url", url)):
        if value is None or current[name] == value:
            continue
        if current[name] is not None:
            raise AlreadyExists(f"release {version!r} already exists with {name} {current[name]!r}")
        fill[name] = value
    if fill:
        conn.execute(releases.update().where(releases.c.id == current["id"]).values(**fill))
        current.update(fill)
    return current, False


def _release_select() -> Any:
    return select(
        releases.c.id,
        releases.c.project_id,
        releases.c.version,
        releases.c.commit,
        releases.c.url,
        releases.c.created_at,
    )


def get_release(conn: Connection, project_id: int, version: str) -> dict[str, Any] | None:
    row = conn.execute(
        _release_select().where(releases.c.project_id == project_id, releases.c.version == version)
    ).first()
    return dict(row._mapping) if row is not None else None


def list_releases(
    conn: Connection, project_id: int, *, limit: int, after: tuple[float, int] | None = None
) -> list[dict[str, Any]]:
    """Newest first (created_at, then id), ``limit`` rows after the keyset ``after``."""
    c = releases.c
    query = _release_select().where(c.project_id == project_id)
    if after is not None:
        created, release_id = after
        query = query.where(
            or_(c.created_at < created, and_(c.created_at == created, c.id < release_id))
        )
    rows = conn.execute(query.order_by(c.created_at.desc(), c.id.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]


def release_stats(conn: Connection, project_id: int, versions: list[str]) -> dict[str, Any]:
    """Per version: issues first seen in it, issues that regressed in it, and events.

    Events are summed from the per-issue release facet (indexed, kept exact by the
    digest and by merges) instead of counting the events table, which has no index
    on release."""
    stats: dict[str, dict[str, int]] = {
        v: {"new_issues": 0, "regressed_issues": 0, "event_count": 0} for v in versions
    }
    if not versions:
        return stats
    for row in conn.execute(
        select(issues.c.first_release, func.count())
        .where(issues.c.project_id == project_id, issues.c.first_release.in_(versions))
        .group_by(issues.c.first_release)
    ):
        stats[row[0]]["new_issues"] = int(row[1])
    a = issue_activity.c
    for row in conn.execute(
        select(a.new_value, func.count(a.issue_id.distinct()))
        .where(a.project_id == project_id, a.kind == "regression", a.new_value.in_(versions))
        .group_by(a.new_value)
    ):
        stats[row[0]]["regressed_issues"] = int(row[1])
    by_value: dict[str, list[str]] = defaultdict(list)
    for v in versions:
        by_value[v[:MAX_TAG_VALUE]].append(v)
    for row in conn.execute(
        select(issue_tags.c.value, func.sum(issue_tags.c.times_seen))
        .join(issues, issues.c.id == issue_tags.c.issue_id)
        .where(issue_tags.c.key == "release", issue_tags.c.value.in_(sorted(by_value)))
        .where(issues.c.project_id == project_id)
        .group_by(issue_tags.c.value)
    ):
        for v in by_value[row[0]]:
            stats[v]["event_count"] = int(row[1] or 0)
    return stats


def add_deploy(
    conn: Connection, release_id: int, *, environment: str, deployed_at: float, now: float
) -> dict[str, Any]:
    """A deploy of the release; the same environment at the same time twice is refused."""
    d = deploys.c
    twice = conn.execute(
        select(d.id).where(
            d.release_id == release_id, d.environment == environment, d.deployed_at == deployed_at
        )
    ).first()
    if twice is not None:
        raise AlreadyExists(f"this deploy to {environment!r} at that time is already recorded")
    deploy_id = conn.execute(
        deploys.insert()
        .values(
            release_id=release_id, environment=environment, deployed_at=deployed_at, created_at=now
        )
        .returning(d.id)
    ).scalar_one()
    return {
        "id": int(deploy_id),
        "release_id": release_id,
        "environment": environment,
        "deployed_at": deployed_at,
        "created_at": now,
    }


def deploys_of(conn: Connection, release_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each release's deploys, newest first."""
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in release_ids}
    if not release_ids:
        return found
    d = deploys.c
    rows = conn.execute(
        select(d.id, d.release_id, d.environment, d.deployed_at, d.created_at)
        .where(d.release_id.in_(sorted(release_ids)))
        .order_by(d.deployed_at.desc(), d.id.desc())
    )
    for r in rows:
        found[int(r.release_id)].append(dict(r._mapping))
    return found


def deploys_between(
    conn: Connection,
    project_ids: Iterable[int],
    start: float,
    end: float,
    *,
    environment: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """The projects' deploys in ``[start, end)``, oldest first, with their version:
    the markers on a chart of errors over time."""
    d = deploys.c
    query = (
        select(d.id, d.environment, d.deployed_at, releases.c.version, releases.c.project_id)
        .join(releases, releases.c.id == d.release_id)
        .where(releases.c.project_id.in_(sorted(set(project_ids))))
        .where(d.deployed_at >= start, d.deployed_at < end)
    )
    if environment is not None:
        query = query.where(d.environment == environment)
    rows = conn.execute(query.order_by(d.deployed_at, d.id).limit(limit))
    return [dict(r._mapping) for r in rows]
