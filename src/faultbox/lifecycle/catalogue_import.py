"""Reading a catalogue back (``faultbox import``): the catalogue fields of issues, and
patterns with their links, in the caller's one transaction.

Everything is checked before anything is written, and any refusal raises, so the
caller's transaction rolls back and an import is all or nothing. An issue is found
by its project's slug and short id (``ERR-142``); each field whose text differs
writes a ``catalogue`` activity entry (no user, note "import"). Whitespace-only text
clears a field, as in ``PATCH``. Patterns are found by number (created, for the
team the file names, when missing); links listed in a pattern file are added when
missing (a ``pattern`` activity entry on the issue) and never removed, because an
export of one project does not list the pattern's issues of other projects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from faultbox.lifecycle.changes import MAX_TEXT
from faultbox.lifecycle.codes import issue_code, pattern_code
from faultbox.store import catalogue as store
from faultbox.store.activity import Activity, record
from faultbox.store.issue_state import lock_issues, update_issue

NOTE = "import"


class ImportRefused(ValueError):
    """The catalogue cannot be imported as it is (the message names the file)."""


@dataclass(frozen=True, slots=True)
class EntryFields:
    """An issue's catalogue fields as a file holds them."""

    source: str  # the file, for messages
    project: str
    short_id: int
    fields: dict[str, str]


@dataclass(frozen=True, slots=True)
class PatternFields:
    source: str
    number: int
    team: str
    title: str
    fields: dict[str, str]
    issues: list[tuple[str, int]]  # (project slug, short id)


@dataclass(slots=True)
class ImportResult:
    issues: list[dict[str, Any]] = field(default_factory=list)  # project, id, fields
    patterns_created: list[str] = field(default_factory=list)
    patterns_updated: list[dict[str, Any]] = field(default_factory=list)  # id, fields
    links_added: list[dict[str, str]] = field(default_factory=list)  # pattern, project, issue

    @property
    def changed_fields(self) -> int:
        return sum(len(i["fields"]) for i in self.issues)


def _cleared(text: str | None) -> str | None:
    return text if text is not None and text.strip() else None


def import_catalogue(
    conn: Connection,
    entries: Sequence[EntryFields],
    patterns: Sequence[PatternFields],
    now: float,
) -> ImportResult:
    _refuse_duplicates(entries)
    patterns = _unique_patterns(patterns)
    items: list[EntryFields | PatternFields] = [*entries, *patterns]
    for item in items:
        for name, text in item.fields.items():
            if len(text) > MAX_TEXT:
                raise ImportRefused(f"{item.source}: {name} is longer than {MAX_TEXT} characters")
    wanted = [(e.source, e.project, e.short_id) for e in entries]
    wanted += [(p.source, slug, n) for p in patterns for slug, n in p.issues]
    issue_ids = _resolve_issues(conn, wanted)
    result = ImportResult()
    _import_fields(conn, entries, issue_ids, now, result)
    for pattern in patterns:
        _import_pattern(conn, pattern, issue_ids, now, result)
    return result


def _refuse_duplicates(entries: Sequence[EntryFields]) -> None:
    seen: dict[tuple[str, int], str] = {}
    for e in entries:
        key = (e.project, e.short_id)
        if key in seen:
            raise ImportRefused(
                f"{e.source}: {issue_code(e.short_id)} of {e.project!r} is also in {seen[key]}"
            )
        seen[key] = e.source


def _unique_patterns(patterns: Sequence[PatternFields]) -> list[PatternFields]:
    """One per number: the same pattern exported with several projects is read once,
    and two different texts for one pattern are refused rather than one picked."""
    by_number: dict[int, PatternFields] = {}
    for p in patterns:
        other = by_number.get(p.number)
        if other is None:
            by_number[p.number] = p
        elif (other.title, other.fields, other.team) != (p.title, p.fields, p.team):
            raise ImportRefused(f"{p.source}: {pattern_code(p.number)} differs from {other.source}")
    return [by_number[n] for n in sorted(by_number)]


def _resolve_issues(
    conn: Connection, wanted: list[tuple[str, str, int]]
) -> dict[tuple[str, int], int]:
    projects = store.project_ids_by_slug(conn, (slug for _, slug, _ in wanted))
    for source, slug, _ in wanted:
        if slug not in projects:
            raise ImportRefused(f"{source}: no project {slug!r}")
    found = store.issue_ids_by_short_id(conn, ((projects[s], n) for _, s, n in wanted))
    for source, slug, short_id in wanted:
        if (projects[slug], short_id) not in found:
            target = store.merged_into(conn, projects[slug], short_id)
            hint = f" (it was merged into {issue_code(target)})" if target is not None else ""
            raise ImportRefused(
                f"{source}: no issue {issue_code(short_id)} in project {slug!r}{hint}"
            )
    return {(slug, n): found[(projects[slug], n)] for _, slug, n in wanted}


def _import_fields(
    conn: Connection,
    entries: Sequence[EntryFields],
    issue_ids: dict[tuple[str, int], int],
    now: float,
    result: ImportResult,
) -> None:
    by_id = {issue_ids[(e.project, e.short_id)]: e for e in entries}
    for row in lock_issues(conn, list(by_id)):
        entry = by_id[int(row.id)]
        values: dict[str, str | None] = {}
        log = []
        for name, text in entry.fields.items():
            new, old = _cleared(text), getattr(row, name)
            if new == old:
                continue
            values[name] = new
            log.append(
                Activity(
                    issue_id=int(row.id),
                    project_id=int(row.project_id),
                    kind="catalogue",
                    created_at=now,
                    field=name,
                    old_value=old,
                    new_value=new,
                    note=NOTE,
                )
            )
        if values:
            update_issue(conn, int(row.id), values)
            record(conn, log)
            result.issues.append(
                {
                    "project": entry.project,
                    "short_id": issue_code(entry.short_id),
                    "fields": sorted(values),
                }
            )


def _import_pattern(
    conn: Connection,
    p: PatternFields,
    issue_ids: dict[tuple[str, int], int],
    now: float,
    result: ImportResult,
) -> None:
    code = pattern_code(p.number)
    wanted: dict[str, str | None] = {"title": p.title}
    wanted.update({name: _cleared(text) for name, text in p.fields.items()})
    row = store.patterns_by_number(conn, [p.number]).get(p.number)
    if row is None:
        team_id = store.team_id_by_slug(conn, p.team)
        if team_id is None:
            raise ImportRefused(f"{p.source}: no team {p.team!r} for the new pattern {code}")
        pattern_id = store.insert_pattern(
            conn, team_id=team_id, number=p.number, values=wanted, now=now
        )
        result.patterns_created.append(code)
        linked: set[int] = set()
    else:
        pattern_id = int(row.id)
        changed = {name: v for name, v in wanted.items() if v != getattr(row, name)}
        if changed:
            store.update_pattern(conn, pattern_id, changed, now)
            result.patterns_updated.append({"id": code, "fields": sorted(changed)})
        linked = store.linked_issue_ids(conn, pattern_id)
    new_links = []
    for slug, short_id in p.issues:
        issue_id = issue_ids[(slug, short_id)]
        if issue_id not in linked and issue_id not in new_links:
            new_links.append(issue_id)
            result.links_added.append(
                {"pattern": code, "project": slug, "issue": issue_code(short_id)}
            )
    store.link_pattern(conn, pattern_id, new_links)
    projects = store.project_ids_by_slug(conn, (slug for slug, _ in p.issues))
    record(
        conn,
        [
            Activity(
                issue_id=issue_ids[(slug, short_id)],
                project_id=projects[slug],
                kind="pattern",
                created_at=now,
                new_value=code,
                note=NOTE,
            )
            for slug, short_id in dict.fromkeys(p.issues)
            if issue_ids[(slug, short_id)] in new_links
        ],
    )
