"""The pure rules: which event reopens a fixed issue, which release ships a "next
release" fix, which ignore condition is met."""

from __future__ import annotations

from faultbox.lifecycle.ignore import IgnoreState, condition_met
from faultbox.lifecycle.regression import (
    Resolution,
    next_release_fix,
    regresses,
    regressing_event,
)
from faultbox.lifecycle.releases import ReleaseInfo
from faultbox.model import Event

TIMES = {"a1b2c3d": 100.0, "f00ba44": 200.0}


def info(version: str) -> ReleaseInfo:
    return ReleaseInfo(version, TIMES.get(version))


def event(ts: float, release: str | None = None, n: int = 1) -> Event:
    return Event(event_id=f"{n:032x}", project_id=1, timestamp=ts, received_at=ts, release=release)


def test_plain_resolve_reopens_on_any_later_event() -> None:
    plain = Resolution(resolved_at=1000.0, release=None, in_next_release=False)
    assert not regresses(plain, event(999.0, "shop@9.0.0"), info)  # happened before the fix
    assert regresses(plain, event(1001.0), info)
    assert regresses(plain, event(1001.0, "shop@0.1.0"), info)


def test_resolved_in_release_reopens_only_on_newer_releases() -> None:
    r = Resolution(resolved_at=1000.0, release="shop@1.2.0", in_next_release=False)
    assert not regresses(r, event(2000.0, "shop@1.2.0"), info)
    assert not regresses(r, event(2000.0, "shop@1.1.9"), info)
    assert not regresses(r, event(2000.0), info)  # no release: cannot be newer
    assert regresses(r, event(2000.0, "shop@1.2.1"), info)
    # Unparseable versions order by time; an unknown one cannot be ordered.
    by_time = Resolution(resolved_at=1000.0, release="a1b2c3d", in_next_release=False)
    assert regresses(by_time, event(2000.0, "f00ba44"), info)
    assert not regresses(by_time, event(2000.0, "never-seen"), info)


def test_the_earliest_regressing_event_is_named() -> None:
    r = Resolution(resolved_at=1000.0, release="shop@1.2.0", in_next_release=False)
    events = [event(3000.0, "shop@1.4.0", 1), event(2000.0, "shop@1.3.0", 2), event(1500.0, None)]
    found = regressing_event(r, events, info)
    assert found is not None and found.release == "shop@1.3.0"


def test_next_release_is_the_oldest_newer_release_seen() -> None:
    pending = Resolution(resolved_at=1000.0, release="shop@1.2.0", in_next_release=True)
    assert not regresses(pending, event(2000.0, "shop@9.0.0"), info)  # fix not shipped yet
    seen = ["shop@1.1.0", "shop@1.4.0", "shop@1.3.0", "shop@1.2.0"]
    assert next_release_fix(pending, seen, info) == "shop@1.3.0"
    assert next_release_fix(pending, ["shop@1.2.0", "shop@1.0.0"], info) is None
    # An issue that had no release: the first release seen ships the fix.
    no_release = Resolution(resolved_at=1000.0, release=None, in_next_release=True)
    assert next_release_fix(no_release, ["shop@2.0.0"], info) == "shop@2.0.0"
    settled = Resolution(resolved_at=1000.0, release="shop@1.3.0", in_next_release=False)
    assert next_release_fix(settled, seen, info) is None


def test_ignore_conditions() -> None:
    def state(**kw: int | float | None) -> IgnoreState:
        base: dict[str, int | float | None] = {
            "until": None,
            "until_count": None,
            "until_users": None,
            "times_seen": 10,
            "users_seen": 3,
        }
        return IgnoreState(**{**base, **kw})  # type: ignore[arg-type]

    assert condition_met(state(), now=1e12) is None  # forever
    assert condition_met(state(until=100.0), now=99.0) is None
    assert (condition_met(state(until=100.0), now=100.0) or "").startswith("time:")
    assert condition_met(state(until_count=11), now=0) is None
    assert (condition_met(state(until_count=10), now=0) or "").startswith("count:")
    assert condition_met(state(until_users=4), now=0) is None
    assert (condition_met(state(until_users=3), now=0) or "").startswith("users:")
