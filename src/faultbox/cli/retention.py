"""faultbox retention run: delete (or, dry, count) the events past their retention."""

from __future__ import annotations

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
from faultbox.lifecycle.retention import RetentionDefaults, RetentionReport, run_retention
from faultbox.store.errors import NotFound


@click.group()
def retention() -> None:
    """Event retention (debug/info and warning/error/fatal, per project)."""


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; change nothing.")
@click.option("--project", "project_slug", default=None, help="Only this project (its slug).")
@json_option
@settings_options
def retention_run(dry_run: bool, project_slug: str | None, as_json: bool, **overrides: Any) -> None:
    """Delete the events past their retention now (the worker also does, hourly).

    Issue counts, first/last seen and hourly and tag counts are kept."""
    if project_slug is not None and not project_slug.strip():
        raise CommandError("--project: give a project slug (see 'faultbox project list')")
    settings = settings_from(**overrides)
    engine = migrated_engine(settings)
    try:
        report = run_retention(
            engine,
            RetentionDefaults.from_settings(settings),
            clock.now(),
            dry_run=dry_run,
            project_slug=project_slug,
        )
    except NotFound as exc:
        raise CommandError(f"--project: {exc} (see 'faultbox project list')") from None
    finally:
        engine.dispose()
    emit(report.to_json(), as_json, lambda: _print(report))


def _print(report: RetentionReport) -> None:
    data = report.to_json()
    verb = "would delete" if report.dry_run else "deleted"
    for project in data["projects"]:
        for name in ("info", "error"):
            c = project[name]
            source = "server default" if c["default"] else "project setting"
            click.echo(
                f"{project['project']:<24} {'/'.join(c['levels']):<21}"
                f" {c['days']:>5} days ({source}): {verb} {c['events']} events"
                f" received before {c['before']}"
            )
        if project["user_reports"]:
            click.echo(f"{project['project']:<24} user feedback: {verb} {project['user_reports']}")
    dropped = "would drop" if report.dry_run else "dropped"
    for month in data["partitions"]["dropped"]:
        click.echo(
            f"partition {month['name']} ({month['from']} to {month['to']}):"
            f" {dropped}, {month['events']} events"
        )
    for name in data["partitions"]["created"]:
        click.echo(f"partition {name}: created")
    click.echo(f"total: {verb} {report.events} events")
    if not report.finished:
        click.echo("not finished (a partition was locked): run again later")
