"""Opaque keyset cursors: fast at any depth, unlike OFFSET."""

from __future__ import annotations

import base64
import binascii

import orjson


class BadCursor(ValueError):
    pass


def encode_cursor(sort_value: object, row_id: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([sort_value, row_id])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[object, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, row_id = orjson.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise BadCursor("malformed cursor; use the next_cursor value of a previous page") from None
    if not isinstance(row_id, int):
        raise BadCursor("malformed cursor; use the next_cursor value of a previous page")
    return value, row_id
