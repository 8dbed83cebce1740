"""The ``faultbox`` command: one click group; each command is a thin wrapper.

Commands are imported when they run, not when the group is built: ``serve`` pulls in
the web app, the digest and the alert runner, which cost ``faultbox project dsn`` two
seconds of imports it never used (click's documented lazy-group pattern).
"""

from __future__ import annotations

import importlib

import click

from faultbox.cli.common import run_cli

# name → "module:attribute", in the order ``--help`` lists them.
COMMANDS = {
    "serve": "faultbox.cli.serve:serve",
    "worker": "faultbox.cli.serve:worker",
    "migrate": "faultbox.cli.serve:migrate",
    "createuser": "faultbox.cli.admin:createuser",
    "project": "faultbox.cli.admin:project",
    "token": "faultbox.cli.admin:token",
    "deadletter": "faultbox.cli.admin:deadletter",
    "config": "faultbox.cli.config_cmd:config",
    "send-test-event": "faultbox.cli.dev:send_test_event",
    "export": "faultbox.cli.catalogue:export_catalogue",
    "import": "faultbox.cli.catalogue:import_catalogue_cmd",
    "retention": "faultbox.cli.retention:retention",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="faultbox")
def cli() -> None:
    """Faultbox: self-hosted error tracking that speaks the Sentry protocol."""


def main() -> None:
    run_cli(cli)
