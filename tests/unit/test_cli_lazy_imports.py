"""The CLI imports a command's module only when that command runs: an admin command
must not pay for the web app, the digest or redis-py (seconds per call, and CLI-driven
scripts and tests call it often)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import click

from faultbox.cli import COMMANDS, cli

_PROBE = textwrap.dedent(
    """
    import sys
    import click
    from faultbox.cli import cli
    command = cli.get_command(click.Context(cli), {name!r})
    assert command is not None
    print(" ".join(sorted(m for m in {heavy!r} if m in sys.modules)))
    """
)
HEAVY = ["faultbox.app", "fastapi", "uvicorn", "redis", "faultbox.alerts.runner"]


def _loaded_after_resolving(name: str) -> set[str]:
    probe = _PROBE.format(name=name, heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    return set(done.stdout.split())


def test_admin_commands_do_not_import_the_server() -> None:
    for name in ("project", "token", "createuser", "config", "retention", "deadletter"):
        assert _loaded_after_resolving(name) == set(), name


def test_serve_does_import_it() -> None:
    # The probe can see an import at all: resolving serve loads the app.
    assert {"faultbox.app", "fastapi", "uvicorn"} <= _loaded_after_resolving("serve")


def test_every_listed_command_resolves_under_its_name_and_summary() -> None:
    context = click.Context(cli)
    assert cli.list_commands(context) == list(COMMANDS)
    for name, (_, summary) in COMMANDS.items():
        command = cli.get_command(context, name)
        assert isinstance(command, click.Command) and command.name == name
        assert command.get_short_help_str(limit=1000) == summary, name
    assert cli.get_command(context, "nope") is None


def test_help_lists_every_command_without_importing_them() -> None:
    probe = textwrap.dedent(
        f"""
        import sys
        from faultbox.cli import cli
        try:
            cli.main(["--help"], prog_name="faultbox")
        except SystemExit:
            pass
        print("LOADED", " ".join(sorted(m for m in {HEAVY!r} if m in sys.modules)))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    listed, loaded = done.stdout.split("LOADED")
    assert loaded.split() == []
    for name, (_, summary) in COMMANDS.items():
        assert re.search(rf"^  {re.escape(name)} +{re.escape(summary[:20])}", listed, re.M), name
