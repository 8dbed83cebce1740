"""export and import: the error catalogue as Markdown files (see ``query.catalogue_files``).

``export --project SLUG`` writes the project's catalogue into DIR; without it, every
project's goes into DIR/<slug>/. Before writing, files an earlier export left in
active/, resolved/ and patterns/ (recognised by their faultbox header) are removed,
so an issue that moved from active/ to resolved/ is in one place only; other files
there are kept. ``import DIR`` reads one catalogue (DIR/.meta/index.json) or every
DIR/<slug>/ that is one, checks every file, then writes in one transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from faultbox import clock
from faultbox.cli.common import (
    CommandError,
    emit,
    json_option,
    migrated_engine,
    settings_from,
    settings_options,
)
from faultbox.lifecycle.catalogue_import import (
    EntryFields,
    ImportRefused,
    ImportResult,
    PatternFields,
    import_catalogue,
)
from faultbox.query.catalogue_export import project_catalogue, project_ids
from faultbox.query.catalogue_files import (
    FOLDERS,
    INDEX,
    catalogue_files,
    parse_entry,
    parse_pattern,
)
from faultbox.query.catalogue_format import CatalogueFormatError, has_front_line
from faultbox.query.timefmt import iso
from faultbox.store.db import read_connection, write_transaction


@click.command("export")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Directory.")
@click.option("--project", "slug", default=None, help="Only this project (else every one).")
@json_option
@settings_options
def export_catalogue(out_dir: Path, slug: str | None, as_json: bool, **overrides: Any) -> None:
    """Write the error catalogue as Markdown files and .meta/index.json."""
    engine = migrated_engine(settings_from(**overrides))
    with read_connection(engine) as conn:
        ids = project_ids(conn, slug)
        if slug is not None and not ids:
            raise CommandError(f"no project {slug!r}")
        catalogues = [project_catalogue(conn, i) for i in ids]
    generated_at = iso(clock.now()) or ""
    summary = []
    for catalogue in catalogues:
        root = out_dir if slug is not None else out_dir / catalogue.project
        files = catalogue_files(catalogue, generated_at)
        _write(root, files)
        active = sum(1 for path in files if path.startswith("active/"))
        resolved = sum(1 for path in files if path.startswith("resolved/"))
        summary.append(
            {
                "project": catalogue.project,
                "directory": str(root),
                "active": active,
                "resolved": resolved,
                "patterns": len(catalogue.patterns),
            }
        )
    emit(
        {"out": str(out_dir), "projects": summary},
        as_json,
        "\n".join(
            f"{s['project']}: {s['active']} active, {s['resolved']} resolved, "
            f"{s['patterns']} patterns in {s['directory']}"
            for s in summary
        )
        or "no projects to export",
    )


def _write(root: Path, files: dict[str, str]) -> None:
    try:
        for folder in FOLDERS:
            for old in sorted((root / folder).glob("*.md")):
                if has_front_line(old.read_text("utf-8", errors="replace")):
                    old.unlink()
        for relative, text in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            # Bytes, not text mode: a field's CR LF line ends are kept as they are.
            path.write_bytes(text.encode("utf-8"))
    except OSError as exc:
        raise CommandError(f"cannot write {exc.filename or root}: {exc.strerror}") from None


class _DryRun(Exception):
    """Raised inside the transaction so that a dry run rolls back what it did."""

    def __init__(self, result: ImportResult) -> None:
        self.result = result


@click.command("import")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and report the changes; write nothing.")
@json_option
@settings_options
def import_catalogue_cmd(directory: Path, dry_run: bool, as_json: bool, **overrides: Any) -> None:
    """Read catalogue fields and patterns back from an exported catalogue."""
    roots = _catalogue_roots(directory)
    entries: list[EntryFields] = []
    patterns: list[PatternFields] = []
    for root in roots:
        for folder in FOLDERS:
            for path in sorted((root / folder).glob("*.md")):
                source = str(path.relative_to(directory))
                text = _read(path, source)
                try:
                    if folder == "patterns":
                        patterns.append(parse_pattern(text, source))
                    else:
                        entries.append(parse_entry(text, source))
                except CatalogueFormatError as exc:
                    raise CommandError(f"{source}: {exc}") from None
    engine = migrated_engine(settings_from(**overrides))
    try:
        with write_transaction(engine) as conn:
            result = import_catalogue(conn, entries, patterns, clock.now())
            if dry_run:
                raise _DryRun(result)
    except ImportRefused as exc:
        raise CommandError(str(exc)) from None
    except _DryRun as done:
        result = done.result
    _report(result, dry_run, len(entries) + len(patterns), as_json)


def _catalogue_roots(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise CommandError(f"no directory {str(directory)!r}")
    if (directory / INDEX).is_file():
        return [directory]
    roots = sorted(p for p in directory.iterdir() if (p / INDEX).is_file())
    if not roots:
        raise CommandError(
            f"{str(directory)!r} is not a catalogue: no {INDEX} in it or in its subdirectories"
        )
    return roots


def _read(path: Path, source: str) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise CommandError(f"{source}: not UTF-8 text") from None
    except OSError as exc:
        raise CommandError(f"{source}: cannot read: {exc.strerror}") from None


def _report(result: ImportResult, dry_run: bool, files: int, as_json: bool) -> None:
    data = {
        "dry_run": dry_run,
        "files": files,
        "changed_fields": result.changed_fields,
        "issues": result.issues,
        "patterns_created": result.patterns_created,
        "patterns_updated": result.patterns_updated,
        "links_added": result.links_added,
    }
    text = (
        f"{'would import' if dry_run else 'imported'} {result.changed_fields} field changes "
        f"in {len(result.issues)} issues from {files} files; patterns: "
        f"{len(result.patterns_created)} created, {len(result.patterns_updated)} updated, "
        f"{len(result.links_added)} links added"
        + (" (dry run: nothing written)" if dry_run else "")
    )
    emit(data, as_json, text)
