"""Issue-stream search text → typed terms (pure; Sentry's issue search syntax).

    is:unresolved level:error service:api release:1.4.2 user.id:42 assigned:me
    severity:<=P1 times-seen:>100 first-seen:-24h url:*/checkout* !browser:Safari
    "timed out" checkout time*

Terms are ANDed.  ``key:[a, b]`` matches any of the listed values (Sentry's list
syntax; ``!key:[a, b]`` none of them).  ``!key:value`` or ``-key:value`` negates;
``*`` in a value is a wildcard (``\\*`` a literal star).  Anything malformed raises
SearchSyntaxError with what was expected; nothing else escapes from :func:`parse`.
"""

from __future__ import annotations

from dataclasses import replace

from faultbox.lifecycle.status import Status
from faultbox.query.search.scan import KEY, Pair, Scanner, Words
from faultbox.query.search.terms import (
    AnyTerm,
    AssignedTerm,
    IsTerm,
    Op,
    SearchSyntaxError,
    StatusTerm,
    TagTerm,
    Term,
    TextTerm,
    UserTerm,
)
from faultbox.query.search.values import count_term, date_term, severity_term

MAX_QUERY = 2000  # characters
MAX_TERMS = 50  # each is a subquery

STATUSES = tuple(s.value for s in Status)
IS_VALUES = ("unresolved", "fixed", "assigned", "unassigned", "regression", "overdue", *STATUSES)
LEVELS = ("debug", "info", "warning", "error", "fatal")
USER_FIELDS = {"id": "id", "email": "email", "username": "username", "ip": "ip_address"}
USER_FIELDS["ip_address"] = "ip_address"
# Canonical name of each typed key, by its lowercased spelling (Sentry's camelCase too).
_ALIASES = {
    "is": "is",
    "status": "status",
    "has": "has",
    "assigned": "assigned",
    "assigned_to": "assigned",
    "assignee": "assigned",
    "severity": "severity",
    "times-seen": "times-seen",
    "times_seen": "times-seen",
    "timesseen": "times-seen",
    "events": "times-seen",
    "count": "times-seen",
    "users": "users",
    "user-count": "users",
    "user_count": "users",
    "usercount": "users",
    "first-seen": "first-seen",
    "first_seen": "first-seen",
    "firstseen": "first-seen",
    "age": "first-seen",
    "last-seen": "last-seen",
    "last_seen": "last-seen",
    "lastseen": "last-seen",
}
_COMPARED = frozenset({"severity", "times-seen", "users", "first-seen", "last-seen"})
_COMPARABLE = frozenset(k for k, v in _ALIASES.items() if v in _COMPARED)
KNOWN_KEYS = sorted(set(_ALIASES.values())) + ["user.id", "<tag>"]


def parse(text: str) -> list[Term]:
    if len(text) > MAX_QUERY:
        raise SearchSyntaxError(f"query too long: {len(text)} characters (at most {MAX_QUERY})")
    items = Scanner(text, _COMPARABLE).items()
    count = sum(max(1, len(i.alternatives)) if isinstance(i, Pair) else 1 for i in items)
    if count > MAX_TERMS:
        raise SearchSyntaxError(
            f"too many terms: {count} (at most {MAX_TERMS}, a listed value counting as one)"
        )
    return [_words(i) if isinstance(i, Words) else _listed(i) for i in items]


def _words(item: Words) -> TextTerm:
    if not item.quoted and item.text.endswith("*"):
        return TextTerm(item.text[:-1], prefix=True, negated=item.negated)
    return TextTerm(item.text, quoted=item.quoted, negated=item.negated)


def _listed(pair: Pair) -> Term:
    if not pair.alternatives:
        return _pair(pair)
    terms = tuple(
        dict.fromkeys(
            _pair(replace(pair, segments=segments, alternatives=(), negated=False))
            for segments in pair.alternatives
        )
    )
    if len(terms) == 1:  # key:[a] is key:a
        return replace(terms[0], negated=pair.negated)
    return AnyTerm(terms, pair.negated)


def _plain(pair: Pair) -> str:
    return "*".join(pair.segments)


def _pair(pair: Pair) -> Term:
    lowered = pair.key.lower()
    name = _ALIASES.get(lowered)
    if name is None and lowered.startswith("user."):
        return _user(pair, lowered[5:])
    if name is None:
        return _tag(pair)
    if name in _COMPARED:
        return _compared(pair, name)
    value = _plain(pair)
    where = f"column {pair.column}"
    if name == "is":
        return IsTerm(
            _choice(value.lower(), IS_VALUES, f"{where}: unknown is: value"), pair.negated
        )
    if name == "status":
        allowed = ("unresolved", *STATUSES)
        return StatusTerm(_choice(value.lower(), allowed, f"{where}: unknown status"), pair.negated)
    if name == "assigned":
        return _assigned(value, pair.negated, where)
    return _has(value, pair.negated, where)


def _compared(pair: Pair, name: str) -> Term:
    op, value = Op(pair.op), _plain(pair)
    shown = f"{pair.key}:{pair.op}{value}"
    if name == "severity":
        return severity_term(op, value, pair.negated, shown)
    if name in ("times-seen", "users"):
        return count_term(name, op, value, pair.negated, shown)
    return date_term(name, op, value, pair.negated, shown)


def _choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise SearchSyntaxError(f"{what} {value!r}; known: {', '.join(dict.fromkeys(allowed))}")
    return value


def _assigned(value: str, negated: bool, where: str) -> AssignedTerm:
    if value.lower() in ("me", "none"):
        return AssignedTerm(value.lower(), negated)
    if "@" not in value or "*" in value:
        raise SearchSyntaxError(
            f"{where}: assigned: takes me, none or an email address; got {value!r}"
        )
    return AssignedTerm(value, negated)


def _has(value: str, negated: bool, where: str) -> Term:
    lowered = value.lower()
    if lowered.startswith("user.") and lowered[5:] in USER_FIELDS:
        return UserTerm(USER_FIELDS[lowered[5:]], ("", ""), negated)
    if KEY.fullmatch(value) is None or lowered in _ALIASES or lowered.startswith("user."):
        raise SearchSyntaxError(f"{where}: has: takes a tag name (has:browser); got {value!r}")
    return TagTerm(value, ("", ""), negated)


def _user(pair: Pair, field: str) -> UserTerm:
    if field not in USER_FIELDS:
        known = ", ".join(f"user.{f}" for f in USER_FIELDS)
        raise SearchSyntaxError(f"column {pair.column}: unknown key {pair.key!r}; known: {known}")
    return UserTerm(USER_FIELDS[field], pair.segments, pair.negated)


def _tag(pair: Pair) -> TagTerm:
    if pair.key.lower() == "level" and len(pair.segments) == 1:
        level = pair.segments[0].lower()
        _choice(level, LEVELS, f"column {pair.column}: unknown level")
        return TagTerm("level", (level,), pair.negated)
    return TagTerm(pair.key, pair.segments, pair.negated)
