"""Projects and their ingest keys."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, func, select, true
from sqlalchemy.exc import IntegrityError

from faultbox.store.errors import AlreadyExists, NotFound
from faultbox.store.schema import events, issues, project_keys, projects, team_members, teams


@dataclass(frozen=True, slots=True)
class Project:
    id: int
    slug: str
    name: str
    team_slug: str
    public_key: str | None  # the first active key, for the DSN
    scrub_config: str | None
    fingerprint_rules: str | None
    in_app_rules: str | None
    created_at: float


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What ingest needs to know about a public key."""

    project_id: int
    public_key: str
    active: bool
    # Protection (ingest/protection.py): None = the server's default, 0 = no limit.
    rate_limit_per_minute: int | None = None
    quota_per_day: int | None = None
    sample_rate: float | None = None  # None = keep every event
    spike_protection: bool = True


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64]
    if not slug:
        raise ValueError(f"project name {name!r} has no letters or digits to make a slug from")
    return slug


def create_project(conn: Connection, *, name: str, team_id: int) -> Project:
    if not name.strip() or len(name) > 200:
        raise ValueError("project name must be 1 to 200 characters")
    slug = slugify(name)
    now = time.time()
    try:
        with conn.begin_nested():
            result = conn.execute(
                projects.insert().values(
                    team_id=team_id, slug=slug, name=name.strip(), issue_counter=0, created_at=now
                )
            )
    except IntegrityError:
        raise AlreadyExists(f"a project with slug {slug!r} already exists") from None
    project_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    create_key(conn, project_id)
    return get_project(conn, slug)


def create_key(conn: Connection, project_id: int, label: str = "Default") -> str:
    key = secrets.token_hex(16)
    conn.execute(
        project_keys.insert().values(
            project_id=project_id,
            public_key=key,
            label=label,
            is_active=True,
            created_at=time.time(),
        )
    )
    return key


def _project_query() -> Select[Any]:
    first_key = (
        select(project_keys.c.public_key)
        .where(project_keys.c.project_id == projects.c.id, project_keys.c.is_active.is_(True))
        .order_by(project_keys.c.id)
        .limit(1)
        .scalar_subquery()
    )
    return select(
        projects.c.id,
        projects.c.slug,
        projects.c.name,
        teams.c.slug.label("team_slug"),
        first_key.label("public_key"),
        projects.c.scrub_config,
        projects.c.fingerprint_rules,
        projects.c.in_app_rules,
        projects.c.created_at,
    ).join(teams, teams.c.id == projects.c.team_id)


def _row_to_project(row: object) -> Project:
    r = row._mapping  # type: ignore[attr-defined]
    return Project(
        int(r["id"]),
        r["slug"],
        r["name"],
        r["team_slug"],
        r["public_key"],
        r["scrub_config"],
        r["fingerprint_rules"],
        r["in_app_rules"],
        r["created_at"],
    )


def get_project(conn: Connection, slug: str) -> Project:
    row = conn.execute(_project_query().where(projects.c.slug == slug)).first()
    if row is None:
        raise NotFound(f"no project {slug!r}")
    return _row_to_project(row)


def get_project_by_id(conn: Connection, project_id: int) -> Project:
    row = conn.execute(_project_query().where(projects.c.id == project_id)).first()
    if row is None:
        raise NotFound(f"no project with id {project_id}")
    return _row_to_project(row)


def list_projects(conn: Connection, *, user_id: int | None = None) -> list[Project]:
    """All projects, or those of the teams ``user_id`` belongs to."""
    query = _project_query()
    if user_id is not None:
        query = query.where(
            projects.c.team_id.in_(
                select(team_members.c.team_id).where(team_members.c.user_id == user_id)
            )
        )
    return [_row_to_project(r) for r in conn.execute(query.order_by(projects.c.id))]


def visible_project_ids(conn: Connection, *, user_id: int, is_superuser: bool) -> set[int]:
    query = select(projects.c.id)
    if not is_superuser:
        query = query.where(
            projects.c.team_id.in_(
                select(team_members.c.team_id).where(team_members.c.user_id == user_id)
            )
        )
    return {int(r.id) for r in conn.execute(query)}


def key_lookup(conn: Connection, public_key: str) -> KeyInfo | None:
    row = conn.execute(
        select(
            project_keys.c.project_id,
            project_keys.c.is_active,
            project_keys.c.rate_limit_per_minute,
            project_keys.c.quota_per_day,
            projects.c.sample_rate,
            projects.c.spike_protection,
        )
        .join(projects, projects.c.id == project_keys.c.project_id)
        .where(project_keys.c.public_key == public_key)
    ).first()
    if row is None:
        return None
    return KeyInfo(
        int(row.project_id),
        public_key,
        bool(row.is_active),
        row.rate_limit_per_minute,
        row.quota_per_day,
        row.sample_rate,
        bool(row.spike_protection),
    )


def project_counts(conn: Connection, project_id: int) -> tuple[int, int]:
    """(events stored, issues) for one project."""
    n_events = conn.execute(
        select(func.count()).select_from(events).where(events.c.project_id == project_id)
    ).scalar_one()
    n_issues = conn.execute(
        select(func.count()).select_from(issues).where(issues.c.project_id == project_id)
    ).scalar_one()
    return int(n_events), int(n_issues)


def any_project(conn: Connection) -> bool:
    return conn.execute(select(true()).select_from(projects).limit(1)).first() is not None


def set_scrub_config(conn: Connection, project_id: int, config_json: str | None) -> None:
    """Store a project's scrubbing settings (validated JSON text; None = defaults)."""
    conn.execute(
        projects.update().where(projects.c.id == project_id).values(scrub_config=config_json)
    )


def set_fingerprint_rules(conn: Connection, project_id: int, rules_text: str | None) -> None:
    """Store a project's fingerprint rules (already parsed and formatted; None = none)."""
    conn.execute(
        projects.update().where(projects.c.id == project_id).values(fingerprint_rules=rules_text)
    )


@dataclass(frozen=True, slots=True)
class ProjectSettings:
    """The stored text of the settings the digest applies per project."""

    slug: str
    scrub_config: str | None
    fingerprint_rules: str | None
    in_app_rules: str | None
    grouping_version: str | None = None
    secondary_grouping_version: str | None = None
    secondary_grouping_until: float | None = None
    severity_rules: str | None = None  # read by the lifecycle after each batch


def project_settings(conn: Connection, project_ids: set[int]) -> dict[int, ProjectSettings]:
    """The digest settings of each existing project in the set."""
    c = projects.c
    rows = conn.execute(
        select(
            c.id,
            c.slug,
            c.scrub_config,
            c.fingerprint_rules,
            c.in_app_rules,
            c.grouping_version,
            c.secondary_grouping_version,
            c.secondary_grouping_until,
            c.severity_rules,
        ).where(c.id.in_(sorted(project_ids)))
    )
    return {
        int(r.id): ProjectSettings(
            r.slug,
            r.scrub_config,
            r.fingerprint_rules,
            r.in_app_rules,
            r.grouping_version,
            r.secondary_grouping_version,
            r.secondary_grouping_until,
            r.severity_rules,
        )
        for r in rows
    }


def switch_grouping_version(
    conn: Connection, project_id: int, *, version: str, previous: str | None, until: float | None
) -> None:
    """Group new events with ``version``; ``previous`` is still consulted until ``until``."""
    conn.execute(
        projects.update()
        .where(projects.c.id == project_id)
        .values(
            grouping_version=version,
            secondary_grouping_version=previous,
            secondary_grouping_until=until,
        )
    )


def set_in_app_rules(conn: Connection, project_id: int, rules_json: str | None) -> None:
    """Store a project's in-app prefixes (validated JSON text; None = none)."""
    conn.execute(
        projects.update().where(projects.c.id == project_id).values(in_app_rules=rules_json)
    )
