"""The issue-stream search: Sentry's query syntax over the issues of a project.

``parse`` (pure) turns text into typed terms, ``render`` turns them back into text,
and :class:`SearchQuery` carries them with the caller's context to
``query.issues``, which the REST API and the dashboard both call.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement

from faultbox import clock
from faultbox.query.search.compile import conditions
from faultbox.query.search.parse import parse
from faultbox.query.search.terms import SearchSyntaxError, Term, render

__all__ = ["SearchQuery", "SearchSyntaxError", "parse", "render"]


@dataclass(frozen=True)
class SearchQuery:
    terms: tuple[Term, ...]
    user_id: int | None = None  # whom assigned:me means
    now: float | None = None  # relative times and is:overdue; None: clock.now()

    @classmethod
    def parse(cls, text: str, *, user_id: int | None = None) -> SearchQuery:
        return cls(tuple(parse(text)), user_id=user_id)

    def conditions(self, dialect: str) -> list[ColumnElement[bool]]:
        now = clock.now() if self.now is None else self.now
        return conditions(self.terms, dialect=dialect, user_id=self.user_id, now=now)

    def __str__(self) -> str:
        return render(self.terms)
