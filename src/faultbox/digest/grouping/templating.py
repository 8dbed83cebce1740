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
# Letters and digits mixed, 8 to 64 characters, with at least two switches between
# them ("V2H", "3K5"): ULIDs, "cus_NffrFeUfNV2Hib", "api-7d9f8b6c4-x2x9z". Words with
# one number in them ("HTTP2_PROTOCOL_ERROR", "address2", "utf8") stay words.
_ID = (
    r"(?P<id>(?=[\w-]{0,56}?(?:[A-Za-z][0-9]+[A-Za-z]|[0-9][A-Za-z]+[0-9]))"
    r"[A-Za-z0-9][\w-]{7,63}(?![\w-]))"
)
# The id alternative goes before the plain numbers, after everything more specific.
_WITH_IDS = (*_ALTERNATIVES[:-1], _ID, _ALTERNATIVES[-1])
_TOKEN_RE = {
    ids: re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(alternatives) + ")")
    for ids, alternatives in ((False, _ALTERNATIVES), (True, _WITH_IDS))
}
# Text without any of these has nothing to replace; most log templates are such text.
_TRIGGER_RE = re.compile(r"[0-9@/\\'\"]|::")

_URL_RE = re.compile(r"([^:]+://)([^/?#]*)([^?#]*)(.*)", re.DOTALL)
_SEGMENT = rf"\d+|{_UUID}|(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{{8,}}"
_URL_SEGMENT_RE = re.compile(rf"(?<=/)(?:{_SEGMENT})(?=/|$)")
_URL_ID_SEGMENT_RE = re.compile(rf"(?<=/)(?:{_SEGMENT}|{_ID})(?=/|$)")
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
    "id": "<id>",
}


def _segment(match: re.Match[str]) -> str:
    text = match.group()
    if match.lastgroup == "id":
        return "<id>"
    if text.isdigit():
        return "<int>"
    return "<uuid>" if len(text) == 36 else "<hex>"


def _url(url: str, ids: bool) -> str:
    match = _URL_RE.fullmatch(url)
    if match is None:  # pragma: no cover - the token pattern guarantees "://"
        return url
    scheme, host, path, rest = match.groups()
    if _IP_HOST_RE.fullmatch(host):
        host = "<ip>"
    path = (_URL_ID_SEGMENT_RE if ids else _URL_SEGMENT_RE).sub(_segment, path)
    if rest:
        rest = "?<query>" if rest[0] == "?" else "#<fragment>"
    return f"{scheme}{host}{path}{rest}"


def _replace(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind == "url":
        return _url(match.group(), ids=False)
    return _PLACEHOLDERS[kind or "int"]


def _replace_with_ids(match: re.Match[str]) -> str:
    if match.lastgroup == "url":
        return _url(match.group(), ids=True)
    return _replace(match)


def template_message(text: str, *, id_tokens: bool = False) -> str:
    """``"user 42 not found at 10.0.0.1"`` → ``"user <int> not found at <ip>"``; with
    ``id_tokens``, random-looking letter-digit ids become ``<id>`` too."""
    if _TRIGGER_RE.search(text) is None:
        return text
    return _TOKEN_RE[id_tokens].sub(_replace_with_ids if id_tokens else _replace, text)
