"""serve, worker and migrate."""

from __future__ import annotations

import socket
from typing import Any

import click
import uvicorn

from faultbox.app import create_app
from faultbox.cli.bootstrap import bootstrap
from faultbox.cli.common import (
    CommandError,
    emit,
    json_option,
    migrated_engine,
    settings_from,
    settings_options,
)
from faultbox.digest.process import worker_main
from faultbox.observe.logs import setup_logging
from faultbox.store import migrate as migrations
from faultbox.store.db import open_engine


@click.command()
@click.option("--host", default=None, help="Address to listen on (env FAULTBOX_HOST).")
@click.option("--port", default=None, help="Port (env FAULTBOX_PORT, default 8000).")
@click.option("--no-worker", is_flag=True, help="Run no digest worker (use `faultbox worker`).")
@click.option(
    "--worker-mode",
    type=click.Choice(["process", "thread"]),
    default="process",
    show_default=True,
    help="Digest in a supervised child process (own CPU core) or in a thread of this one.",
)
@settings_options
def serve(no_worker: bool, worker_mode: str, **overrides: Any) -> None:
    """Run the API, ingest and (by default) the digest worker in one process."""
    settings = settings_from(**overrides)
    setup_logging(settings, "serve")
    _check_port_free(settings.host, settings.port)
    engine = migrated_engine(settings)
    lines = bootstrap(engine, settings)
    engine.dispose()
    click.echo(f"Faultbox is running at {settings.public_url}/  (data in {settings.data_dir})")
    for line in lines:
        click.echo(line)
    config = uvicorn.Config(
        create_app(settings, worker="none" if no_worker else worker_mode),  # type: ignore[arg-type]
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        log_level=settings.log_level,
        log_config=None,  # uvicorn's loggers propagate to setup_logging's handler
        access_log=False,
        timeout_graceful_shutdown=15,
    )
    server = uvicorn.Server(config)
    server.run()
    if not server.started:
        raise CommandError(f"could not listen on {settings.host}:{settings.port}")


def _check_port_free(host: str, port: int) -> None:
    """Fail before printing "running at…" rather than after (uvicorn binds late)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {host}:{port}: {exc.strerror} "
                "(choose another with --port or FAULTBOX_PORT)"
            ) from None


@click.command()
@settings_options
def worker(**overrides: Any) -> None:
    """Run only the digest worker (for `serve --no-worker` deployments); SIGTERM drains."""
    settings = settings_from(**overrides)
    migrated_engine(settings).dispose()
    click.echo("digest worker running; Ctrl-C or SIGTERM to stop")
    worker_main(settings, handle_sigint=True)


@click.command()
@click.option("--check", is_flag=True, help="Exit 1 if the database is not at the latest revision.")
@json_option
@settings_options
def migrate(check: bool, as_json: bool, **overrides: Any) -> None:
    """Create or upgrade the database schema."""
    settings = settings_from(**overrides)
    engine = open_engine(settings.database_url)
    head = migrations.head_revision()
    if check:
        current = migrations.current_revision(engine)
        data = {"current": current, "head": head, "up_to_date": current == head}
        emit(data, as_json, f"database at {current}, latest is {head}")
        if current != head:
            raise SystemExit(1)
        return
    engine = migrated_engine(settings)
    emit({"revision": head}, as_json, f"database migrated to {head}")
