"""send-test-event: a real Sentry-protocol client request, to check a setup end to end."""

from __future__ import annotations

import gzip
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import click
import orjson

from faultbox.cli.common import CommandError, emit, json_option
from faultbox.ingest.auth import parse_dsn


@click.command("send-test-event")
@click.option("--dsn", required=True, envvar="FAULTBOX_DSN", help="The project's DSN.")
@click.option("--message", default="This is a test event from faultbox send-test-event")
@click.option(
    "--level", default="error", type=click.Choice(["debug", "info", "warning", "error", "fatal"])
)
@json_option
def send_test_event(dsn: str, message: str, level: str, as_json: bool) -> None:
    """Send one event to a Faultbox (or any Sentry-compatible) server."""
    try:
        parsed = parse_dsn(dsn)
    except ValueError as exc:
        raise CommandError(f"--dsn: {exc}") from None
    event_id = uuid.uuid4().hex
    event: dict[str, Any] = {
        "event_id": event_id,
        "timestamp": time.time(),
        "platform": "python",
        "level": level,
        "logger": "faultbox.send-test-event",
        "message": {"message": message},
        "tags": {"source": "send-test-event"},
        "sdk": {"name": "faultbox.cli", "version": "1"},
    }
    item = orjson.dumps(event)
    body = b"\n".join(
        [
            orjson.dumps({"event_id": event_id, "sent_at": _now_iso()}),
            orjson.dumps({"type": "event", "length": len(item)}),
            item,
        ]
    )
    request = urllib.request.Request(
        parsed.endpoint("envelope"),
        data=gzip.compress(body),
        method="POST",
        headers={
            "Content-Type": "application/x-sentry-envelope",
            "Content-Encoding": "gzip",
            "X-Sentry-Auth": (
                f"Sentry sentry_key={parsed.public_key}, sentry_version=7, "
                "sentry_client=faultbox-cli/1"
            ),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = orjson.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:500]
        raise CommandError(f"the server answered {exc.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise CommandError(f"cannot reach {parsed.endpoint('envelope')}: {exc}") from None
    emit(
        {"event_id": answer.get("id", event_id), "accepted": True},
        as_json,
        f"sent event {answer.get('id', event_id)}",
    )


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
