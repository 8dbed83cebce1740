"""The ``faultbox`` command: one click group; each command is a thin wrapper."""

from __future__ import annotations

import click

from faultbox.cli.admin import createuser, deadletter, project, token
from faultbox.cli.catalogue import export_catalogue, import_catalogue_cmd
from faultbox.cli.common import run_cli
from faultbox.cli.config_cmd import config
from faultbox.cli.dev import send_test_event
from faultbox.cli.retention import retention
from faultbox.cli.serve import migrate, serve, worker


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="faultbox")
def cli() -> None:
    """Faultbox: self-hosted error tracking that speaks the Sentry protocol."""


for command in (serve, worker, migrate, createuser, project, token, deadletter, config):
    cli.add_command(command)
cli.add_command(send_test_event)
cli.add_command(export_catalogue)
cli.add_command(import_catalogue_cmd)
cli.add_command(retention)


def main() -> None:
    run_cli(cli)
