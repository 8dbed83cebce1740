"""The catalogue as files, in the team's hand-kept layout and entry template:

    active/ERR-142-database-connection-pool-exhaustion.md   open, ignored, recurring
    resolved/ERR-140-virtuozzo-api-timeout-spike.md         resolved, verified, closed
    patterns/PAT-001-database-connection-pool-exhaustion.md
    .meta/index.json                                        active_errors, resolved_errors,
                                                            patterns

An entry is ``# ERR-142: Title``, the **Severity** / **Status** / **First Seen** /
**Last Seen** / **Occurrences** lines, then ``## Symptoms``, ``## Diagnosis``,
``## Resolution``, ``## Prevention``, ``## References`` and ``## Runbook``. What import
reads back is marked up as ``catalogue_format`` describes; the rest is for people.
File names are ``ERR-<n>-`` or ``PAT-<nnn>-`` plus the title as lowercase ASCII letters,
digits and dashes (at most :data:`SLUG_LENGTH` characters), so a title cannot name
another directory.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import orjson

from faultbox.lifecycle.catalogue_import import EntryFields, PatternFields
from faultbox.lifecycle.codes import pattern_code
from faultbox.lifecycle.status import FIXED
from faultbox.query.catalogue_export import (
    PATTERN_FIELDS,
    IssueEntry,
    PatternEntry,
    ProjectCatalogue,
)
from faultbox.query.catalogue_format import (
    CatalogueFormatError,
    boundary_for,
    field_block,
    front_line,
    parse_document,
)
from faultbox.query.durations import day, human_duration
from faultbox.query.markdown_escape import inline, reversible, unreversible
from faultbox.store.issue_state import CATALOGUE_FIELDS

SLUG_LENGTH = 60
INDEX = ".meta/index.json"
FOLDERS = ("active", "resolved", "patterns")
_SHORT_ID = re.compile(r"^ERR-([1-9][0-9]{0,17})$")
_PATTERN_HEADING = re.compile(r"^# PAT-[0-9]+: (.*?)\r?$", re.M)
_HEADINGS = {"code_example": "Code Example"}


def file_slug(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if len(slug) > SLUG_LENGTH:
        cut = slug[:SLUG_LENGTH]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug or "untitled"


def folder_of(status: str) -> str:
    return "resolved" if status in FIXED else "active"


def entry_path(entry: IssueEntry) -> str:
    return f"{folder_of(entry.status)}/ERR-{entry.short_id}-{file_slug(entry.title)}.md"


def pattern_path(pattern: PatternEntry) -> str:
    return f"patterns/{pattern_code(pattern.number)}-{file_slug(pattern.title)}.md"


def _status_label(status: str) -> str:
    """The template's Active | Resolved | Recurring, with the exact status after it."""
    label = "Resolved" if status in FIXED else "Recurring" if status == "recurring" else "Active"
    exact = status.replace("_", " ")
    return label if exact == label.lower() else f"{label} ({exact})"


def _times(n: int) -> str:
    return "1 time" if n == 1 else f"{n} times"


def _heading(name: str) -> str:
    return _HEADINGS.get(name, name.capitalize())


def entry_markdown(entry: IssueEntry) -> str:
    boundary = boundary_for(entry.fields.values())
    lines = [
        front_line(
            {
                "kind": "error",
                "project": entry.project,
                "short_id": f"ERR-{entry.short_id}",
                "issue_id": entry.id,
                "boundary": boundary,
            }
        ),
        f"# ERR-{entry.short_id}: {inline(entry.title, 300)}",
        "",
        f"**Severity:** {entry.severity or 'unset'}  ",
        f"**Status:** {_status_label(entry.status)}  ",
        f"**First Seen:** {day(entry.first_seen)}  ",
        f"**Last Seen:** {day(entry.last_seen)}  ",
        f"**Occurrences:** {_times(entry.times_seen)}  ",
        f"**Users Affected:** {entry.users_seen}  ",
        f"**Type:** {inline(entry.taxonomy) or 'unclassified'}  ",
        f"**Culprit:** {inline(entry.culprit, 300) or 'unknown'}  ",
        f"**Releases:** {inline(entry.first_release) or '?'} → {inline(entry.last_release) or '?'}",
    ]
    if entry.patterns:
        lines[-1] += "  "
        lines.append(f"**Patterns:** {', '.join(pattern_code(n) for n in entry.patterns)}")
    for name in CATALOGUE_FIELDS:
        lines += ["", f"## {_heading(name)}", "", field_block(name, entry.fields[name], boundary)]
    return "\n".join(lines) + "\n"


def pattern_markdown(pattern: PatternEntry) -> str:
    boundary = boundary_for(pattern.fields.values())
    linked = ", ".join(f"{slug} ERR-{n}" for slug, n in pattern.issues) or "none"
    lines = [
        front_line(
            {
                "kind": "pattern",
                "number": pattern.number,
                "team": pattern.team,
                "issues": [{"project": s, "short_id": f"ERR-{n}"} for s, n in pattern.issues],
                "boundary": boundary,
            }
        ),
        # The title is read back from here: written so that reading it is exact.
        f"# {pattern_code(pattern.number)}: {reversible(pattern.title)}",
        "",
        f"**Occurrences:** {_times(pattern.occurrences)}  ",
        f"**Linked Errors:** {inline(linked)}",
    ]
    for name in PATTERN_FIELDS:
        lines += ["", f"## {_heading(name)}", "", field_block(name, pattern.fields[name], boundary)]
    return "\n".join(lines) + "\n"


def _first_line(text: str | None, limit: int = 200) -> str | None:
    for line in (text or "").splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return None


def index_json(
    project: str, entries: list[IssueEntry], patterns: list[PatternEntry], generated_at: str
) -> dict[str, Any]:
    """``.meta/index.json``: the team's three lists (with a few more keys per item)."""
    active, resolved = [], []
    for e in entries:
        item: dict[str, Any] = {
            "id": f"ERR-{e.short_id}",
            "title": e.title,
            "severity": e.severity,
            "status": e.status,
            "first_seen": day(e.first_seen),
            "last_seen": day(e.last_seen),
            "occurrences": e.times_seen,
            "file": entry_path(e),
        }
        if e.status not in FIXED:
            active.append(item)
            continue
        resolved_at = e.resolved_at if e.resolved_at is not None else e.status_changed_at
        seconds = None if resolved_at is None else max(resolved_at - e.first_seen, 0.0)
        item["resolved"] = day(resolved_at) or None
        item["time_to_resolve"] = None if seconds is None else human_duration(seconds)
        item["time_to_resolve_seconds"] = None if seconds is None else round(seconds, 3)
        resolved.append(item)
    return {
        "format": 1,
        "project": project,
        "generated_at": generated_at,
        "active_errors": active,
        "resolved_errors": resolved,
        "patterns": [
            {
                "id": pattern_code(p.number),
                "title": p.title,
                "occurrences": p.occurrences,
                "prevention": _first_line(p.fields["prevention"]),
                "errors": [f"{s} ERR-{n}" for s, n in p.issues],
                "file": pattern_path(p),
            }
            for p in patterns
        ],
    }


# -- reading files back -------------------------------------------------------------


def _short_id(value: object) -> int:
    match = _SHORT_ID.match(value) if isinstance(value, str) else None
    if match is None:
        raise CatalogueFormatError(f"short_id must look like ERR-142, got {value!r}")
    return int(match.group(1))


def _text(meta: dict[str, Any], key: str) -> str:
    value = meta.get(key)
    if not isinstance(value, str) or not value:
        raise CatalogueFormatError(f"the header has no {key!r}")
    return value


def parse_entry(text: str, source: str) -> EntryFields:
    doc = parse_document(text, CATALOGUE_FIELDS)
    if doc.meta.get("kind") != "error":
        raise CatalogueFormatError("the header's kind is not 'error' (an entry)")
    project, short_id = _text(doc.meta, "project"), _short_id(doc.meta.get("short_id"))
    return EntryFields(source, project, short_id, doc.fields)


def parse_pattern(text: str, source: str) -> PatternFields:
    doc = parse_document(text, PATTERN_FIELDS)
    meta = doc.meta
    if meta.get("kind") != "pattern":
        raise CatalogueFormatError("the header's kind is not 'pattern' (a file of patterns/)")
    number = meta.get("number")
    if not isinstance(number, int) or not 0 < number < 2**31:
        raise CatalogueFormatError(f"the header's number must be a positive integer: {number!r}")
    links = meta.get("issues", [])
    if not isinstance(links, list) or not all(isinstance(i, dict) for i in links):
        raise CatalogueFormatError("the header's issues must be a list of {project, short_id}")
    issues = [(_text(i, "project"), _short_id(i.get("short_id"))) for i in links]
    heading = _PATTERN_HEADING.search(doc.body)
    if heading is None:
        raise CatalogueFormatError("no '# PAT-<n>: Title' heading")
    title = unreversible(heading.group(1))
    if not title.strip() or len(title) > 300:
        raise CatalogueFormatError("the pattern title must be 1 to 300 characters")
    return PatternFields(source, number, _text(meta, "team"), title, doc.fields, issues)


def catalogue_files(catalogue: ProjectCatalogue, generated_at: str) -> dict[str, str]:
    """Every file of one project's catalogue: relative path → text."""
    files = {entry_path(e): entry_markdown(e) for e in catalogue.issues}
    files.update({pattern_path(p): pattern_markdown(p) for p in catalogue.patterns})
    index = index_json(catalogue.project, catalogue.issues, catalogue.patterns, generated_at)
    files[INDEX] = orjson.dumps(index, option=orjson.OPT_INDENT_2).decode() + "\n"
    return files
