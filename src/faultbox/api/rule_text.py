"""What the fingerprint and severity rule endpoints share: reading rule text from a
request body and showing a parsed rule's matchers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from fastapi import HTTPException

from faultbox.matchers import Matcher, RuleSyntaxError

T = TypeVar("T")


def parse_body_rules(text: object, parse: Callable[[str], T]) -> T:
    """Parse ``{"rules": text}``; a syntax error is a 400 naming the line."""
    if not isinstance(text, str):
        raise HTTPException(400, 'send {"rules": "<one rule per line>"}')
    try:
        return parse(text)
    except RuleSyntaxError as exc:
        raise HTTPException(400, f"rules: {exc}") from None


def matchers_json(matchers: Iterable[Matcher]) -> list[dict[str, Any]]:
    return [{"key": m.key, "pattern": m.pattern, "negated": m.negated} for m in matchers]
