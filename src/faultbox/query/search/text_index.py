"""Free-text terms → a lookup in the issues' full-text index (``store/search_index.py``).

The search text is cut into tokens exactly as the documents were
(``store.search_text.tokens``), then written in each engine's own query syntax:
FTS5 ``"timed out" AND "time"*``, PostgreSQL ``('timed' <-> 'out') & ('time':*)``.
Tokens are runs of letters and digits, so they need no escaping in either.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, bindparam, false, literal_column, select
from sqlalchemy.sql import func

from faultbox.query.search.terms import TextTerm
from faultbox.store.schema import issues
from faultbox.store.search_index import SEARCH_TABLE, fts, pg
from faultbox.store.search_text import tokens


def _fts5(term: TextTerm, words: list[str]) -> str:
    return '"' + " ".join(words) + '"' + ("*" if term.prefix else "")


def _tsquery(term: TextTerm, words: list[str]) -> str:
    quoted = [f"'{w}'" for w in words]
    if term.prefix:
        quoted[-1] += ":*"
    return "(" + " <-> ".join(quoted) + ")"


def _matching(terms: Sequence[tuple[TextTerm, list[str]]], dialect: str) -> Any:
    """The ids of issues whose document holds every term."""
    if dialect == "sqlite":
        expression = " AND ".join(_fts5(t, w) for t, w in terms)
        match = literal_column(SEARCH_TABLE).op("MATCH")(bindparam("fts", expression, unique=True))
        return select(fts.c.rowid).where(match)
    expression = " & ".join(_tsquery(t, w) for t, w in terms)
    query = func.to_tsquery(
        literal_column("'simple'::regconfig"), bindparam("tsq", expression, unique=True)
    )
    return select(pg.c.issue_id).where(pg.c.tsv.op("@@")(query))


def text_clauses(terms: Sequence[TextTerm], dialect: str) -> list[ColumnElement[bool]]:
    """Positive terms share one index lookup; each negated one is its own.  A term
    without letters or digits (``%``) has nothing to look up: it matches every
    issue (its negation none)."""
    tokenized = [(t, tokens(t.text)) for t in terms]
    positive = [(t, w) for t, w in tokenized if w and not t.negated]
    clauses: list[ColumnElement[bool]] = []
    if positive:
        clauses.append(issues.c.id.in_(_matching(positive, dialect)))
    for term, words in tokenized:
        if term.negated:
            clauses.append(
                issues.c.id.not_in(_matching([(term, words)], dialect)) if words else false()
            )
    return clauses
