"""The event matcher language shared by every per-project rule list.

Fingerprint rules (``digest/grouping/rules.py``) and severity rules
(``lifecycle/severity.py``) both start a line with matchers and differ only
after the ``->``, so the matchers live here, where both stages may import them:
one syntax, one set of error messages, one matching semantics.

``matcher:value`` pairs separated by spaces; ``!`` negates; values are
case-insensitive globs (``*`` any run, ``/`` and ``.`` included; ``?`` one
character; the rest literal) and may be quoted (escapes ``\\"``, ``\\\\``) to
hold spaces, ``#`` or ``->``.  Blank lines and ``# comments`` are skipped.

Event matchers: ``error.type`` (``type``) and ``error.value`` (``value``), true
if any exception of the chain matches; ``message`` (or its template),
``logger``, ``level``, ``release``, ``environment``, ``service``,
``tags.<name>``.  Frame matchers: ``module``, ``function``, ``path``
(``filename``; full path or basename), ``app`` (yes/no).  All frame matchers
of a rule must hold for the *same* frame, as in Sentry.  Frames are the
exceptions', else the threads'; without frames, frame matchers fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from faultbox.model import Event, Frame

MAX_RULES, MAX_LINE, MAX_MATCHERS = 200, 1000, 20

_ALIASES = {"type": "error.type", "value": "error.value", "filename": "path"}
EVENT_KEYS = tuple(
    "error.type error.value message logger level release environment service".split()
)
FRAME_KEYS = frozenset({"module", "function", "path", "app"})
_KNOWN = ", ".join([*EVENT_KEYS, "tags.<name>", *sorted(FRAME_KEYS), *sorted(_ALIASES)])
_APP_VALUES = {"yes": "yes", "true": "yes", "no": "no", "false": "no"}
# `-` may appear in keys (tag names) but `->` ends the matcher list.
_KEY_RE = re.compile(r"(?:[A-Za-z0-9_.]|-(?!>))*")
_QUOTED_RE = re.compile(r'"((?:[^"\\]|\\.)*)"')
_UNESCAPE_RE = re.compile(r'\\(["\\])')
SAFE_VALUE_RE = re.compile(r'(?:[^\s"#-]|-(?!>))+')


class RuleSyntaxError(ValueError):
    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class Matcher:
    key: str  # canonical: aliases resolved
    pattern: str
    negated: bool = False
    # Split at `*` so matching is a greedy scan, O(len(text) * len(pattern)):
    # a backtracking regex like `.*a.*a.*b` can go polynomial on long values.
    segments: tuple[re.Pattern[str], ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        pieces = self.pattern.split("*")
        segments = tuple(
            re.compile("".join("." if c == "?" else re.escape(c) for c in p), re.I | re.S)
            for p in pieces
        )
        object.__setattr__(self, "segments", segments)

    def match(self, text: str) -> bool:
        first, *rest = self.segments
        if not rest:
            return first.fullmatch(text) is not None
        found = first.match(text)
        for seg in rest[:-1]:
            found = found and seg.search(text, found.end())
        # Every segment has a fixed width, so the last one can only sit at the end.
        start = len(text) - len(self.pattern.rsplit("*", 1)[-1])
        return found is not None and start >= found.end() and bool(rest[-1].fullmatch(text, start))

    def test(self, values: Iterable[str | None]) -> bool:
        """Whether any value matches, before negation."""
        return any(v is not None and self.match(v) for v in values)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_matchers(matchers: Sequence[Matcher]) -> str:
    """The canonical text of a matcher list (quoted only where needed)."""

    def value(v: str) -> str:
        return v if SAFE_VALUE_RE.fullmatch(v) else quote(v)

    return " ".join(f"{'!' * m.negated}{m.key}:{value(m.pattern)}" for m in matchers)


@dataclass(slots=True)
class Scanner:
    """One rule line; ``i`` is the position the next token starts at."""

    s: str
    lineno: int
    i: int = 0

    def error(self, message: str, at: int | None = None) -> RuleSyntaxError:
        return RuleSyntaxError(self.lineno, (self.i if at is None else at) + 1, message)

    def at_end(self) -> bool:
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1
        return self.i >= len(self.s) or self.s[self.i] == "#"

    def quoted(self) -> str:
        found = _QUOTED_RE.match(self.s, self.i)
        if found is None:
            raise self.error("unterminated quote")
        self.i = found.end()
        return _UNESCAPE_RE.sub(r"\1", found.group(1))

    def matcher(self) -> Matcher:
        negated = self.s[self.i] == "!"
        self.i += negated
        key_at = self.i
        written = _KEY_RE.match(self.s, self.i).group()  # type: ignore[union-attr]
        self.i += len(written)
        if not written:
            raise self.error("expected a matcher such as 'error.type:Value' or '->'")
        key = _ALIASES.get(written, written)
        if key == "tags.":
            raise self.error("missing tag name after 'tags.'", key_at)
        if not key.startswith("tags.") and key not in EVENT_KEYS and key not in FRAME_KEYS:
            raise self.error(f"unknown matcher {written!r} (known: {_KNOWN})", key_at)
        if self.s[self.i : self.i + 1] != ":":
            raise self.error(f"missing value for matcher {key!r} (expected ':')")
        self.i += 1
        value_at = self.i
        if self.s[self.i : self.i + 1] == '"':
            value = self.quoted()
        else:
            found = SAFE_VALUE_RE.match(self.s, self.i)
            if found is None:
                raise self.error(f"missing value for matcher {key!r}")
            value = found.group()
            self.i += len(value)
        rest = self.s[self.i : self.i + 2]
        if rest and not rest[0].isspace() and rest[0] != "#" and rest != "->":
            raise self.error(f"unexpected {rest[0]!r}")
        if key == "app":
            if value.lower() not in _APP_VALUES:
                raise self.error(f"bad app value {value!r} (use yes or no)", value_at)
            value = _APP_VALUES[value.lower()]
        return Matcher(key, value, negated)

    def matchers(self, result: str) -> tuple[Matcher, ...]:
        """The matchers up to and including ``->``; ``result`` names what follows
        the arrow in error messages ("fingerprint", "severity")."""
        found: list[Matcher] = []
        while True:
            if self.at_end():
                raise self.error(f"missing '->' between matchers and {result}")
            if self.s.startswith("->", self.i):
                break
            if len(found) == MAX_MATCHERS:
                raise self.error(f"too many matchers (at most {MAX_MATCHERS})")
            found.append(self.matcher())
        if not found:
            raise self.error("no matchers before '->'")
        self.i += 2
        return tuple(found)


def rule_lines(text: str) -> Iterator[Scanner]:
    """A scanner per rule line: blank and comment-only lines skipped, limits checked."""
    count = 0
    for lineno, line in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        if len(line) > MAX_LINE:
            raise RuleSyntaxError(lineno, MAX_LINE + 1, f"line too long (at most {MAX_LINE})")
        scanner = Scanner(line, lineno)
        if scanner.at_end():
            continue
        if count == MAX_RULES:
            raise RuleSyntaxError(lineno, 1, f"too many rules (at most {MAX_RULES})")
        count += 1
        yield scanner


# -- matching ------------------------------------------------------------------------


def event_frames(event: Event) -> list[Frame]:
    """The frames frame matchers look at: the exceptions', else the threads'."""
    frames = [f for exc in event.exceptions for f in exc.frames]
    return frames or [f for thread in event.threads for f in thread.frames]


def _frame_values(frame: Frame, key: str) -> tuple[str | None, ...]:
    if key == "path":
        path = frame.abs_path or frame.filename
        return (path, re.split(r"[/\\]", path)[-1]) if path else ()
    if key == "app":
        return ("yes" if frame.in_app else "no",)
    return (getattr(frame, key),)  # module, function


def _event_values(event: Event, key: str) -> tuple[str | None, ...]:
    if key.startswith("error."):
        return tuple(getattr(exc, key[6:]) for exc in event.exceptions)
    if key.startswith("tags."):
        return (event.tags.get(key[5:]),)
    if key == "message":
        return (event.message, event.message_template)
    return (str(event.level) if key == "level" else getattr(event, key),)


def all_match(event: Event, frames: Sequence[Frame], matchers: Sequence[Matcher]) -> bool:
    """Whether every matcher holds (``frames``: :func:`event_frames`, computed once)."""
    on_frame = [m for m in matchers if m.key in FRAME_KEYS]
    for m in matchers:
        if m.key not in FRAME_KEYS and m.test(_event_values(event, m.key)) == m.negated:
            return False
    return not on_frame or any(
        all(m.test(_frame_values(f, m.key)) != m.negated for m in on_frame) for f in frames
    )
