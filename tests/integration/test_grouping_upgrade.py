"""A new grouping algorithm never splits existing issues: during the transition the
project's previous version is consulted, and a new hash joins the old hash's issue."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, select, update

from faultbox.digest import grouping
from faultbox.digest.grouping.in_app import InAppRules
from faultbox.digest.worker import DigestWorker
from faultbox.model import Event, Grouping
from faultbox.queue.base import IngestMeta, Kind, NewMessage
from faultbox.queue.sqlite_inbox import SqliteInbox
from faultbox.store.schema import events, issue_hashes, issues, projects
from tests.support import seed

NEXT = "v-next"
CURRENT = grouping.DEFAULT_VERSION  # the default before the test deploys NEXT


def _next_algorithm(event: Event, rules: InAppRules | None) -> Grouping:
    """A 'new algorithm' whose every hash differs from v1's."""
    old = grouping.GROUPING_VERSIONS["v1"](event, rules)
    components = (*old.components, "next")
    return replace(
        old, hash=grouping.hash_components(components), version=NEXT, components=components
    )


@pytest.fixture
def upgrade(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Call to deploy the new algorithm as the default."""

    def install() -> None:
        monkeypatch.setitem(grouping.GROUPING_VERSIONS, NEXT, _next_algorithm)
        monkeypatch.setattr(grouping, "DEFAULT_VERSION", NEXT)

    return install


def _message(n: int, text: str) -> NewMessage:
    body = orjson.dumps({"message": text, "logentry": {"message": text.split(" #")[0]}})
    return NewMessage(1, Kind.SENTRY_EVENT, f"{n:032x}", time.time(), body, IngestMeta())


def _digest(worker: DigestWorker, inbox: SqliteInbox, messages: list[NewMessage]) -> None:
    asyncio.run(inbox.put_many(messages))
    while worker.run_once():
        pass


def _issue_of(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(events.c.event_id, events.c.issue_id)).all()
    return {r.event_id: int(r.issue_id) for r in rows}


def _project(engine: Engine) -> tuple[str | None, str | None, float | None]:
    with engine.connect() as conn:
        row = conn.execute(
            select(
                projects.c.grouping_version,
                projects.c.secondary_grouping_version,
                projects.c.secondary_grouping_until,
            )
        ).one()
    return row.grouping_version, row.secondary_grouping_version, row.secondary_grouping_until


def test_upgrade_keeps_old_issues_and_records_new_hashes(
    engine: Engine, tmp_path: Path, upgrade: Callable[[], None]
) -> None:
    seed(engine, "http://127.0.0.1:8000")
    inbox = SqliteInbox(tmp_path / "queue.sqlite3", max_depth=1000)
    worker = DigestWorker(engine, inbox, batch_size=50, max_attempts=3)
    assert _project(engine) == (None, None, None)  # nothing grouped yet

    _digest(worker, inbox, [_message(1, "disk full #1"), _message(2, "quota hit #2")])
    assert _project(engine) == (CURRENT, None, None)  # a new project has nothing to keep
    before = _issue_of(engine)

    upgrade()
    worker = DigestWorker(engine, inbox, batch_size=50, max_attempts=3)
    started = time.time()
    _digest(
        worker,
        inbox,
        [_message(3, "disk full #3"), _message(4, "disk full #4"), _message(5, "new bug #5")],
    )
    version, secondary, until = _project(engine)
    assert (version, secondary) == (NEXT, CURRENT)
    assert until is not None and started + 89 * 86400 < until < time.time() + 91 * 86400
    after = _issue_of(engine)
    disk_issue = before[f"{1:032x}"]
    assert after[f"{3:032x}"] == after[f"{4:032x}"] == disk_issue
    assert after[f"{5:032x}"] not in before.values()
    with engine.connect() as conn:
        versions = {
            (r.issue_id, r.grouping_version)
            for r in conn.execute(select(issue_hashes.c.issue_id, issue_hashes.c.grouping_version))
        }
        count = conn.execute(select(issues.c.times_seen).where(issues.c.id == disk_issue))
        assert count.scalar_one() == 3
    assert (disk_issue, CURRENT) in versions and (disk_issue, NEXT) in versions

    # After the transition the new hash, recorded during it, still finds the issue.
    with engine.begin() as conn:
        conn.execute(update(projects).values(secondary_grouping_until=time.time() - 1))
    _digest(worker, inbox, [_message(6, "disk full #6")])
    assert _issue_of(engine)[f"{6:032x}"] == disk_issue
    # ... while a bug only ever seen under v1 would now open a new issue.
    _digest(worker, inbox, [_message(7, "quota hit #7")])
    assert _issue_of(engine)[f"{7:032x}"] != before[f"{2:032x}"]


def test_no_transition_when_disabled(
    engine: Engine, tmp_path: Path, upgrade: Callable[[], None]
) -> None:
    seed(engine, "http://127.0.0.1:8000")
    inbox = SqliteInbox(tmp_path / "queue.sqlite3", max_depth=1000)
    _digest(DigestWorker(engine, inbox, batch_size=50, max_attempts=3), inbox, [_message(1, "a")])
    upgrade()
    worker = DigestWorker(engine, inbox, batch_size=50, max_attempts=3, grouping_transition_days=0)
    _digest(worker, inbox, [_message(2, "a")])
    assert _project(engine) == (NEXT, None, None)
    ids = _issue_of(engine)
    assert ids[f"{1:032x}"] != ids[f"{2:032x}"]


JACKSON = """\
com.fasterxml.jackson.databind.exc.MismatchedInputException: Cannot deserialize value \
of type `java.math.BigDecimal` from String "abc"
 at [Source: (String)"{\\"amount\\":\\"abc\\"}"; line: 1, column: 11] \
(through reference chain: com.shop.api.OrderRequest["amount"])
\tat com.fasterxml.jackson.databind.exc.MismatchedInputException.from(\
MismatchedInputException.java:59)
\tat com.shop.api.OrderController.create(OrderController.java:42)
"""


def _native(n: int) -> NewMessage:
    body = orjson.dumps(
        {
            "message": "Cannot deserialize value",
            "errorType": "MismatchedInputException",
            "stackTrace": JACKSON,
            "serviceName": "orders",
        }
    )
    return NewMessage(1, Kind.NATIVE_ERROR, f"{n:032x}", time.time(), body, IngestMeta())


def test_text_traces_are_reparsed_for_the_old_version(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v2 parses Jackson's ' at [Source: ...]' line as message, v1 as a frame: the old
    hash must come from v1's parse, or the event would miss its v1 issue."""
    seed(engine, "http://127.0.0.1:8000")
    inbox = SqliteInbox(tmp_path / "queue.sqlite3", max_depth=1000)
    latest = grouping.DEFAULT_VERSION
    monkeypatch.setattr(grouping, "DEFAULT_VERSION", "v1")
    _digest(DigestWorker(engine, inbox, batch_size=50, max_attempts=3), inbox, [_native(1)])
    monkeypatch.setattr(grouping, "DEFAULT_VERSION", latest)
    _digest(DigestWorker(engine, inbox, batch_size=50, max_attempts=3), inbox, [_native(2)])
    assert _project(engine)[:2] == (latest, "v1")
    ids = _issue_of(engine)
    assert ids[f"{1:032x}"] == ids[f"{2:032x}"]
