"""Alert hooks: who wants to hear about a new issue or a regression.

The alerting stage subscribes with ``on_new_issue`` / ``on_regression``. The digest
finds these inside its write transaction, when an alert could still be rolled back,
so it wraps the transaction in ``collect()``: ``notify`` then only queues the notice,
and the worker ``fire``s the queue after the commit (and the inbox ack). A batch that
fails notifies nobody; a crash between commit and fire loses that batch's alerts
rather than sending them twice (replays find the events stored and change nothing).

Outside ``collect()`` (a script, a test calling the lifecycle directly) ``notify``
fires at once. A failing callback is logged and does not stop the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NewIssue:
    issue_id: int
    project_id: int


@dataclass(frozen=True, slots=True)
class Regression:
    issue_id: int
    project_id: int
    event_id: str  # the event that reopened the issue
    release: str | None  # its release
    resolved_in_release: str | None  # the release the issue was resolved in, if any
    at: float  # when it reopened (clock.now())


Notice = NewIssue | Regression
N = TypeVar("N", NewIssue, Regression)
T = TypeVar("T")

_new_issue: list[Callable[[NewIssue], None]] = []
_regression: list[Callable[[Regression], None]] = []
_batches: list[Callable[[Sequence[Notice]], None]] = []
_collector: ContextVar[list[Notice] | None] = ContextVar("faultbox_hook_notices", default=None)


def _subscribe(
    callbacks: list[Callable[[T], None]], callback: Callable[[T], None]
) -> Callable[[], None]:
    callbacks.append(callback)

    def unsubscribe() -> None:
        if callback in callbacks:
            callbacks.remove(callback)

    return unsubscribe


def on_new_issue(callback: Callable[[NewIssue], None]) -> Callable[[], None]:
    """Call ``callback`` for every issue the digest opens; returns the unsubscriber."""
    return _subscribe(_new_issue, callback)


def on_regression(callback: Callable[[Regression], None]) -> Callable[[], None]:
    """Call ``callback`` once per regression; returns the unsubscriber."""
    return _subscribe(_regression, callback)


def on_notices(callback: Callable[[Sequence[Notice]], None]) -> Callable[[], None]:
    """Call ``callback`` once per fired batch with all its notices (a subscriber that
    evaluates per project, not per issue, does its work once for a batch of 400 new
    issues); returns the unsubscriber."""
    return _subscribe(_batches, callback)


@contextmanager
def collect() -> Iterator[list[Notice]]:
    """Queue the notices raised inside the block instead of firing them."""
    notices: list[Notice] = []
    token = _collector.set(notices)
    try:
        yield notices
    finally:
        _collector.reset(token)


def notify(notice: Notice) -> None:
    queued = _collector.get()
    if queued is None:
        fire([notice])
    else:
        queued.append(notice)


def fire(notices: Sequence[Notice]) -> None:
    if notices:
        for batch_callback in list(_batches):
            try:
                batch_callback(notices)
            except Exception:  # an alerting bug must not stop the digest
                log.exception("alert hook %r failed for %d notices", batch_callback, len(notices))
    for notice in notices:
        if isinstance(notice, NewIssue):
            _call(list(_new_issue), notice)
        else:
            _call(list(_regression), notice)


def _call(callbacks: list[Callable[[N], None]], notice: N) -> None:
    for callback in callbacks:
        try:
            callback(notice)
        except Exception:  # an alerting bug must not stop the digest
            log.exception("alert hook %r failed for %r", callback, notice)
