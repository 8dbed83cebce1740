"""Server-side fingerprint rules: per-project overrides of the default grouping.

One rule per line, ``matcher:value ... -> part, part``; blank lines and
``# comments`` are ignored (a ``#`` inside quotes is text)::

    # all pool failures are one issue, whatever the stack looks like
    error.type:ConnectionError module:app.db.* -> database-connection
    message:"*timed out*" -> timeouts, {{ type }}
    !level:info tags.region:eu-* -> eu-errors, {{ default }}
    function:charge* app:yes path:*/billing/*.py -> billing, {{ function }}

The matchers are the shared language of ``faultbox.matchers`` (severity rules
use it too).  Values are case-insensitive globs (``*`` any run, ``/`` and ``.`` included;
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
from collections.abc import Sequence
from dataclasses import dataclass, field

from faultbox.digest.grouping.fingerprint import normalize_function, normalize_module, pick_thread
from faultbox.matchers import Matcher as Matcher
from faultbox.matchers import RuleSyntaxError as RuleSyntaxError
from faultbox.matchers import Scanner, all_match, event_frames, format_matchers, quote, rule_lines
from faultbox.model import Event

MAX_PARTS = 10

_VARIABLES = ("default", "type", "function", "module")
_VAR_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_SAFE_PART_RE = re.compile(r'[^\s,#"](?:[^,#"]*[^\s,#"])?')


@dataclass(frozen=True, slots=True)
class FingerprintRule:
    matchers: tuple[Matcher, ...]
    fingerprint: tuple[str, ...]
    # Excluded from equality so formatting round-trips whatever the spacing was.
    text: str = field(default="", compare=False)


def _part(sc: Scanner) -> str:
    start = sc.i
    if sc.s[sc.i] == '"':
        value = sc.quoted()
    else:
        while sc.i < len(sc.s) and sc.s[sc.i] not in ',#"':
            sc.i += 1
        if sc.s[sc.i : sc.i + 1] == '"':
            raise sc.error("unexpected '\"' (quote the whole fingerprint part)")
        value = sc.s[start : sc.i].strip()
    if not value:
        raise sc.error("empty fingerprint part", start)
    var = _VAR_RE.fullmatch(value.strip())
    if var is not None and var.group(1) not in _VARIABLES:
        known = ", ".join(_VARIABLES)
        raise sc.error(f"unknown variable {value.strip()!r} (known: {known})", start)
    return f"{{{{ {var.group(1)} }}}}" if var else value


def _rule(sc: Scanner) -> FingerprintRule:
    matchers = sc.matchers("fingerprint")
    parts: list[str] = []
    while True:
        if sc.at_end():
            raise sc.error("empty fingerprint" if not parts else "empty fingerprint part")
        if len(parts) == MAX_PARTS:
            raise sc.error(f"too many fingerprint parts (at most {MAX_PARTS})")
        parts.append(_part(sc))
        if sc.at_end():
            break
        if sc.s[sc.i] != ",":
            raise sc.error("expected ',' between fingerprint parts")
        sc.i += 1
    return FingerprintRule(matchers, tuple(parts), sc.s.strip())


def parse_rules(text: str) -> tuple[FingerprintRule, ...]:
    """Parse rule text; raises :class:`RuleSyntaxError` (line and column) on any mistake."""
    return tuple(_rule(sc) for sc in rule_lines(text))


def _format(rule: FingerprintRule) -> str:
    def part(p: str) -> str:
        return p if _SAFE_PART_RE.fullmatch(p) else quote(p)

    return f"{format_matchers(rule.matchers)} -> {', '.join(part(p) for p in rule.fingerprint)}"


def format_rules(rules: Sequence[FingerprintRule]) -> str:
    """Canonical text: ``parse_rules(format_rules(rules)) == tuple(rules)``."""
    return "".join(_format(rule) + "\n" for rule in rules)


def first_match(event: Event, rules: Sequence[FingerprintRule]) -> FingerprintRule | None:
    frames = event_frames(event)
    return next((r for r in rules if all_match(event, frames, r.matchers)), None)


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
