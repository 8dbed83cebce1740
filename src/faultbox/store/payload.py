"""Event payloads at rest: orjson, then zstd level 1 (3.4x smaller for an 8.9 KB
SDK event; level 3 saves 1% more bytes for 25% more time)."""

from __future__ import annotations

import threading
from typing import Any

import orjson
import zstandard

_local = threading.local()


def _codecs() -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
    # zstandard's (de)compressor objects must not be shared between threads.
    codecs = getattr(_local, "codecs", None)
    if codecs is None:
        codecs = (zstandard.ZstdCompressor(level=1), zstandard.ZstdDecompressor())
        _local.codecs = codecs
    return codecs


def pack(data: dict[str, Any]) -> bytes:
    return _codecs()[0].compress(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS))


def unpack(blob: bytes) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(_codecs()[1].decompress(blob))
    return data
