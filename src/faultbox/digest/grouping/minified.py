"""Error messages thrown from minified JavaScript: what in them survives a new build.

When the app frame of a minified bundle names no function (``main.js:<minified>``),
the message is what tells the bundle's bugs apart, so it must keep what is stable and
drop what is not.  Property names are stable (minifiers leave them alone: they are the
data's and the DOM's); local variables are renamed on every build (``e.price`` in one,
``t.price`` in the next).  Browsers also word the same failure differently:

* V8: ``Cannot read properties of undefined (reading 'price')``, ``e.tags.map is not
  a function``, ``Cannot access 'r' before initialization``;
* Firefox: ``can't access property "price", e is undefined``, ``can't access lexical
  declaration 'r' before initialization``;
* Safari: ``undefined is not an object (evaluating 'e.price')``, ``e.tags.map is not
  a function. (In 'e.tags.map(...)', 'e.tags.map' is undefined)``.

``js_message`` rewrites the shapes it knows into one wording with variables masked
(``<min>``), keeping the property; anything else is returned unchanged, to be
templated as every message is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MASK = "<min>"

# A minifier's variable: one or two characters, not after a "." (that is a property).
_VARIABLE_RE = re.compile(r"(?<![\w$.])[A-Za-z_$][A-Za-z0-9_$]?(?![\w$])")
# A JavaScript expression as engines print it: "e.tags.map", "e[t]", "(0 , r.Z)",
# "(intermediate value).map"; no quotes, spaces only inside parentheses.
_EXPR = r"(?:\([^()'\"]{0,80}\)|[^\s()'\"]){1,200}"
_NULLISH = r"(?P<nullish>undefined|null)"
_PROP = r"[A-Za-z_$][\w$]*|\d+"

# Safari appends the call it failed on: "... (In 'e.f(t)', 'e.f' is undefined)".
_SAFARI_IN_RE = re.compile(r"\.? \(In '.*', '.*' is [^)]*\)$")
# Production builds of React, Redux, ... throw a numbered error and link to its text.
_CODED_RE = re.compile(r"^(?P<head>Minified (?:[\w.]+ ){1,3}error #\d+)\b")

# Reading or writing a property of undefined or null, in every browser's words.
_PROPERTY_OF_NULLISH = tuple(
    re.compile(pattern)
    for pattern in (
        # V8 (Chrome, Edge, Node), and before V8 9.3.
        rf"^Cannot (?:read|set) properties of {_NULLISH}"
        rf" \((?:reading|setting) '(?P<prop>[^']*)'\)$",
        rf"^Cannot (?:read|set) property '(?P<prop>[^']*)' of {_NULLISH}$",
        rf"^Cannot destructure property '(?P<prop>[^']*)' of '{_EXPR}' as it is {_NULLISH}\.?$",
        # Firefox 74+ (for a read and a write alike).
        rf"^can't access property \"?(?P<prop>[^\",]*)\"?, {_EXPR} is {_NULLISH}$",
        rf"^can't access property \"?(?P<prop>[^\",]*)\"? of {_NULLISH}$",
        # Safari: the expression it evaluated, whose last member is the property.
        rf"^{_NULLISH} is not an object \(evaluating '[^']*?"
        rf"(?:\.(?P<prop>{_PROP})|\[(?P<index>\d+)\])(?:\s*=[^=][^']*)?'\)$",
    )
)
# Using a variable before its declaration ran (a circular import, often).
_UNINITIALIZED = (
    re.compile(rf"^Cannot access '(?P<expr>{_EXPR})' before initialization$"),
    re.compile(rf"^can't access lexical declaration '(?P<expr>{_EXPR})' before initialization$"),
)
# "<expression> is not a function / not iterable / not defined / undefined / null":
# the engines' own predicates only, so that "It is not possible" stays a sentence.
_SUBJECT_RE = re.compile(
    rf"^(?P<expr>{_EXPR}) (?P<rest>is (?:undefined|null"
    r"|not (?:a function|a constructor|iterable|defined|an object|a symbol))\b.*)$"
)
# Safari's read of a computed member ("e[t]") names no property: the expression stays.
_SAFARI_EXPRESSION_RE = re.compile(
    rf"^{_NULLISH} is not an object \(evaluating '(?P<expr>[^']*)'\)$"
)
_SAFARI_UNDEFINED_RE = re.compile(rf"^Can't find variable: (?P<expr>{_EXPR})$")


def mask_variables(expression: str) -> str:
    """``e.tags[t].map`` → ``<min>.tags[<min>].map``: variables masked, properties kept."""
    return _VARIABLE_RE.sub(MASK, expression)


def js_message(text: str, template: Callable[[str], str]) -> str:
    """The message in one wording for every browser and build; ``template`` is applied
    to the parts still variable (a property read by index: ``'3'`` → ``'<int>'``)."""
    text = _SAFARI_IN_RE.sub("", text)
    coded = _CODED_RE.match(text)
    if coded:  # the number is the error; the rest is a link with the arguments
        return coded.group("head")
    for pattern in _PROPERTY_OF_NULLISH:
        match = pattern.match(text)
        if match:
            groups = match.groupdict()  # Safari's index has a group of its own
            prop = groups["prop"] or groups.get("index") or ""
            return f"Cannot access property '{template(prop)}' of {match.group('nullish')}"
    match = _SAFARI_EXPRESSION_RE.match(text)
    if match:
        expr = template(mask_variables(match.group("expr")))
        return f"{match.group('nullish')} is not an object (evaluating {expr})"
    for pattern in _UNINITIALIZED:
        match = pattern.match(text)
        if match:
            return f"Cannot access {mask_variables(match.group('expr'))} before initialization"
    match = _SAFARI_UNDEFINED_RE.match(text)
    if match:  # V8 and Firefox: "e is not defined"
        return f"{mask_variables(match.group('expr'))} is not defined"
    match = _SUBJECT_RE.match(text)
    if match:
        # Safari ends "is not a function." with a period, V8 and Firefox do not.
        rest = template(match.group("rest").removesuffix("."))
        return f"{mask_variables(match.group('expr'))} {rest}"
    return template(text)
