"""Bounded body decoding and JSON parsing for the ingest edge.

Every decoder stops as soon as its output passes ``max_size``, so a small compressed
body can never make us allocate much more than the limit (gzip/brotli bombs).
"""

from __future__ import annotations

import binascii
import json
import re
import zlib
from itertools import accumulate
from typing import Any

import brotli
import orjson

from faultbox.ingest.errors import BadRequest, PayloadTooLarge

MAX_JSON_DEPTH = 128
# Relay's limit for the store endpoint and other API payloads.
DEFAULT_STORE_MAX_SIZE = 20 * 1024 * 1024

_DEPTH_DETAIL = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_LEADING_WS = re.compile(rb"[ \t\r\n]*")
_URLSAFE_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_NOT_OPENING = bytes(sorted(set(range(256)) - set(b"[{")))
_CONTAINER_TYPES = frozenset((dict, list))
_NOT_STRUCTURE = bytes(sorted(set(range(256)) - set(b'[]{}"')))
_DEPTH_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def decode_body(body: bytes, content_encoding: str | None, max_size: int) -> bytes:
    """Undo ``Content-Encoding``; unknown encodings pass through untouched, as in Relay."""
    encodings = [e.strip().lower() for e in (content_encoding or "").split(",")]
    # Encodings are listed in the order they were applied, so undo them from the end.
    for encoding in reversed(encodings):
        if encoding in ("gzip", "x-gzip"):
            body = _gunzip(body, max_size)
        elif encoding == "deflate":
            body = _inflate(body, max_size)
        elif encoding == "br":
            body = _unbrotli(body, max_size)
    if len(body) > max_size:
        raise PayloadTooLarge(f"body exceeds {max_size} bytes")
    return body


def _too_large(max_size: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"decompressed body exceeds {max_size} bytes")


def _zlib_stream(
    data: bytes, wbits: int, name: str, max_size: int, budget: int | None = None
) -> tuple[bytes, bytes]:
    """Decompress one zlib/gzip/raw-deflate stream; return (output, bytes after the stream).

    ``budget`` is what is left of ``max_size`` when earlier streams already produced output.
    """
    budget = max_size if budget is None else budget
    decompressor = zlib.decompressobj(wbits)
    try:
        # One call: max_length caps the output buffer itself, not just what we keep.
        out = decompressor.decompress(data, budget + 1)
    except zlib.error as exc:
        raise BadRequest(f"invalid {name} body: {exc}") from None
    if len(out) > budget:
        raise _too_large(max_size)
    if not decompressor.eof:
        raise BadRequest(f"truncated {name} body")
    return out, decompressor.unused_data


def _gunzip(body: bytes, max_size: int) -> bytes:
    if not body:
        raise BadRequest("truncated gzip body")
    out, rest = _zlib_stream(body, _GZIP_WBITS, "gzip", max_size)
    if not rest.startswith(_GZIP_MAGIC):
        return out  # trailing padding after the last member is ignored, like gzip(1)
    parts = [out]
    total = len(out)
    # Concatenated gzip members are one valid body (RFC 1952 §2.2).
    while rest.startswith(_GZIP_MAGIC):
        out, rest = _zlib_stream(rest, _GZIP_WBITS, "gzip", max_size, max_size - total)
        parts.append(out)
        total += len(out)
    return b"".join(parts)


def _inflate(body: bytes, max_size: int) -> bytes:
    if not body:
        raise BadRequest("truncated deflate body")
    # Some clients send raw deflate although the coding means zlib-wrapped (RFC 9110). A raw
    # stream cannot start like a zlib header: that would be a non-final stored block with
    # non-zero padding bits, which no encoder writes.
    wbits = zlib.MAX_WBITS if _has_zlib_header(body) else -zlib.MAX_WBITS
    return _zlib_stream(body, wbits, "deflate", max_size)[0]


def _has_zlib_header(body: bytes) -> bool:
    return len(body) >= 2 and body[0] & 0x0F == 8 and (body[0] << 8 | body[1]) % 31 == 0


def _unbrotli(body: bytes, max_size: int) -> bytes:
    decompressor = brotli.Decompressor()
    parts: list[bytes] = []
    total = 0
    data = body
    try:
        while True:
            # output_buffer_limit (brotli >= 1.2) bounds the buffer brotli allocates.
            chunk = decompressor.process(data, output_buffer_limit=max_size + 1 - total)
            data = b""
            total += len(chunk)
            if total > max_size:
                raise _too_large(max_size)
            parts.append(chunk)
            if decompressor.is_finished():
                break
            if decompressor.can_accept_more_data():
                raise BadRequest("truncated brotli body")
            if not chunk:
                raise BadRequest("invalid brotli body")
    except brotli.error:
        raise BadRequest("invalid brotli body") from None
    return b"".join(parts)


def decode_store_body(body: bytes, max_size: int = DEFAULT_STORE_MAX_SIZE) -> bytes:
    """Return the event JSON of a legacy /store/ body (raven clients send base64+zlib)."""
    start = _LEADING_WS.match(body)
    if start is not None and body[start.end() : start.end() + 1] == b"{":
        return body
    try:
        raw = binascii.a2b_base64(body.translate(_URLSAFE_TO_STANDARD), strict_mode=False)
    except (binascii.Error, ValueError):
        raise BadRequest("store body is neither JSON nor base64") from None
    if not raw:
        raise BadRequest("empty store body")
    if raw.lstrip()[:1] == b"{":
        return raw
    try:
        return _zlib_stream(raw, zlib.MAX_WBITS, "zlib", max_size)[0]
    except PayloadTooLarge:
        raise
    except BadRequest:
        raise BadRequest("store body is base64 but not zlib-compressed JSON") from None


def loads_json(data: bytes, what: str = "body", *, check_depth: bool = True) -> Any:
    """Parse JSON with a depth cap; tolerates the NaN/Infinity that old Python SDKs emit.

    ``check_depth=False`` keeps only orjson's own bound (1024 levels) and skips the
    walk, which costs as much as the parse for a stack-heavy event: the envelope hot
    path uses it, and the digest trims whatever is nested too deep to store.
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        # orjson reports deep input as "depth limit exceeded" (older: "Recursion limit
        # reached"), but truncated deep input as an allocation failure, so the prefix it
        # read is checked too. (pos counts characters, so the slice may fall a bit short.)
        if "depth" in exc.msg or "ecursion" in exc.msg:
            raise BadRequest(_DEPTH_DETAIL) from None
        if exc.pos > MAX_JSON_DEPTH and _bracket_depth(data[: exc.pos]) > MAX_JSON_DEPTH:
            raise BadRequest(_DEPTH_DETAIL) from None
        if b"NaN" not in data and b"Infinity" not in data:
            raise BadRequest(_json_error(what, exc)) from None
        value = _loads_lenient(data, what, exc)
    # Nesting deeper than MAX_JSON_DEPTH needs more opening brackets than that, so small
    # payloads skip the walk (one translate is about twice as fast as two counts).
    if (
        check_depth
        and len(data.translate(None, _NOT_OPENING)) > MAX_JSON_DEPTH
        and _too_deep(value)
    ):
        raise BadRequest(_DEPTH_DETAIL)
    return value


def loads_json_object(
    data: bytes, what: str = "body", *, check_depth: bool = True
) -> dict[str, Any]:
    value = loads_json(data, what, check_depth=check_depth)
    if not isinstance(value, dict):
        raise BadRequest(f"{what} must be a JSON object, got {_json_type(value)}")
    return value


def _loads_lenient(data: bytes, what: str, first_error: orjson.JSONDecodeError) -> Any:
    try:
        value = json.loads(data, parse_constant=_constant_to_none)
    except RecursionError:
        raise BadRequest(_DEPTH_DETAIL) from None
    except (ValueError, TypeError):
        # orjson's message is the more precise one (stdlib also rejects bad UTF-8 late).
        raise BadRequest(_json_error(what, first_error)) from None
    if _too_deep(value):
        raise BadRequest(_DEPTH_DETAIL)
    try:
        # The stdlib lets lone surrogates ("\ud800") through; later stages could not
        # serialize them, so the value must survive the encoder used downstream.
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        raise BadRequest(_json_error(what, first_error)) from None
    return value


def _constant_to_none(_name: str) -> None:
    return None


def _json_error(what: str, exc: orjson.JSONDecodeError) -> str:
    return f"invalid JSON in {what}: {exc.msg} at line {exc.lineno} column {exc.colno}"


def _bracket_depth(data: bytes) -> int:
    """Deepest bracket nesting outside strings, for error reporting only (C-level scans)."""
    # Escaped quotes and backslashes would desync the quote pairing below.
    data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    skeleton = b"".join(data.translate(None, _NOT_STRUCTURE).split(b'"')[::2])
    steps = memoryview(skeleton.translate(_DEPTH_STEPS)).cast("b")
    return max(accumulate(steps), default=0)


def _too_deep(value: Any) -> bool:
    # Level by level with an explicit list, so depth never touches the Python stack. Parsers
    # only build exact dicts and lists, and a set lookup of the type beats isinstance here.
    level: list[Any] = [value] if type(value) in _CONTAINER_TYPES else []
    depth = 0
    while level:
        depth += 1
        if depth > MAX_JSON_DEPTH:
            return True
        level = [
            child
            for container in level
            for child in (container.values() if type(container) is dict else container)
            if type(child) in _CONTAINER_TYPES
        ]
    return False


_JSON_TYPE_NAMES = {
    list: "list",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def _json_type(value: object) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)
