"""Taxonomy: what kind of failure an issue is, from its first event, with the rule
that decided (users see it next to the type, and can overrule it by hand).

Types: runtime, logic, integration, performance, configuration, security.

``RULES`` (in ``taxonomy_rules.py``) is read top to bottom and the first rule whose
conditions all hold wins. The order is the policy:

1. **Specific exception types** (security, configuration, performance, then the
   database errors that are bugs rather than outages, then integration). A type
   names the failure better than anything else in the event, and the specific
   ones go first so that ``psycopg.errors.UniqueViolation`` is logic before
   ``psycopg.*`` makes it integration.
2. **Message keywords**, for broad types (``Exception``, ``RuntimeError``, a
   browser's ``TypeError: Failed to fetch``) and log messages without an exception.
3. **Generic types**: ``KeyError``/``ValueError``/``IndexError``/``AssertionError``
   are logic (the program's assumptions about its data were wrong);
   ``TypeError``/``AttributeError``/``NullPointerException``/``ReferenceError``
   are runtime (the program used a value the language could not use).
4. **Client libraries in the stack** (``requests``, ``psycopg``, ``redis``,
   ``boto3``, ``stripe``, ``node_modules/axios``, ``java.net``, ...) make anything
   else integration.  They only decide when the type says nothing, because a
   ``TypeError`` raised inside ``requests`` is usually the caller's bug.
5. Otherwise **runtime**.

Timeouts: waiting on another system (``TimeoutError``, ``ReadTimeout``, "timed
out", a Go ``context deadline exceeded``) is **integration**, because the fix is
in the dependency, its limits or retries.  The process running out of its own
time or memory (``MemoryError``, ``RecursionError``, Celery's
``SoftTimeLimitExceeded``, a cancelled slow SQL statement) is **performance**.

Patterns are the matcher language's case-insensitive globs.  Exception types are
tried as written, qualified with their module (``requests.exceptions.Timeout``)
and bare (``Timeout``; Go's ``*url.Error`` as ``url.Error``), for each exception
of the chain, the reported one first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from faultbox.lifecycle.taxonomy_rules import RULES, TaxonomyRule
from faultbox.matchers import Matcher, event_frames
from faultbox.model import Event

TAXONOMY_TYPES = ("runtime", "logic", "integration", "performance", "configuration", "security")
_REASON_MAX = 300  # issues.taxonomy_reason
_VALUE_MAX = 80  # of an exception type or frame quoted in a reason
_TEXT_MAX = 2000  # of a message searched for keywords


class InvalidTaxonomy(ValueError):
    """A type that is not one of TAXONOMY_TYPES (the message lists them)."""


def parse_taxonomy(value: object) -> str:
    if isinstance(value, str) and value.strip().lower() in TAXONOMY_TYPES:
        return value.strip().lower()
    raise InvalidTaxonomy(f"unknown type {value!r}; one of {', '.join(TAXONOMY_TYPES)}")


_DEFAULT = ("runtime", "no rule matched; runtime is the default")


def _clip(text: str, limit: int = _VALUE_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _type_names(event: Event) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(name to quote, names to try) per exception, the reported (last) one first."""
    for exc in reversed(event.exceptions):
        if not exc.type:
            continue
        written = exc.type.lstrip("*&").strip()
        qualified = f"{exc.module}.{written}" if exc.module and "." not in written else written
        bare = re.split(r"\.|::|\+|\\", written)[-1]
        yield qualified, (written, qualified, bare)


def _frame_names(event: Event) -> Iterator[str]:
    for frame in event_frames(event):
        for value in (frame.module, frame.abs_path or frame.filename):
            if value:
                yield value


def _texts(event: Event) -> Iterator[str]:
    for text in (event.message, event.message_template, *(e.value for e in event.exceptions)):
        if text:
            yield text[:_TEXT_MAX]


def _find(
    globs: tuple[Matcher, ...], candidates: Iterator[tuple[str, tuple[str, ...]]]
) -> tuple[str, str] | None:
    for shown, names in candidates:
        for glob in globs:
            if any(glob.match(n) for n in names):
                return shown, glob.pattern
    return None


def _candidates(label: str, event: Event) -> Iterator[tuple[str, tuple[str, ...]]]:
    if label == "exception type":
        return _type_names(event)
    values = {
        "frame": _frame_names(event),
        "message": _texts(event),
        "logger": iter([event.logger] if event.logger else []),
    }[label]
    return ((v, (v,)) for v in values)


def _evidence(rule: TaxonomyRule, event: Event) -> list[str] | None:
    """What made each condition hold, or None when one does not."""
    found: list[str] = []
    conditions = (
        ("exception type", rule.types),
        ("frame", rule.frames),
        ("message", rule.messages),
        ("logger", rule.loggers),
    )
    for label, globs in conditions:
        if not globs:
            continue
        hit = _find(globs, _candidates(label, event))
        if hit is None:
            return None
        found.append(f"{label} {_clip(hit[0])!r} matches {hit[1]!r}")
    return found


def classify(event: Event) -> tuple[str, str]:
    """(type, reason) for an issue's first event; never raises on a normalized event."""
    for rule in RULES:
        evidence = _evidence(rule, event)
        if evidence is not None:
            return rule.type, _clip(f"{' and '.join(evidence)}: {rule.why}", _REASON_MAX)
    return _DEFAULT
