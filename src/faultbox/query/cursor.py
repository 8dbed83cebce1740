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
    # Every sort key is a number and ids are BIGINTs; anything else (null, bool, text,
    # a list, an integer past 64 bits) would fail in the SQL comparison with a 500.
    if not (_bigint(row_id) and (type(value) is float or _bigint(value))):
        raise BadCursor("malformed cursor; use the next_cursor value of a previous page")
    return value, row_id


def _bigint(value: object) -> bool:
    return type(value) is int and -(2**63) <= value < 2**63
