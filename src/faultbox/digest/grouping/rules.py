"""Server-side fingerprint rules: per-project overrides of the default grouping.

One rule per line, ``matcher:value ... -> part, part``; blank lines and
``# comments`` are ignored (a ``#`` inside quotes is text)::

    # all pool failures are one issue, whatever the stack looks like
    error.type:ConnectionError module:app.db.* -> database-connection
    message:"*timed out*" -> timeouts, {{ type }}
    !level:info tags.region:eu-* -> eu-errors, {{ default }}
    function:charge* app:yes path:*/billing/*.py -> billing, {{ function }}

Values are case-insensitive globs (``*`` any run, ``/`` and ``.`` included;
``?`` one character; the rest literal).  Values and parts may be quoted
(escapes ``\\"``, ``\\\\``) to hold spaces, commas, ``#`` or ``->``; ``!`` negates.

Event matchers: ``error.type`` (``type``) and ``error.value`` (``value``), true
if any exception of the chain matches; ``message`` (or its template),
``logger``, ``level``, ``release``, ``environment``, ``service``,
``tags.<name>``.  Frame matchers: ``module``, ``function``, ``path``
(``filename``; full path or basename), ``app`` (yes/no).  As in Sentry, all
frame matchers of a rule must hold for the *same* frame, so ``module:a
function:b`` does not fire on ``a`` in one frame and ``b`` in another.  Frames
are the exceptions', else the threads'; without frames, frame matchers fail.

``{{ default }}`` stays for the grouping to splice in; ``{{ type }}`` is the
main exception's type, ``{{ function }}``/``{{ module }}`` the innermost in-app
frame's (else the innermost frame's).  The first matching rule wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from faultbox.digest.grouping.fingerprint import normalize_function, normalize_module, pick_thread
from faultbox.model import Event, Frame

MAX_RULES, MAX_LINE, MAX_MATCHERS, MAX_PARTS = 200, 1000, 20, 10

_ALIASES = {"type": "error.type", "value": "error.value", "filename": "path"}
_EVENT_KEYS = tuple(
    "error.type error.value message logger level release environment service".split()
)
FRAME_KEYS = frozenset({"module", "function", "path", "app"})
_KNOWN = ", ".join([*_EVENT_KEYS, "tags.<name>", *sorted(FRAME_KEYS), *sorted(_ALIASES)])
_APP_VALUES = {"yes": "yes", "true": "yes", "no": "no", "false": "no"}
_VARIABLES = ("default", "type", "function", "module")
# `-` may appear in keys (tag names) but `->` ends the matcher list.
_KEY_RE = re.compile(r"(?:[A-Za-z0-9_.]|-(?!>))*")
_VAR_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_QUOTED_RE = re.compile(r'"((?:[^"\\]|\\.)*)"')
_UNESCAPE_RE = re.compile(r'\\(["\\])')
_SAFE_VALUE_RE = re.compile(r'(?:[^\s"#-]|-(?!>))+')
_SAFE_PART_RE = re.compile(r'[^\s,#"](?:[^,#"]*[^\s,#"])?')


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


@dataclass(frozen=True, slots=True)
class FingerprintRule:
    matchers: tuple[Matcher, ...]
    fingerprint: tuple[str, ...]
    # Excluded from equality so formatting round-trips whatever the spacing was.
    text: str = field(default="", compare=False)


@dataclass(slots=True)
class _Scanner:
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
        if not key.startswith("tags.") and key not in _EVENT_KEYS and key not in FRAME_KEYS:
            raise self.error(f"unknown matcher {written!r} (known: {_KNOWN})", key_at)
        if self.s[self.i : self.i + 1] != ":":
            raise self.error(f"missing value for matcher {key!r} (expected ':')")
        self.i += 1
        value_at = self.i
        if self.s[self.i : self.i + 1] == '"':
            value = self.quoted()
        else:
            found = _SAFE_VALUE_RE.match(self.s, self.i)
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

    def part(self) -> str:
        start = self.i
        if self.s[self.i] == '"':
            value = self.quoted()
        else:
            while self.i < len(self.s) and self.s[self.i] not in ',#"':
                self.i += 1
            if self.s[self.i : self.i + 1] == '"':
                raise self.error("unexpected '\"' (quote the whole fingerprint part)")
            value = self.s[start : self.i].strip()
        if not value:
            raise self.error("empty fingerprint part", start)
        var = _VAR_RE.fullmatch(value.strip())
        if var is not None and var.group(1) not in _VARIABLES:
            known = ", ".join(_VARIABLES)
            raise self.error(f"unknown variable {value.strip()!r} (known: {known})", start)
        return f"{{{{ {var.group(1)} }}}}" if var else value

    def rule(self) -> FingerprintRule:
        matchers: list[Matcher] = []
        while True:
            if self.at_end():
                raise self.error("missing '->' between matchers and fingerprint")
            if self.s.startswith("->", self.i):
                break
            if len(matchers) == MAX_MATCHERS:
                raise self.error(f"too many matchers (at most {MAX_MATCHERS})")
            matchers.append(self.matcher())
        if not matchers:
            raise self.error("no matchers before '->'")
        self.i += 2
        parts: list[str] = []
        while True:
            if self.at_end():
                raise self.error("empty fingerprint" if not parts else "empty fingerprint part")
            if len(parts) == MAX_PARTS:
                raise self.error(f"too many fingerprint parts (at most {MAX_PARTS})")
            parts.append(self.part())
            if self.at_end():
                break
            if self.s[self.i] != ",":
                raise self.error("expected ',' between fingerprint parts")
            self.i += 1
        return FingerprintRule(tuple(matchers), tuple(parts), self.s.strip())


def parse_rules(text: str) -> tuple[FingerprintRule, ...]:
    """Parse rule text; raises :class:`RuleSyntaxError` (line and column) on any mistake."""
    rules: list[FingerprintRule] = []
    for lineno, line in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        if len(line) > MAX_LINE:
            raise RuleSyntaxError(lineno, MAX_LINE + 1, f"line too long (at most {MAX_LINE})")
        scanner = _Scanner(line, lineno)
        if scanner.at_end():
            continue
        if len(rules) == MAX_RULES:
            raise RuleSyntaxError(lineno, 1, f"too many rules (at most {MAX_RULES})")
        rules.append(scanner.rule())
    return tuple(rules)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _format(rule: FingerprintRule) -> str:
    def value(v: str) -> str:
        return v if _SAFE_VALUE_RE.fullmatch(v) else _quote(v)

    def part(p: str) -> str:
        return p if _SAFE_PART_RE.fullmatch(p) else _quote(p)

    lhs = " ".join(f"{'!' * m.negated}{m.key}:{value(m.pattern)}" for m in rule.matchers)
    return f"{lhs} -> {', '.join(part(p) for p in rule.fingerprint)}"


def format_rules(rules: Sequence[FingerprintRule]) -> str:
    """Canonical text: ``parse_rules(format_rules(rules)) == tuple(rules)``."""
    return "".join(_format(rule) + "\n" for rule in rules)


def _frames(event: Event) -> list[Frame]:
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


def _rule_matches(event: Event, frames: list[Frame], rule: FingerprintRule) -> bool:
    on_frame = [m for m in rule.matchers if m.key in FRAME_KEYS]
    for m in rule.matchers:
        if m.key not in FRAME_KEYS and m.test(_event_values(event, m.key)) == m.negated:
            return False
    return not on_frame or any(
        all(m.test(_frame_values(f, m.key)) != m.negated for m in on_frame) for f in frames
    )


def first_match(event: Event, rules: Sequence[FingerprintRule]) -> FingerprintRule | None:
    frames = _frames(event)
    return next((r for r in rules if _rule_matches(event, frames, r)), None)


def _innermost(event: Event, attr: str) -> str | None:
    main = event.main_exception
    thread = pick_thread(event.threads)
    frames = (main.frames if main else ()) or (thread.frames if thread else ())
    named = [f for f in reversed(frames) if getattr(f, attr)]
    best = next((f for f in named if f.in_app), named[0] if named else None)
    return getattr(best, attr) if best is not None else None


def fingerprint_for(event: Event, rule: FingerprintRule) -> tuple[str, ...]:
    """The rule's fingerprint for this event; ``{{ default }}`` is left for the grouping."""
    main = event.main_exception
    function, module = _innermost(event, "function"), _innermost(event, "module")
    variables = {
        "{{ type }}": main.type if main is not None and main.type else "<no-type>",
        "{{ function }}": normalize_function(function) if function else "<no-function>",
        "{{ module }}": normalize_module(module) if module else "<no-module>",
    }
    return tuple(variables.get(part, part) for part in rule.fingerprint)
