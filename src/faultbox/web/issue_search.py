"""The stream's search: the query language (query/search/), run by the same service as
the API's issue list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from faultbox.query.issues import IssueFilters, list_issues
from faultbox.query.search import SearchQuery, SearchSyntaxError
from faultbox.store.projects import Project
from faultbox.web.identity import WebUser


class SearchFailed(ValueError):
    """The query cannot run; the message tells the user what to fix."""


def search_issues(
    conn: Connection,
    project: Project,
    query: str,
    *,
    user: WebUser,
    sort: str,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    try:
        parsed = SearchQuery.parse(query, user_id=user.id)
    except SearchSyntaxError as exc:
        raise SearchFailed(str(exc)) from None
    filters = IssueFilters(search=parsed)
    return list_issues(conn, project.id, filters, sort=sort, cursor=cursor, limit=limit)
