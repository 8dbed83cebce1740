"""The lifecycle's alert hooks: a batch subscriber hears each fired batch once, with all
its notices; a failing subscriber stops neither the others nor the caller; collect()
holds notices until fire()."""

from __future__ import annotations

from collections.abc import Sequence

from faultbox.lifecycle import hooks


def test_batch_subscribers_hear_each_batch_once() -> None:
    batches: list[list[hooks.Notice]] = []
    single: list[hooks.NewIssue] = []

    def broken(_: Sequence[hooks.Notice]) -> None:
        raise RuntimeError("an alerting bug")

    stops = [
        hooks.on_notices(broken),
        hooks.on_notices(lambda notices: batches.append(list(notices))),
        hooks.on_new_issue(single.append),
    ]
    try:
        notices = [hooks.NewIssue(issue_id=n, project_id=1) for n in range(400)]
        with hooks.collect() as queued:
            for notice in notices:
                hooks.notify(notice)
            assert batches == [] and single == []  # held until the commit
        hooks.fire(queued)
        assert batches == [notices] and single == notices
        hooks.fire([])  # an empty batch tells nobody
        assert len(batches) == 1
    finally:
        for stop in stops:
            stop()
    hooks.fire(notices[:1])
    assert len(batches) == 1  # unsubscribed
