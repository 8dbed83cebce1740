"""The text an issue is found by, as one bounded document per issue (pure).

Both full-text engines (SQLite FTS5, PostgreSQL ``to_tsvector('simple', …)``) get
text that is already cut into lowercase letter-and-digit tokens joined by spaces:
left to themselves they disagree (PostgreSQL keeps ``app/checkout.py`` and
``shop.example.com/cart`` as single tokens, FTS5 splits them), and a search must
find ``checkout`` in both.  The query side runs :func:`tokens` on the search text,
so both ends always cut the same way.

A document is a list of *pieces* (one field's tokens, e.g. an exception value), one
per line.  A piece whose tokens already stand in the document side by side adds
nothing a search could find (phrases may span pieces in both engines), so it is
skipped: events that repeat known text leave the document, and the index, as they
are.  The document stops growing at :data:`MAX_DOCUMENT` characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from faultbox.model import Event, Frame

MAX_DOCUMENT = 10_000  # characters: FTS update cost and index size stay bounded
MAX_FIELD = 500  # characters of one field read (a minified line, a huge message)
MAX_TOKEN = 64  # longer runs (base64, hashes) are cut to this on both ends
_TOKEN = re.compile(r"[^\W_]+")
_NOT_INDEXED_FACETS = frozenset({"level"})  # "error" would match nearly every issue


def tokens(text: str) -> list[str]:
    """Lowercase runs of letters and digits: ``"GET /api/Cart_2"`` → get, api, cart, 2."""
    return [t[:MAX_TOKEN] for t in _TOKEN.findall(text.lower())]


@lru_cache(maxsize=16384)
def piece(text: str) -> str:
    # Cached: frames, types and tag values repeat from event to event.
    return " ".join(tokens(text[:MAX_FIELD]))


def _frame_texts(frame: Frame) -> Iterator[str | None]:
    yield frame.function
    yield frame.module
    yield frame.filename
    yield frame.context_line


def event_texts(
    event: Event, title: str, culprit: str | None, facets: Iterable[tuple[str, str]]
) -> Iterator[str]:
    """An event's searchable fields, most telling first (the document keeps the
    first ones when the bound is reached): names and messages, tag values (the
    ``url`` facet among them: the request URL without its query string, which may
    hold tokens), then frames from the innermost out."""
    yield title
    if culprit:
        yield culprit
    if event.message:
        yield event.message
    for exc in reversed(event.exceptions):
        if exc.type:
            yield exc.type
        if exc.value:
            yield exc.value
    if event.transaction:
        yield event.transaction
    for key, value in facets:
        if key not in _NOT_INDEXED_FACETS:
            yield value
    frames: list[Frame] = [f for exc in reversed(event.exceptions) for f in reversed(exc.frames)]
    if not frames:
        frames = [f for t in event.threads if t.crashed or t.current for f in reversed(t.frames)]
    for frame in frames:
        for text in _frame_texts(frame):
            if text:
                yield text


def extend(document: str, texts: Iterable[str]) -> str:
    """``document`` with the pieces of ``texts`` it cannot already answer for,
    within :data:`MAX_DOCUMENT`; the same string when nothing is new."""
    flat = f" {document.replace(chr(10), ' ')} "
    added: list[str] = []
    size = len(document)
    for text in texts:
        if size + 2 > MAX_DOCUMENT:
            break  # full: not even a one-letter piece fits
        p = piece(text)
        if not p or f" {p} " in flat:
            continue
        if size + len(p) + 1 > MAX_DOCUMENT:
            continue  # a smaller piece further on may still fit
        added.append(p)
        flat += f"{p} "
        size += len(p) + 1
    if not added:
        return document
    return "\n".join([document, *added]) if document else "\n".join(added)
