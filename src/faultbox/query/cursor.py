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
    values, row_id = decode_cursor_values(cursor, 1)
    return values[0], row_id


def decode_cursor_values(cursor: str, count: int) -> tuple[list[object], int]:
    """A cursor of ``count`` sort values (written as a list when more than one)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, row_id = orjson.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise BadCursor("malformed cursor; use the next_cursor value of a previous page") from None
    values = value if count > 1 and type(value) is list else [value]
    # Every sort key is a number and ids are BIGINTs; anything else (null, bool, text,
    # a list, an integer past 64 bits) would fail in the SQL comparison with a 500.
    if not (
        _bigint(row_id)
        and len(values) == count
        and all(type(v) is float or _bigint(v) for v in values)
    ):
        raise BadCursor("malformed cursor; use the next_cursor value of a previous page")
    return values, row_id


def _bigint(value: object) -> bool:
    return type(value) is int and -(2**63) <= value < 2**63
