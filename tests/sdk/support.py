"""Helpers for the SDK's tests: a recording stand-in for the HTTP post, clients that
never touch the user's cache directory."""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from faultbox_sdk.client import Client
from faultbox_sdk.http import Answer

DSN = "http://0123456789abcdef0123456789abcdef@127.0.0.1:9/1"


class Recorder:
    """Answers every post with ``status`` and keeps the decoded bodies."""

    def __init__(self, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.headers = headers or {}
        self.bodies: list[Any] = []
        self.lock = threading.Lock()

    def __call__(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
        raw = gzip.decompress(body) if headers.get("Content-Encoding") == "gzip" else body
        with self.lock:
            if url.endswith("/errors/batch"):
                self.bodies.append(json.loads(raw))
            else:
                self.bodies.append(raw)
        answer = b'{"success":true,"results":[]}' if self.status < 300 else b"{}"
        return Answer(self.status, dict(self.headers), answer)

    def native_items(self) -> list[dict[str, Any]]:
        return [item for body in self.bodies for item in body["errors"]]


def client(tmp_path: Path, recorder: Recorder, **options: Any) -> Client:
    options.setdefault("buffer_dir", str(tmp_path / "outbox"))
    options.setdefault("post", recorder)
    return Client(DSN, **options)


@contextmanager
def connecting_threads() -> Iterator[list[threading.Thread]]:
    """The thread of every socket connection opened while the block runs: an app's
    thread that never appears here never waited on the network (no clock involved)."""
    seen: list[threading.Thread] = []
    real = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        seen.append(threading.current_thread())
        real(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        socket.socket.connect = real  # type: ignore[method-assign]
