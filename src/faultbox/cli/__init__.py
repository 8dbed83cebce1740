"""The ``faultbox`` command: one click group; each command is a thin wrapper.

Commands are imported when they run, not when the group is built: ``serve`` pulls in
the web app, the digest and the alert runner, which cost ``faultbox project dsn`` two
seconds of imports it never used (click's documented lazy-group pattern).
"""

from __future__ import annotations

import importlib

import click

from faultbox.cli.common import run_cli

# name → ("module:attribute", the one-line summary ``--help`` lists), in --help's order.
# The summaries are kept here so that ``faultbox --help`` imports no command either; a
# test holds each one equal to its command's own.
COMMANDS = {
    "serve": (
        "faultbox.cli.serve:serve",
        "Run the API, ingest and (by default) the digest worker in one process.",
    ),
    "worker": (
        "faultbox.cli.serve:worker",
        "Run only the digest worker (for `serve --no-worker` deployments); SIGTERM drains.",
    ),
    "migrate": ("faultbox.cli.serve:migrate", "Create or upgrade the database schema."),
    "createuser": ("faultbox.cli.admin:createuser", "Create a user."),
    "project": ("faultbox.cli.admin:project", "Create and list projects, print DSNs."),
    "token": ("faultbox.cli.admin:token", "API tokens for the REST API."),
    "deadletter": ("faultbox.cli.admin:deadletter", "Events the digest could not process."),
    "config": ("faultbox.cli.config_cmd:config", "Inspect the configuration."),
    "send-test-event": (
        "faultbox.cli.dev:send_test_event",
        "Send one event to a Faultbox (or any Sentry-compatible) server.",
    ),
    "export": (
        "faultbox.cli.catalogue:export_catalogue",
        "Write the error catalogue as Markdown files and .meta/index.json.",
    ),
    "import": (
        "faultbox.cli.catalogue:import_catalogue_cmd",
        "Read catalogue fields and patterns back from an exported catalogue.",
    ),
    "retention": (
        "faultbox.cli.retention:retention",
        "Event retention (debug/info and warning/error/fatal, per project).",
    ),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name][0].split(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module}:{attribute} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, _fit(summary, limit)) for name, (_, summary) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _fit(text: str, limit: int) -> str:
    """``text`` cut at a word to ``limit`` characters with "...", as click shows it."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 3, 1)].rsplit(" ", 1)[0] + "..."


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="faultbox")
def cli() -> None:
    """Faultbox: self-hosted error tracking that speaks the Sentry protocol."""


def main() -> None:
    run_cli(cli)
