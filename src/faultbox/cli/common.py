"""What every command shares: settings options, clean one-line errors, --json output."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
import orjson
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from faultbox.config import ConfigError, Settings, load_settings
from faultbox.store.db import open_engine
from faultbox.store.errors import AlreadyExists, NotFound

F = TypeVar("F", bound=Callable[..., Any])


class CommandError(click.ClickException):
    """A user-facing failure: printed as one line, exit status 1."""


def settings_options(func: F) -> F:
    func = click.option(
        "--database-url", help="Database URL (env FAULTBOX_DATABASE_URL).", default=None
    )(func)
    func = click.option(
        "--data-dir",
        help="Data directory (env FAULTBOX_DATA_DIR, default ./data).",
        default=None,
    )(func)
    return func


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)


def settings_from(**overrides: Any) -> Settings:
    try:
        return load_settings(overrides)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


def migrated_engine(settings: Settings) -> Engine:
    from faultbox.store import migrate as migrations  # alembic: only commands that open the db

    engine = open_engine(settings.database_url)
    try:
        migrations.upgrade(engine)
    except OperationalError as exc:
        raise CommandError(f"cannot open the database {_safe_url(settings)}: {exc.orig}") from None
    return engine


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url).render_as_string(hide_password=True)


def emit(data: Any, as_json: bool, text: str | Callable[[], None]) -> None:
    if as_json:
        # Row mappings key by str subclasses, which orjson accepts only with this option.
        option = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
        click.echo(orjson.dumps(data, option=option).decode())
    elif callable(text):
        text()
    else:
        click.echo(text)


def run_cli(group: click.Group) -> None:
    try:
        group.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (NotFound, AlreadyExists, ValueError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except OperationalError as exc:
        click.echo(f"Error: database unavailable: {exc.orig}", err=True)
        sys.exit(1)
