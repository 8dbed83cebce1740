"""Evaluate the new-issue and regression rules as soon as the digest reports one
(``lifecycle.hooks``, fired after its commit), instead of waiting for the periodic
job; both paths record a firing once (its dedup key)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from sqlalchemy import Connection, Engine

from faultbox import clock
from faultbox.alerts.evaluate import evaluate_rules
from faultbox.alerts.model import Firing
from faultbox.lifecycle import hooks
from faultbox.store.db import write_transaction

log = logging.getLogger(__name__)


def listen(
    engine: Engine,
    on_firing: Callable[[Firing], None] | None = None,
    *,
    on_recorded: Callable[[Connection, Firing, float], object] | None = None,
) -> Callable[[], None]:
    """Subscribe to the digest's hooks; returns the unsubscriber. ``on_recorded`` runs
    in the transaction that records each firing (the fan-out into the outbox, so a
    recorded firing always has its deliveries); ``on_firing`` after the commit."""

    def run(project_id: int, kind: str) -> None:
        now = clock.now()
        with write_transaction(engine) as conn:
            fired = evaluate_rules(conn, now, project_id=project_id, kinds={kind})
            if on_recorded is not None:
                for firing in fired:
                    on_recorded(conn, firing, now)
        for firing in fired:
            if on_firing is not None:
                on_firing(firing)

    def run_batch(notices: Sequence[hooks.Notice]) -> None:
        # Once per project and kind, however many issues the batch opened.
        wanted = sorted(
            {
                (n.project_id, "new_issue" if isinstance(n, hooks.NewIssue) else "regression")
                for n in notices
            }
        )
        for project_id, kind in wanted:
            run(project_id, kind)

    stops = [hooks.on_notices(run_batch)]

    def unsubscribe() -> None:
        for stop in stops:
            stop()

    return unsubscribe
