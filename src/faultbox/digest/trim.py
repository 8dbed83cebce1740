"""Bound the nesting of stored payloads.

Ingest accepts JSON up to orjson's parse limit (1024 levels) without walking it,
and orjson refuses to *write* more than 254 levels.  The rare event that is
nested deeper is trimmed here instead of being lost.
"""

from __future__ import annotations

from typing import Any

MAX_STORED_DEPTH = 64
TRIMMED = "[nested too deep]"


def trim_depth(value: Any, max_depth: int = MAX_STORED_DEPTH) -> Any:
    if max_depth <= 0:
        return TRIMMED if isinstance(value, dict | list | tuple) else value
    if isinstance(value, dict):
        return {k: trim_depth(v, max_depth - 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [trim_depth(v, max_depth - 1) for v in value]
    return value
