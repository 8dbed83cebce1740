"""What ``faultbox export`` writes, read from the database: a project's issues with
their catalogue fields, and its team's patterns with the issues linked to them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from faultbox.store.issue_state import CATALOGUE_FIELDS
from faultbox.store.schema import issues, pattern_issues, patterns, projects, teams

PATTERN_FIELDS = ("description", "prevention", "code_example")


@dataclass(frozen=True, slots=True)
class IssueEntry:
    id: int
    project: str
    short_id: int
    title: str
    culprit: str | None
    level: str
    status: str
    severity: str | None
    taxonomy: str | None
    first_seen: float
    last_seen: float
    times_seen: int
    users_seen: int
    first_release: str | None
    last_release: str | None
    resolved_at: float | None
    status_changed_at: float | None
    fields: dict[str, str | None]
    patterns: list[int] = field(default_factory=list)  # pattern numbers


@dataclass(frozen=True, slots=True)
class PatternEntry:
    number: int
    team: str
    title: str
    fields: dict[str, str | None]
    issues: list[tuple[str, int]]  # (project slug, short id), every project
    occurrences: int  # events of the linked issues


@dataclass(frozen=True, slots=True)
class ProjectCatalogue:
    project: str
    issues: list[IssueEntry]
    patterns: list[PatternEntry]


def project_catalogue(conn: Connection, project_id: int) -> ProjectCatalogue:
    slug, team_id = conn.execute(
        select(projects.c.slug, projects.c.team_id).where(projects.c.id == project_id)
    ).one()
    links: dict[int, list[int]] = defaultdict(list)
    for issue_id, number in conn.execute(
        select(pattern_issues.c.issue_id, patterns.c.number)
        .join(patterns, patterns.c.id == pattern_issues.c.pattern_id)
        .join(issues, issues.c.id == pattern_issues.c.issue_id)
        .where(issues.c.project_id == project_id)
        .order_by(patterns.c.number)
    ):
        links[int(issue_id)].append(int(number))
    rows = conn.execute(
        select(issues).where(issues.c.project_id == project_id).order_by(issues.c.short_id)
    )
    entries = [_issue(slug, row._mapping, links.get(int(row.id), [])) for row in rows]
    return ProjectCatalogue(slug, entries, _team_patterns(conn, int(team_id)))


def _issue(slug: str, r: Any, pattern_numbers: list[int]) -> IssueEntry:
    return IssueEntry(
        id=int(r["id"]),
        project=slug,
        short_id=int(r["short_id"]),
        title=r["title"],
        culprit=r["culprit"],
        level=r["level"],
        status=r["status"],
        severity=r["severity"],
        taxonomy=r["taxonomy"],
        first_seen=r["first_seen"],
        last_seen=r["last_seen"],
        times_seen=int(r["times_seen"]),
        users_seen=int(r["users_seen"]),
        first_release=r["first_release"],
        last_release=r["last_release"],
        resolved_at=r["resolved_at"],
        status_changed_at=r["status_changed_at"],
        fields={name: r[name] for name in CATALOGUE_FIELDS},
        patterns=pattern_numbers,
    )


def _team_patterns(conn: Connection, team_id: int) -> list[PatternEntry]:
    linked: dict[int, list[tuple[str, int]]] = defaultdict(list)
    occurrences: dict[int, int] = defaultdict(int)
    for pattern_id, slug, short_id, seen in conn.execute(
        select(pattern_issues.c.pattern_id, projects.c.slug, issues.c.short_id, issues.c.times_seen)
        .join(issues, issues.c.id == pattern_issues.c.issue_id)
        .join(projects, projects.c.id == issues.c.project_id)
        .join(patterns, patterns.c.id == pattern_issues.c.pattern_id)
        .where(patterns.c.team_id == team_id)
        .order_by(projects.c.slug, issues.c.short_id)
    ):
        linked[int(pattern_id)].append((slug, int(short_id)))
        occurrences[int(pattern_id)] += int(seen)
    rows = conn.execute(
        select(patterns, teams.c.slug.label("team_slug"))
        .join(teams, teams.c.id == patterns.c.team_id)
        .where(patterns.c.team_id == team_id)
        .order_by(patterns.c.number)
    )
    return [
        PatternEntry(
            number=int(r.number),
            team=r.team_slug,
            title=r.title,
            fields={name: getattr(r, name) for name in PATTERN_FIELDS},
            issues=linked.get(int(r.id), []),
            occurrences=occurrences.get(int(r.id), 0),
        )
        for r in rows
    ]


def project_ids(conn: Connection, slug: str | None) -> list[int]:
    """The project with that slug (none if unknown), or every project."""
    query = select(projects.c.id).order_by(projects.c.slug)
    if slug is not None:
        query = query.where(projects.c.slug == slug)
    return [int(i) for i in conn.execute(query).scalars()]
