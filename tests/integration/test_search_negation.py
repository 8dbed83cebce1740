"""Negation is the complement: on a fixed set of issues (SQLite and PostgreSQL), for
any term the search accepts, ``t`` and ``!t`` split the project's issues exactly in
two (no NULL makes an issue fall out of both)."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, update

from faultbox.model import Event, ExceptionValue, Frame, Grouping, Level, event_to_dict
from faultbox.query.issues import IssueFilters, matching_issue_ids
from faultbox.query.search import SearchQuery, SearchSyntaxError, parse
from faultbox.query.search.terms import Term
from faultbox.store.accounts import create_user, ensure_team
from faultbox.store.batch import ProcessedEvent, store_batch
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.payload import pack
from faultbox.store.projects import Project, create_project
from faultbox.store.schema import issues

NOW = 1_790_000_000.0
LEVELS = [Level.ERROR, Level.WARNING, Level.INFO, Level.FATAL]
WORDS = ["timeout", "gateway", "cart", "charge", "stock", "timed", "out", "quantity"]


def _event(project: Project, n: int) -> ProcessedEvent:
    words = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(3))
    event = Event(
        event_id=uuid.uuid4().hex,
        project_id=project.id,
        timestamp=NOW - n * 3600,
        received_at=NOW,
        platform="python",
        level=LEVELS[n % len(LEVELS)],
        message=f"{words} {n}",
        exceptions=(
            ExceptionValue(
                "TimeoutError" if n % 2 else "ValueError",
                words,
                frames=(Frame(function=f"handler_{n % 3}", module="shop.app", filename="app.py"),),
            ),
        )
        if n % 4
        else (),
        release=f"1.{n % 3}.0" if n % 5 else None,
        environment=["production", "staging"][n % 2],
        tags={"tenant": f"t{n % 3}"} if n % 3 else {},
        user={"id": str(40 + n % 4)} if n % 2 else None,
        request={"url": f"https://shop.example.com/{['cart', 'checkout'][n % 2]}/{n}"},
    )
    grouping = Grouping(f"{n:032x}", "v2", event.message or "", None, ())
    return ProcessedEvent(event, grouping, pack(event_to_dict(event)))


@pytest.fixture
def fixture_set(engine: Engine) -> tuple[Engine, Project, int, set[int]]:
    with write_transaction(engine) as conn:
        user = create_user(conn, email="dev@example.com", password_hash="x", is_superuser=False)
        project = create_project(conn, name="neg", team_id=ensure_team(conn, "core"))
        batch = [_event(project, n) for n in range(12) for _ in range(1 + n % 3)]
        store_batch(conn, batch)
        ids = sorted(
            conn.execute(select(issues.c.id).where(issues.c.project_id == project.id)).scalars()
        )
        for n, issue_id in enumerate(ids):
            conn.execute(
                update(issues)
                .where(issues.c.id == issue_id)
                .values(
                    status=["detected", "resolved", "ignored", "investigating", "closed"][n % 5],
                    severity=[None, "P0", "P1", "P2", "P3"][n % 5],
                    assignee_id=user.id if n % 3 == 0 else None,
                    is_regression=n % 4 == 1,
                    acknowledged_at=None,
                )
            )
    return engine, project, user.id, set(ids)


_VALUES = {
    "is": ["unresolved", "resolved", "ignored", "assigned", "unassigned", "regression", "overdue"],
    "status": ["unresolved", "detected", "closed"],
    "assigned": ["me", "none", "dev@example.com", "nobody@example.com"],
    "level": ["error", "warning", "fatal", "*"],
    "environment": ["production", "Staging", "prod*"],
    "release": ["1.1.0", "1.*", "*.0"],
    "tenant": ["t1", "t*", "*"],
    "url": ["*/cart/*", "https://shop.example.com/checkout/1", "*"],
    "user.id": ["41", "4*", "*"],
    "severity": ["P0", "<=P1", ">P1", "<P3", "none"],
    "times-seen": [">1", "2", "<=1", ">=3"],
    "users": ["0", ">=1"],
    "first-seen": ["-5h", "+5h", ">2026-09-21", "<=2026-09-21T12:00:00Z"],
    "last-seen": ["-1h", "+3h", "2026-09-21"],
}
# Values a list may hold: a comparison (``>1``) has no place in ``key:[...]``.
_LISTABLE = {k: [v for v in vs if v[0] not in "<>"] for k, vs in _VALUES.items()}
_LISTABLE = {k: vs for k, vs in _LISTABLE.items() if len(vs) >= 2}
_LISTS = st.sampled_from(sorted(_LISTABLE)).flatmap(
    lambda k: st.lists(st.sampled_from(_LISTABLE[k]), min_size=2, max_size=3, unique=True).map(
        lambda vs: (k, vs)
    )
)
_TERMS = st.one_of(
    st.sampled_from(sorted(_VALUES)).flatmap(
        lambda k: st.sampled_from(_VALUES[k]).map(lambda v: f"{k}:{v}")
    ),
    _LISTS.map(lambda kv: f"{kv[0]}:[{', '.join(kv[1])}]"),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=2).map(lambda w: '"' + " ".join(w) + '"'),
    st.sampled_from([*WORDS, "handler_1", "shop.example.com/cart", "time*", "%"]),
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=_TERMS)
def test_a_term_and_its_negation_split_the_issues(
    fixture_set: tuple[Engine, Project, int, set[int]], text: str
) -> None:
    try:
        (term,) = parse(text)
    except SearchSyntaxError:
        assume(False)
        return
    flipped = dataclasses.replace(term, negated=not term.negated)
    yes, no = _matching(fixture_set, (term,)), _matching(fixture_set, (flipped,))
    assert yes | no == fixture_set[3], text
    assert not yes & no, text


def _matching(fixture: tuple[Engine, Project, int, set[int]], terms: tuple[Term, ...]) -> set[int]:
    engine, project, user_id, _ = fixture
    search = SearchQuery(terms, user_id=user_id, now=NOW)
    with read_connection(engine) as conn:
        return set(matching_issue_ids(conn, project.id, IssueFilters(search=search)))


def _ids(fixture: tuple[Engine, Project, int, set[int]], text: str) -> set[int]:
    return _matching(fixture, tuple(parse(text)))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(listed=_LISTS)
def test_a_list_matches_the_union_of_its_values(
    fixture_set: tuple[Engine, Project, int, set[int]], listed: tuple[str, list[str]]
) -> None:
    key, values = listed
    union = set().union(*(_ids(fixture_set, f"{key}:{v}") for v in values))
    assert _ids(fixture_set, f"{key}:[{', '.join(values)}]") == union
    assert _ids(fixture_set, f"!{key}:[{', '.join(values)}]") == fixture_set[3] - union


def test_a_list_beside_other_terms_is_one_and_term(
    fixture_set: tuple[Engine, Project, int, set[int]],
) -> None:
    either = _ids(fixture_set, "level:[error, fatal]")
    assert either and either == _ids(fixture_set, "level:error") | _ids(fixture_set, "level:fatal")
    both = _ids(fixture_set, "level:[error, fatal] environment:production")
    assert both == either & _ids(fixture_set, "environment:production")
