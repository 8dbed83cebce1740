"""How catalogue files carry data a machine can read back without loss.

A file starts with one line, invisible when the Markdown is rendered::

    <!-- faultbox {"format": 1, "kind": "error", "project": "shop", "short_id": "ERR-142", …} -->

and every field that import reads back sits between two marker lines that name it and
the file's *boundary*::

    <!-- faultbox:begin diagnosis 5c0f2a9e61d4 -->
    …the field, byte for byte…
    <!-- faultbox:end diagnosis 5c0f2a9e61d4 -->

The field is Markdown of its own, with headings, fenced code and lists, so its end
cannot be found from the Markdown structure ("## " lines inside a diagnosis are
fine); the boundary is chosen, like a MIME boundary, so that no field contains it,
which makes the markers unambiguous. People may edit the text between the markers.
A file whose marker lines end in CRLF was converted by an editor: its fields are read
with LF line ends again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

FORMAT = 1
_FRONT = re.compile(r"^<!-- faultbox (\{.*\}) -->\r?$")
_MARKER = re.compile(r"^<!-- faultbox:(begin|end) ([a-z_]+) ([0-9a-f]{12}) -->(\r?)$", re.M)


class CatalogueFormatError(ValueError):
    """A file import cannot read (the message says what is wrong, not where)."""


@dataclass(frozen=True, slots=True)
class Document:
    meta: dict[str, Any]
    fields: dict[str, str]  # only the fields whose markers are present
    body: str  # the text after the front line


def front_line(meta: Mapping[str, Any]) -> str:
    # "-->" would end the comment early; JSON may spell ">" as \u003e instead.
    text = orjson.dumps({"format": FORMAT, **meta}).decode().replace(">", "\\u003e")
    return f"<!-- faultbox {text} -->"


def has_front_line(text: str) -> bool:
    return _FRONT.match(text.split("\n", 1)[0]) is not None


def boundary_for(texts: Iterable[str | None]) -> str:
    """12 hex digits that occur in none of the texts (deterministic: the same fields
    give the same file)."""
    values = [t for t in texts if t]
    digest = hashlib.sha256("\x00".join(values).encode()).hexdigest()
    salt = 0
    while any(digest[:12] in t for t in values):
        salt += 1
        digest = hashlib.sha256(f"{salt}:{digest}".encode()).hexdigest()
    return digest[:12]


def field_block(name: str, text: str | None, boundary: str) -> str:
    return (
        f"<!-- faultbox:begin {name} {boundary} -->\n"
        f"{text or ''}\n"
        f"<!-- faultbox:end {name} {boundary} -->"
    )


def parse_document(text: str, allowed_fields: Iterable[str]) -> Document:
    first, _, body = text.partition("\n")
    match = _FRONT.match(first)
    if match is None:
        raise CatalogueFormatError(
            "no faultbox header on the first line (<!-- faultbox {...} -->): "
            "not written by 'faultbox export'?"
        )
    try:
        meta = orjson.loads(match.group(1))
    except orjson.JSONDecodeError as exc:
        raise CatalogueFormatError(f"the header is not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CatalogueFormatError(f"the header must be a JSON object with format {FORMAT}")
    boundary = meta.get("boundary")
    if not isinstance(boundary, str) or not re.fullmatch(r"[0-9a-f]{12}", boundary):
        raise CatalogueFormatError("the header has no valid boundary")
    return Document(meta, _fields(body, boundary, frozenset(allowed_fields)), body)


def _fields(body: str, boundary: str, allowed: frozenset[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    open_name: str | None = None
    start = 0
    crlf = False
    for marker in _MARKER.finditer(body):
        kind, name, mark, cr = (str(g) for g in marker.groups())
        if mark != boundary:
            continue  # another file's marker quoted in a field: content
        if name not in allowed:
            raise CatalogueFormatError(f"unknown field {name!r} in a marker")
        if kind == "begin":
            if open_name is not None:
                raise CatalogueFormatError(f"field {open_name!r} is not closed before {name!r}")
            if name in fields:
                raise CatalogueFormatError(f"field {name!r} appears twice")
            open_name, start, crlf = name, marker.end() + 1, bool(cr)
            continue
        if open_name != name:
            raise CatalogueFormatError(f"an end marker for {name!r} without its begin marker")
        # The line break before the end marker belongs to the markup, not the field.
        value = body[start : max(marker.start() - 1 - crlf, start)]
        fields[name] = value.replace("\r\n", "\n") if crlf else value
        open_name = None
    if open_name is not None:
        raise CatalogueFormatError(f"field {open_name!r} has no end marker")
    return fields
