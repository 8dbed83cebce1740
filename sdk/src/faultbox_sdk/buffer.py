"""The outbox between the transport's thread and the server: batches wait here until the
server answers 2xx.

``DiskBuffer`` keeps each batch as one JSON file, written atomically (a temporary file
renamed into place), so events survive a server outage and a restart of the process: the
next process with the same directory sends them.  Bounded in files and bytes: when full,
the oldest batches go first (counted as dropped).  A batch being sent is claimed by
renaming it to ``….claim-<pid>``, so processes sharing the directory (pre-fork servers)
never send the same file twice; a claim whose process died, or that is older than
``STALE_CLAIM`` seconds, is released at start.

``MemoryBuffer`` is the same outbox without a directory (``disk_buffer=False``): it
survives an outage but not the process.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import deque
from typing import Any, Protocol

from faultbox_sdk.frames import safe_repr

logger = logging.getLogger("faultbox_sdk")

STALE_CLAIM = 600.0
# Claims this process holds now: never "recovered" by another buffer on the same folder
# (a second client in the process, or a re-init while the first still sends).
_HELD: set[str] = set()
_SUFFIX = ".json"
_CLAIM = ".claim-"


class Buffer(Protocol):
    dropped: int

    def write(self, events: list[dict[str, Any]]) -> bool: ...
    def claim_oldest(self) -> tuple[object, list[dict[str, Any]]] | None: ...
    def remove(self, handle: object) -> None: ...
    def release(self, handle: object, remaining: list[dict[str, Any]] | None = None) -> None: ...
    def count(self) -> int: ...
    def after_fork(self) -> None: ...


class MemoryBuffer:
    def __init__(self, max_events: int = 1000) -> None:
        self._batches: deque[list[dict[str, Any]]] = deque()
        self._events = 0
        self._max = max_events
        self._lock = threading.Lock()
        self.dropped = 0

    def write(self, events: list[dict[str, Any]]) -> bool:
        with self._lock:
            if len(events) > self._max:
                self.dropped += len(events)
                return False
            while self._events + len(events) > self._max and self._batches:
                old = self._batches.popleft()
                self._events -= len(old)
                self.dropped += len(old)
            self._batches.append(list(events))
            self._events += len(events)
            return True

    def claim_oldest(self) -> tuple[object, list[dict[str, Any]]] | None:
        with self._lock:
            if not self._batches:
                return None
            batch = self._batches.popleft()
            self._events -= len(batch)
            return batch, batch

    def remove(self, handle: object) -> None:
        pass

    def release(self, handle: object, remaining: list[dict[str, Any]] | None = None) -> None:
        batch = remaining if remaining is not None else handle
        assert isinstance(batch, list)
        with self._lock:
            self._batches.appendleft(batch)
            self._events += len(batch)

    def count(self) -> int:
        with self._lock:
            return self._events

    def after_fork(self) -> None:
        # The parent still holds and sends these; a copy here would send them twice.
        self._lock = threading.Lock()
        self._batches.clear()
        self._events = 0


class DiskBuffer:
    def __init__(self, directory: str, max_bytes: int = 8 << 20, max_files: int = 1000) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.dropped = 0
        self._lock = threading.Lock()
        self._seq = 0
        os.makedirs(directory, exist_ok=True)
        self._recover()

    # -- files ---------------------------------------------------------------------

    def _name(self, events: int) -> str:
        # Sorts by time of writing; the event count rides along for drop accounting.
        self._seq += 1
        return f"{time.time_ns():020d}-{os.getpid()}-{self._seq:06d}-{events}{_SUFFIX}"

    @staticmethod
    def _events_in(name: str) -> int:
        try:
            return int(name.split(_SUFFIX)[0].rsplit("-", 1)[1])
        except (IndexError, ValueError):
            return 0

    def _ready(self) -> list[os.DirEntry[str]]:
        with os.scandir(self.directory) as entries:
            return sorted(
                (e for e in entries if e.name.endswith(_SUFFIX) and e.is_file()),
                key=lambda e: e.name,
            )

    def _recover(self) -> None:
        """Remove half-written temporaries; release claims of dead or stuck processes."""
        now = time.time()
        for entry in os.scandir(self.directory):
            try:
                if entry.name.startswith(".tmp-"):
                    if now - entry.stat().st_mtime > 60:
                        os.unlink(entry.path)
                elif _CLAIM in entry.name and entry.path not in _HELD:
                    pid = int(entry.name.rsplit(_CLAIM, 1)[1])
                    if not _alive(pid) or now - entry.stat().st_mtime > STALE_CLAIM:
                        os.replace(entry.path, entry.path.rsplit(_CLAIM, 1)[0])
            except (OSError, ValueError):
                continue

    def _atomic_write(self, path: str, data: bytes) -> None:
        tmp = os.path.join(self.directory, f".tmp-{os.getpid()}-{threading.get_ident()}")
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    # -- the outbox ----------------------------------------------------------------

    def write(self, events: list[dict[str, Any]]) -> bool:
        """Store a batch; False (and counted as dropped) when it cannot be kept."""
        try:
            data = dumps(events)
        except Exception:
            self.dropped += len(events)
            logger.warning("faultbox_sdk: an event could not be serialized; dropped")
            return False
        with self._lock:
            if len(data) > self.max_bytes:
                self.dropped += len(events)
                logger.warning("faultbox_sdk: a batch larger than the disk buffer was dropped")
                return False
            try:
                self._make_room(len(data))
                self._atomic_write(os.path.join(self.directory, self._name(len(events))), data)
                return True
            except OSError as exc:
                self.dropped += len(events)
                logger.warning("faultbox_sdk: could not write the disk buffer: %s", exc)
                return False

    def _make_room(self, size: int) -> None:
        ready = self._ready()
        sizes = {e.name: _size(e) for e in ready}
        total = sum(sizes.values())
        while ready and (len(ready) + 1 > self.max_files or total + size > self.max_bytes):
            oldest = ready.pop(0)
            try:
                os.unlink(oldest.path)
            except OSError:
                continue  # claimed meanwhile by another process: its bytes are leaving
            total -= sizes[oldest.name]
            self.dropped += self._events_in(oldest.name)
            logger.warning("faultbox_sdk: disk buffer full, dropped the oldest batch")

    def claim_oldest(self) -> tuple[object, list[dict[str, Any]]] | None:
        with self._lock:
            for entry in self._ready():
                claimed = f"{entry.path}{_CLAIM}{os.getpid()}"
                try:
                    os.replace(entry.path, claimed)  # one process wins the rename
                except OSError:
                    continue
                _HELD.add(claimed)
                try:
                    with open(claimed, "rb") as fh:
                        events = json.loads(fh.read())
                    if not isinstance(events, list):
                        raise ValueError("not a list")
                except (OSError, ValueError):
                    logger.warning("faultbox_sdk: unreadable buffer file %s removed", entry.name)
                    _HELD.discard(claimed)
                    _unlink(claimed)
                    continue
                return claimed, events
            return None

    def remove(self, handle: object) -> None:
        assert isinstance(handle, str)
        _HELD.discard(handle)
        _unlink(handle)

    def release(self, handle: object, remaining: list[dict[str, Any]] | None = None) -> None:
        assert isinstance(handle, str)
        _HELD.discard(handle)
        original = handle.rsplit(_CLAIM, 1)[0]
        try:
            with self._lock:
                if remaining is not None:
                    data = dumps(remaining)
                    folder, name = os.path.split(original)
                    prefix = name.split(_SUFFIX)[0].rsplit("-", 1)[0]
                    self._atomic_write(
                        os.path.join(folder, f"{prefix}-{len(remaining)}{_SUFFIX}"), data
                    )
                    _unlink(handle)
                else:
                    os.replace(handle, original)
        except OSError as exc:
            logger.warning("faultbox_sdk: could not return a batch to the buffer: %s", exc)

    def count(self) -> int:
        try:
            return sum(self._events_in(e.name) for e in self._ready())
        except OSError:
            return 0

    def after_fork(self) -> None:
        self._lock = threading.Lock()  # it may have been held by the parent's thread


def dumps(events: list[dict[str, Any]]) -> bytes:
    """Compact JSON; whatever is not JSON (a hook put it there) becomes its safe repr."""
    return json.dumps(events, separators=(",", ":"), default=safe_repr).encode()


def _size(entry: os.DirEntry[str]) -> int:
    try:
        return entry.stat().st_size
    except OSError:
        return 0


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own claim from before a restart with the same pid
    if os.name != "posix":
        return True  # no cheap liveness check: the claim's age decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
