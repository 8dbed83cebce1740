"""The typed terms a search parses into, and their rendering back to query text.

``render(parse(text))`` parses to the same terms (a property test holds it to that),
so a dashboard can show, store and edit a normalized query.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SearchSyntaxError(ValueError):
    """The query cannot be understood; the message says where and what is accepted."""


class Op(StrEnum):
    EQ = ""
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="


@dataclass(frozen=True, slots=True)
class TagTerm:
    """``key:value`` on the issue's tag facets; ``segments`` are the literal parts
    between ``*`` wildcards (one segment: an exact value; ``("", "")``: any value)."""

    key: str
    segments: tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class UserTerm:
    """``user.id:42`` (also email, username, ip): the identity users are counted by."""

    field: str
    segments: tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class IsTerm:
    value: str
    negated: bool = False


@dataclass(frozen=True, slots=True)
class StatusTerm:
    """``status:`` names one lifecycle status exactly (or ``unresolved``)."""

    value: str
    negated: bool = False


@dataclass(frozen=True, slots=True)
class AssignedTerm:
    value: str  # "me", "none" or an email address
    negated: bool = False


@dataclass(frozen=True, slots=True)
class SeverityTerm:
    op: Op
    value: str  # P0..P3, or "none" (with EQ only)
    negated: bool = False


@dataclass(frozen=True, slots=True)
class CountTerm:
    key: str  # "times-seen" or "users"
    op: Op
    value: int
    negated: bool = False


@dataclass(frozen=True, slots=True)
class DateTerm:
    """``first-seen``/``last-seen``: relative (``-24h`` within, ``+24h`` before that)
    or absolute with a comparison; a date alone with EQ means that whole day."""

    key: str
    op: Op
    text: str  # the value as written after the operator ("-24h", "2026-11-01")
    negated: bool = False


@dataclass(frozen=True, slots=True)
class TextTerm:
    """Free text: a bare word (its tokens side by side) or a quoted phrase;
    ``prefix``: the last token may continue (``time*``)."""

    text: str
    quoted: bool = False
    prefix: bool = False
    negated: bool = False


@dataclass(frozen=True, slots=True)
class AnyTerm:
    """``key:[a, b]`` (Sentry's list syntax): any of ``terms``, which share one key and
    are never negated themselves; ``negated``: none of them."""

    terms: tuple[Term, ...]
    negated: bool = False


Term = (
    AnyTerm
    | TagTerm
    | UserTerm
    | IsTerm
    | StatusTerm
    | AssignedTerm
    | SeverityTerm
    | CountTerm
    | DateTerm
    | TextTerm
)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_value(text: str) -> str:
    """A plain value: quoted when it holds spaces or quotes, or could be mistaken
    for something else (empty, a leading comparison or list bracket)."""
    if not text or any(c.isspace() or c in '"\\' for c in text) or text[0] in "<>=[":
        return quote(text)
    return text


def render_segments(segments: tuple[str, ...]) -> str:
    """Literal parts joined by ``*``; a literal ``*`` or backslash is escaped."""
    escaped = "*".join(s.replace("\\", "\\\\").replace("*", "\\*") for s in segments)
    if any(c.isspace() or c == '"' for c in escaped) or escaped.startswith(("<", ">", "=", "[")):
        return '"' + escaped.replace('"', '\\"') + '"'
    return escaped


def _in_list(value: str) -> str:
    """A rendered value inside ``[...]``: quoted when a comma or bracket would end it."""
    if value.startswith('"') or not any(c in ",[]" for c in value):
        return value
    return '"' + value.replace('"', '\\"') + '"'


def render_term(term: Term) -> str:
    bang = "!" if term.negated else ""
    match term:
        case AnyTerm(terms):
            key = render_term(terms[0]).split(":", 1)[0]
            values = ", ".join(_in_list(render_term(t).split(":", 1)[1]) for t in terms)
            return f"{bang}{key}:[{values}]"
        case TagTerm(key, segments):
            return f"{bang}{key}:{render_segments(segments)}"
        case UserTerm(field, segments):
            return f"{bang}user.{field}:{render_segments(segments)}"
        case IsTerm(value):
            return f"{bang}is:{value}"
        case StatusTerm(value):
            return f"{bang}status:{value}"
        case AssignedTerm(value):
            return f"{bang}assigned:{render_value(value)}"
        case SeverityTerm(op, value):
            return f"{bang}severity:{op.value}{value}"
        case CountTerm(key, op, value):
            return f"{bang}{key}:{op.value}{value}"
        case DateTerm(key, op, text):
            return f"{bang}{key}:{op.value}{render_value(text)}"
        case TextTerm(text, quoted, prefix):
            star = "*" if prefix else ""
            return f"{bang}{quote(text) if quoted else text}{star}"
    raise AssertionError(term)  # pragma: no cover - the match is exhaustive


def render(terms: list[Term] | tuple[Term, ...]) -> str:
    return " ".join(render_term(t) for t in terms)
