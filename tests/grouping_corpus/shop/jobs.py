"""Background jobs on threads: thumbnails in a pool, a cache warmer thread."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

CACHE: dict[str, bytes] = {}
NAMES: dict[str, str | None] = {"home": "Home", "cart": None, "help": None}


def thumbnail_size(spec: str) -> tuple[int, int]:
    width, height = spec.split("x")
    return int(width), int(height)


def run_thumbnails(specs: list[str]) -> list[tuple[int, int]]:
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="thumbs") as pool:
        return list(pool.map(thumbnail_size, specs))


def one_thumbnail(spec: str) -> tuple[int, int]:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(thumbnail_size, spec).result()


def warm(keys: list[str]) -> None:
    for key in keys:
        CACHE[key] = NAMES[key].encode()  # type: ignore[union-attr]


def start_cache_warmer(keys: list[str]) -> None:
    thread = threading.Thread(target=warm, args=(keys,), name="cache-warmer")
    thread.start()
    thread.join()
