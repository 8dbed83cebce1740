"""Message templates: the variable parts of a message replaced by placeholders.

One compiled alternation applied in a single ``sub`` pass.  A token may only
start after a non-alphanumeric character, so positions inside words fail on the
first look-behind and every alternative is bounded by the token it reads: the
pass stays linear on hostile 50 KB messages.
"""

from __future__ import annotations

import re

_H4 = r"[0-9a-fA-F]{1,4}"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

_ALTERNATIVES = (
    # Scheme and host stay; ids in the path and the whole query do not.
    r"(?P<url>[a-zA-Z][a-zA-Z0-9+.-]{0,20}://[^\s\"'<>]+)",
    rf"(?P<uuid>(?<!-){_UUID}(?![0-9a-fA-F-]))",
    r"(?P<email>[\w.+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)",
    r"(?P<date>(?<!\.)\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?!\w)"
    r"|(?<![.:])\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?![\w:]))",
    r"(?P<ip>(?<!\.)(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\w.])"
    rf"|(?<!:)(?:{_H4}:){{7}}{_H4}(?![\w:])"
    rf"|(?<!:){_H4}(?::{_H4}){{0,6}}::(?:{_H4}(?::{_H4}){{0,6}})?(?![\w:])"
    rf"|(?<!:)::{_H4}(?::{_H4}){{0,6}}(?![\w:]))",
    r"(?P<hex>0[xX][0-9a-fA-F]+(?!\w)"
    r"|(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}(?!\w))",
    r"(?P<path>(?<![./\\~-])(?:[A-Za-z]:|~|\.{1,2})?(?:[\\/][\w.@~+-]+){2,}[\\/]?)",
    r"(?P<quoted>'[^'\n]*'(?!\w)|\"[^\"\n]*\"(?!\w))",
    # A trailing unit stays ("<int>ms"); other letters make the digits part of a word.
    r"(?P<int>(?<!\.)-?\d+(?:[.,]\d+)*"
    r"(?=(?:[kKmMgGtT]?[bB]|ms|us|µs|ns|s|m|h|d|px|x)?(?![A-Za-z0-9]))(?!\.\d))",
)
_TOKEN_RE = re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(_ALTERNATIVES) + ")")
# Text without any of these has nothing to replace; most log templates are such text.
_TRIGGER_RE = re.compile(r"[0-9@/\\'\"]|::")

_URL_RE = re.compile(r"([^:]+://)([^/?#]*)([^?#]*)(.*)", re.DOTALL)
_URL_SEGMENT_RE = re.compile(rf"(?<=/)(?:\d+|{_UUID}|(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{{8,}})(?=/|$)")
_IP_HOST_RE = re.compile(r"(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?|\[[0-9a-fA-F:.]+\](?::\d+)?")

_PLACEHOLDERS = {
    "uuid": "<uuid>",
    "email": "<email>",
    "date": "<date>",
    "ip": "<ip>",
    "hex": "<hex>",
    "path": "<path>",
    "quoted": "<quoted>",
    "int": "<int>",
}


def _segment(match: re.Match[str]) -> str:
    text = match.group()
    if text.isdigit():
        return "<int>"
    return "<uuid>" if len(text) == 36 else "<hex>"


def _url(url: str) -> str:
    match = _URL_RE.fullmatch(url)
    if match is None:  # pragma: no cover - the token pattern guarantees "://"
        return url
    scheme, host, path, rest = match.groups()
    if _IP_HOST_RE.fullmatch(host):
        host = "<ip>"
    path = _URL_SEGMENT_RE.sub(_segment, path)
    if rest:
        rest = "?<query>" if rest[0] == "?" else "#<fragment>"
    return f"{scheme}{host}{path}{rest}"


def _replace(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind == "url":
        return _url(match.group())
    return _PLACEHOLDERS[kind or "int"]


def template_message(text: str) -> str:
    """``"user 42 not found at 10.0.0.1"`` → ``"user <int> not found at <ip>"``."""
    if _TRIGGER_RE.search(text) is None:
        return text
    return _TOKEN_RE.sub(_replace, text)
