"""The tag values the digest counts per issue (``issue_tags``): the list filters,
the search's ``key:value`` terms and the tag breakdowns read them."""

from __future__ import annotations

from collections.abc import Iterator

from faultbox.model import Event

MAX_TAGS_PER_EVENT = 50
_OWN_COLUMNS = ("environment", "release", "service", "level")


def _url(event: Event) -> str | None:
    """The request URL without query string or fragment, as Sentry's ``url`` tag:
    those hold ids and tokens that would make every value distinct."""
    url = event.request.get("url") if event.request else None
    if not isinstance(url, str):
        return None
    url = url.split("#", 1)[0].split("?", 1)[0].strip()
    return url or None


def event_facets(event: Event) -> Iterator[tuple[str, str]]:
    yield "level", event.level.value
    if event.environment:
        yield "environment", event.environment
    if event.release:
        yield "release", event.release
    if event.service:
        yield "service", event.service
    for n, (key, value) in enumerate(event.tags.items()):
        if n >= MAX_TAGS_PER_EVENT:
            break
        if key not in _OWN_COLUMNS:
            yield key, value
    if "url" not in event.tags and (url := _url(event)):
        yield "url", url
