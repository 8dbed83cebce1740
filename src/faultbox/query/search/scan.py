"""Cut query text into raw pieces: ``[!|-]key:value``, ``key:[value, value]``,
``"phrases"`` and bare words.

One escape rule everywhere a value is read: a backslash makes the next character
literal (so ``\\*`` is a star, not a wildcard, and ``\\"`` a quote inside quotes).
A value is quoted only when its first character is a quote; otherwise it runs to
the next space.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from faultbox.query.search.terms import SearchSyntaxError

KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_KEY_COLON = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*:")
OPERATORS = (">=", "<=", ">", "<")


@dataclass(frozen=True, slots=True)
class Pair:
    key: str
    op: str  # "" unless the key takes comparisons and the value began with one
    segments: tuple[str, ...]  # literal text between unescaped `*`
    negated: bool
    column: int  # 1-based, for messages
    # ``key:[a, b]``: each listed value's segments (``segments`` is then empty).
    alternatives: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class Words:
    text: str
    quoted: bool
    negated: bool
    column: int


class Scanner:
    def __init__(self, text: str, comparable: frozenset[str]) -> None:
        self.text = text
        self.pos = 0
        # Keys (lowercased) whose value may start with >, >=, <, <= outside quotes.
        self.comparable = comparable

    def _space(self) -> bool:
        return self.pos >= len(self.text) or self.text[self.pos].isspace()

    def items(self) -> list[Pair | Words]:
        out: list[Pair | Words] = []
        text = self.text
        while True:
            self._skip_spaces()
            if self.pos >= len(text):
                return out
            out.append(self._item())

    def _item(self) -> Pair | Words:
        text, start = self.text, self.pos
        negated = text[start] == "!"
        after_sign = start + 1 if text[start] in "!-" else start
        key = _KEY_COLON.match(text, after_sign)
        value_at = key.end() if key else 0
        # `Note:` followed by a space, and `https://…` (a pasted URL), are free text.
        if key and value_at < len(text) and not text[value_at].isspace():
            if not text.startswith("//", value_at):
                self.pos = value_at
                name = key.group()[:-1]
                return self._pair(name, negated or text[start] == "-", start)
        if negated:
            self.pos += 1
            if self._space():
                raise SearchSyntaxError(f"column {start + 1}: '!' must stand before a term")
        if text[self.pos] == '"':
            # In free text a star is only a separator: keep it as written.
            phrase = "*".join(self._quoted())
            return Words(phrase, True, negated, start + 1)
        begin = self.pos
        while not self._space():
            self.pos += 1
        return Words(text[begin : self.pos], False, negated, start + 1)

    def _pair(self, key: str, negated: bool, start: int) -> Pair:
        op = ""
        if key.lower() in self.comparable:
            op = next((o for o in OPERATORS if self.text.startswith(o, self.pos)), "")
            self.pos += len(op)
            if self._space():
                raise SearchSyntaxError(
                    f"column {start + 1}: '{self.text[start : self.pos]}' needs a value"
                )
        if not op and self.text[self.pos] == "[":
            return Pair(key, "", (), negated, start + 1, self._list(key, start))
        if self.text[self.pos] == '"':
            segments = self._quoted()
            if segments == [""]:
                raise SearchSyntaxError(
                    f"column {start + 1}: empty value for '{key}:'"
                    f" (issues without a tag: !has:{key})"
                )
        else:
            segments = self._segments(quoted=False)
        return Pair(key, op, tuple(segments), negated, start + 1)

    def _list(self, key: str, start: int) -> tuple[tuple[str, ...], ...]:
        """``[a, "b c", d*]`` (Sentry's list syntax): values split at commas, each bare
        (up to a comma, ``]`` or space) or quoted."""
        text, where = self.text, f"column {start + 1}"
        self.pos += 1  # the opening bracket
        values: list[tuple[str, ...]] = []
        while True:
            self._skip_spaces()
            if self.pos >= len(text):
                raise SearchSyntaxError(f"{where}: unterminated list (no closing ']')")
            if text[self.pos] == '"':
                segments = self._through_quote("in the list")
            else:
                segments = self._segments(quoted=False, stops=",]")
            if segments == [""]:
                raise SearchSyntaxError(f"{where}: empty value in the list for '{key}:'")
            values.append(tuple(segments))
            self._skip_spaces()
            if self.pos >= len(text):
                raise SearchSyntaxError(f"{where}: unterminated list (no closing ']')")
            separator = text[self.pos]
            self.pos += 1
            if separator == "]":
                break
            if separator != ",":
                raise SearchSyntaxError(
                    f"column {self.pos}: expected ',' or ']' in the list, got {separator!r}"
                )
        if not self._space():
            raise SearchSyntaxError(f"column {self.pos + 1}: expected a space after ']'")
        return tuple(values)

    def _skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _quoted(self) -> list[str]:
        segments = self._through_quote()
        if not self._space():
            raise SearchSyntaxError(
                f"column {self.pos + 1}: expected a space after the closing quote"
            )
        return segments

    def _through_quote(self, where: str = "") -> list[str]:
        """The segments of the quoted value starting here, past its closing quote."""
        start = self.pos
        self.pos += 1  # the opening quote
        segments = self._segments(quoted=True)
        if self.pos >= len(self.text):
            raise SearchSyntaxError(f"column {start + 1}: unterminated quote {where}".rstrip())
        self.pos += 1  # the closing quote
        return segments

    def _segments(self, *, quoted: bool, stops: str = "") -> list[str]:
        """Literal runs split at unescaped `*`, up to the closing quote (quoted) or
        the next space or one of ``stops`` (bare); the closing quote is left for the
        caller."""
        text = self.text
        segments: list[str] = []
        current: list[str] = []
        while self.pos < len(text):
            c = text[self.pos]
            if (quoted and c == '"') or (not quoted and (c.isspace() or c in stops)):
                break
            if c == "\\" and self.pos + 1 < len(text):
                current.append(text[self.pos + 1])
                self.pos += 2
                continue
            if c == "*":
                segments.append("".join(current))
                current = []
            else:
                current.append(c)
            self.pos += 1
        segments.append("".join(current))
        return segments
