"""Text from events (titles, messages, tag values, frames) placed into Markdown so that
it renders as itself and nothing else.

Event text is written by whoever holds a project's public key, which browser apps
publish, so a title like ``<img src=x onerror=…>`` or ``[click](https://evil)`` must not
become markup in a report the dashboard renders. :func:`inline` backslash-escapes
every character that can start markup (CommonMark lets any ASCII punctuation be
escaped), neutralizes line-start constructs (lists, headings, quotes) and folds
newlines, so one value stays on one line. :func:`code_block` fences text with a fence
longer than any backtick run inside it, so it cannot close the block early.
:func:`reversible` / :func:`unreversible` are the lossless pair the catalogue files
use for one-line values that are read back (pattern titles).
"""

from __future__ import annotations

import re
import unicodedata

# Characters that can open markup anywhere in a line: escapes, code spans, emphasis,
# links and images ([…]), raw HTML and autolinks (<…>), entities (&), ATX heading
# closers (#), table cells (|) and strikethrough (~).
_SPECIAL = frozenset("\\`*_[]<>#|~&")
_LINE_START = re.compile(r"^(\d{1,9})([.)])")  # "1. " would start an ordered list
_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_NEWLINE, _RETURN = "&#10;", "&#13;"
_BREAKS = {"\n": _NEWLINE, "\r": _RETURN}


def _escape_chars(text: str, breaks: bool = False) -> str:
    """Backslash before markup characters; with ``breaks``, CR and LF as references."""
    out = "".join(
        _BREAKS[c] if breaks and c in _BREAKS else "\\" + c if c in _SPECIAL else c for c in text
    )
    if out[:1] in ("-", "+", "="):  # bullet lists, setext underlines, thematic breaks
        return "\\" + out
    return _LINE_START.sub(r"\1\\\2", out)


def inline(text: object, limit: int | None = None) -> str:
    """``text`` as one line of literal Markdown: whitespace runs (newlines included)
    become one space, control characters go, and the result is at most ``limit``
    characters of the original (an ellipsis marks the cut)."""
    if text is None:
        return ""
    plain = " ".join(
        "".join(c for c in str(text) if unicodedata.category(c) != "Cc" or c in "\t\n\r").split()
    )
    if limit is not None and len(plain) > limit:
        plain = plain[: max(limit - 1, 0)] + "…"
    return _escape_chars(plain)


def code_block(text: str, info: str = "") -> str:
    """A fenced code block showing ``text`` verbatim. The info string (a language name)
    keeps only letters, digits and ``+-_`` because the fence line must stay a fence."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    info = re.sub(r"[^A-Za-z0-9+_-]", "", info)[:20]
    body = text if text.endswith("\n") else text + "\n"
    return f"{fence}{info}\n{body}{fence}"


def reversible(text: str) -> str:
    """Like :func:`inline` but lossless: nothing is folded or dropped; line breaks are
    written as the character references ``&#10;`` / ``&#13;`` (which render as the
    break's whitespace) so the value stays on its line. :func:`unreversible` undoes it."""
    return _escape_chars(text, breaks=True)


def unreversible(text: str) -> str:
    """The text :func:`reversible` was given (also accepts hand-written Markdown that
    escapes only some characters)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] in _PUNCTUATION:
            out.append(text[i + 1])
            i += 2
        elif text.startswith(_NEWLINE, i):
            out.append("\n")
            i += len(_NEWLINE)
        elif text.startswith(_RETURN, i):
            out.append("\r")
            i += len(_RETURN)
        else:
            out.append(c)
            i += 1
    return "".join(out)
