"""config show: the effective settings and where each came from."""

from __future__ import annotations

import os
from typing import Any

import click

from faultbox.cli.common import emit, json_option, settings_from, settings_options
from faultbox.config import SETTINGS, Secret


@click.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("show")
@json_option
@settings_options
def config_show(as_json: bool, **overrides: Any) -> None:
    """Print every setting, its value (secrets masked) and its source."""
    settings = settings_from(**overrides)
    rows = []
    for setting in SETTINGS:
        value = getattr(settings, setting.name)
        if overrides.get(setting.name) is not None:
            source = "flag"
        elif setting.env in os.environ:
            source = setting.env
        else:
            source = "default"
        shown = "**********" if isinstance(value, Secret) else str(value)
        rows.append({"name": setting.name, "value": shown, "source": source, "help": setting.help})

    def table() -> None:
        for r in rows:
            click.echo(f"{r['name']:<20} {r['value']:<50} ({r['source']})")

    emit(rows, as_json, table)
