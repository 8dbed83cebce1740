"""Sentry envelope parser (docs/sentry-protocol.md §5).

The whole body is already in memory (bounded by ``limits.decode_body``), so items are cut
out with ``bytes.find``; nothing walks the body byte by byte in Python.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from faultbox.ingest.errors import BadRequest, PayloadTooLarge
from faultbox.ingest.limits import loads_json_object

_MIB = 1024 * 1024
# Relay's defaults (relay-config Limits); "*" bounds every type not listed.
DEFAULT_MAX_ITEM_SIZES: Mapping[str, int] = {
    "event": _MIB,
    "transaction": _MIB,
    "security": _MIB,
    "raw_security": _MIB,
    "nel": _MIB,
    "feedback": _MIB,
    "user_report": _MIB,
    "statsd": _MIB,
    "metric_buckets": _MIB,
    "attachment": 200 * _MIB,
    "check_in": 100 * 1024,
    "client_report": 100 * 1024,
    "session": 10 * _MIB,
    "sessions": 10 * _MIB,
    "log": 2 * _MIB,
    "span": 10 * _MIB,
    "profile": 50 * _MIB,
    "replay_recording": 10 * _MIB,
    "*": 100 * _MIB,
}
DEFAULT_OTHER_ITEM_SIZE = DEFAULT_MAX_ITEM_SIZES["*"]
# SDKs send a handful of items (Relay: at most 30 attachments, 100 sessions); a body made of
# tiny items would otherwise cost seconds of CPU.
MAX_ITEMS = 1000

_WHITESPACE = re.compile(rb"[ \t\r\n]*")
_EVENT_ID = re.compile(
    r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


@dataclass(frozen=True, slots=True)
class EnvelopeItem:
    headers: dict[str, Any]
    type: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class Envelope:
    headers: dict[str, Any]
    items: tuple[EnvelopeItem, ...]


def normalize_event_id(value: object) -> str | None:
    """UUID with or without dashes → 32 lowercase hex; anything else → None."""
    if not isinstance(value, str) or _EVENT_ID.fullmatch(value) is None:
        return None
    return value.replace("-", "").lower()


def _skip_whitespace(data: bytes, pos: int) -> int:
    match = _WHITESPACE.match(data, pos)
    return pos if match is None else match.end()


def parse_envelope(data: bytes, max_item_sizes: Mapping[str, int] | None = None) -> Envelope:
    """Parse an envelope; unknown item types are kept (the caller skips what it ignores).

    ``max_item_sizes`` maps item type → byte limit; the key ``"*"`` covers the other types.
    """
    limits = DEFAULT_MAX_ITEM_SIZES if max_item_sizes is None else max_item_sizes
    other_limit = limits.get("*", DEFAULT_OTHER_ITEM_SIZE)
    size = len(data)
    if _skip_whitespace(data, 0) == size:
        raise BadRequest("empty envelope")

    end = data.find(b"\n")
    if end < 0:
        end = size
    headers = loads_json_object(data[:end], "envelope header")
    if "event_id" in headers:
        event_id = normalize_event_id(headers["event_id"])
        if event_id is None:
            # An unusable id must not cost the event; the edge assigns a fresh one.
            del headers["event_id"]
        else:
            headers["event_id"] = event_id

    items: list[EnvelopeItem] = []
    pos = end + 1
    while True:
        # Blank lines between or after items are tolerated, as Relay's JSON stream reader does.
        pos = _skip_whitespace(data, pos)
        if pos >= size:
            break
        index = len(items)
        if index == MAX_ITEMS:
            raise PayloadTooLarge(f"envelope has more than {MAX_ITEMS} items")
        end = data.find(b"\n", pos)
        if end < 0:
            end = size
        item_headers = loads_json_object(data[pos:end], f"item {index} header")
        item_type = item_headers.get("type")
        if not isinstance(item_type, str) or not item_type:
            if item_type is None:
                raise BadRequest(f"item {index} has no type")
            raise BadRequest(f"item {index} type must be a non-empty string")

        start = end + 1
        length = item_headers.get("length")
        if length is None:
            end = data.find(b"\n", start)
            if end < 0:
                end = size
            payload_size = max(end - start, 0)
        else:
            if type(length) is not int or length < 0:
                raise BadRequest(
                    f"item {index} ({item_type}) length must be a non-negative integer"
                )
            remaining = max(size - start, 0)
            if length > remaining:
                raise BadRequest(
                    f"item {index} ({item_type}) declares length {length} "
                    f"but only {remaining} bytes remain"
                )
            end = start + length
            if end < size and data[end] != 0x0A:
                raise BadRequest(
                    f"item {index} ({item_type}) payload of {length} bytes "
                    "is not followed by a newline"
                )
            payload_size = length

        limit = limits.get(item_type, other_limit)
        if payload_size > limit:
            raise PayloadTooLarge(
                f"item {index} ({item_type}) is {payload_size} bytes, limit {limit}"
            )
        items.append(EnvelopeItem(item_headers, item_type, data[start:end]))
        pos = end + 1

    return Envelope(headers, tuple(items))
