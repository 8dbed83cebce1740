"""Run the fake shop's bugs under the real sentry-sdk and print the events (JSON).

Run in a child process (see ``tests.grouping_corpus.python_events``) so the SDK's
global client, its patches and the fake ``shop`` modules never leak into the caller.
Nothing goes to the network: the transport keeps the events in memory.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
import threading
from typing import Any

import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.integrations.threading import ThreadingIntegration
from sentry_sdk.transport import Transport

from tests.grouping_corpus.python_bugs import Call, calls, later_calls
from tests.grouping_corpus.release import RELEASES, Release, deployed

DSN = "http://0123456789abcdef0123456789abcdef@127.0.0.1:9/1"
# Fields that only vary per run; dropping them makes the output reproducible.
_VOLATILE = ("event_id", "timestamp", "start_timestamp", "breadcrumbs", "contexts", "extra")


class _Keep(Transport):
    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.events: list[dict[str, Any]] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        event = envelope.get_event()
        if event is not None:
            self.events.append(json.loads(json.dumps(event, default=str)))


def _target(name: str) -> Any:
    module, _, function = name.rpartition(".")
    return getattr(importlib.import_module(f"shop.{module}"), function)


def _run(call: Call) -> None:
    tinyhttp: Any = importlib.import_module("tinyhttp")
    tinyweb: Any = importlib.import_module("tinyweb")
    tinyhttp.SERVERS.clear()
    tinyhttp.SERVERS.update({host: dict(paths) for host, paths in call.servers.items()})
    fn = _target(call.target)
    if call.via == "dispatch":
        tinyweb.dispatch(fn, *call.args)
    elif call.via == "dispatch_async":
        tinyweb.dispatch_async(fn, *call.args)
    else:
        fn(*call.args)


def _release_events(release: Release, index: int, transport: _Keep) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    with deployed(release):
        sentry_sdk.init(
            dsn=DSN,
            transport=transport,
            release=f"shop@{release.name}",
            environment="production",
            server_name=f"web-{index + 1}",
            project_root=release.root if release.sdk_project_root else None,
            integrations=[ThreadingIntegration(propagate_scope=True)],
        )
        for call in calls(index) + later_calls(index):
            before = len(transport.events)
            with sentry_sdk.new_scope():
                _run(call)
            new = transport.events[before:]
            if len(new) != call.events:
                raise RuntimeError(f"{call.label} via {call.target}: {len(new)} events")
            for event in new:
                for key in _VOLATILE:
                    event.pop(key, None)
                out.append((call.label, event))
        sentry_sdk.get_client().close()
    return out


def main() -> None:
    logging.getLogger("shop").addHandler(logging.NullHandler())
    logging.getLogger("shop").propagate = False  # reported through the SDK only
    threading.excepthook = lambda args: None  # the SDK reports thread crashes; no stderr
    transport = _Keep()
    labeled: list[tuple[str, Any]] = []
    for index, release in enumerate(RELEASES):
        labeled.extend(_release_events(release, index, transport))
    json.dump(labeled, sys.stdout)


if __name__ == "__main__":
    main()
