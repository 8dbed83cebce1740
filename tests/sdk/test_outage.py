"""Outages: the server stopped and restarted (events wait on disk, across a restart of the
app too, and arrive once each), a 429 with Retry-After, a server that never answers."""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import faultbox_sdk
from tests.e2e.procs import GRACEFUL, ServeProcess, cli_json
from tests.sdk.support import connecting_threads
from tests.support import free_port, wait_for


def _app_capture(dsn: str, outbox: Path, tag: str, n: int) -> None:
    """Another process of the app: captures n events and exits (server down)."""
    script = textwrap.dedent(
        f"""
        import faultbox_sdk
        faultbox_sdk.init({dsn!r}, buffer_dir={str(outbox)!r}, shutdown_timeout=0.5)
        for i in range({n}):
            try:
                raise RuntimeError("{tag} " + str(i))
            except RuntimeError:
                faultbox_sdk.capture_exception()
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.mark.e2e
def test_events_captured_while_the_server_is_down_arrive_once_after_it_returns(
    tmp_path: Path,
) -> None:
    data, outbox, port = tmp_path / "data", tmp_path / "outbox", free_port()
    server = ServeProcess(data, port)
    try:
        project = cli_json(data, "project", "dsn", "demo")
        key = project["dsn"].split("//")[1].split("@")[0]
        dsn = f"http://{key}@127.0.0.1:{port}/{project['id']}"  # the CLI knows no port
        token = cli_json(data, "token", "create", "--email", "admin@faultbox.local")["token"]
        sent: list[str] = []

        faultbox_sdk.init(dsn, buffer_dir=str(outbox), backoff=None)
        for i in range(5):
            sent.append(faultbox_sdk.capture_message(f"before the outage {i}", "error") or "")
        assert faultbox_sdk.flush(10)
    finally:
        assert server.stop() in GRACEFUL
    with connecting_threads() as connecting:
        for i in range(20):
            try:
                raise ConnectionError(f"during the outage {i}")
            except ConnectionError:
                sent.append(faultbox_sdk.capture_exception() or "")
        assert faultbox_sdk.flush(3) is False  # kept on disk, not delivered
    # The SDK's thread tried the dead server; the app's thread never touched the network.
    assert connecting and threading.current_thread() not in connecting
    faultbox_sdk.close(timeout=1)  # the app stops; its outbox stays
    assert any(outbox.iterdir())
    _app_capture(dsn, outbox, "another process", 7)  # a second process, also offline

    restarted = ServeProcess(data, port)
    try:
        faultbox_sdk.init(dsn, buffer_dir=str(outbox))  # the app's next start replays
        assert faultbox_sdk.flush(30)
        headers = {"Authorization": f"Bearer {token}"}

        def stored_ids() -> list[str]:
            ids: list[str] = []
            cursor = None
            while True:
                params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
                page = httpx.get(
                    f"{restarted.url}/api/v1/projects/demo/events",
                    params=params,
                    headers=headers,
                    timeout=5,
                ).json()
                for e in page["data"]:
                    event = httpx.get(
                        f"{restarted.url}/api/v1/events/{e['event_id']}",
                        headers=headers,
                        timeout=5,
                    ).json()
                    ids.append(event["event_id"])  # the SDK's own id
                cursor = page["next_cursor"]
                if not cursor:
                    return ids

        wait_for(lambda: len(stored_ids()) >= 32, timeout=60)
        ids = stored_ids()
        assert len(ids) == 32 and len(set(ids)) == 32  # every event, once
        assert set(sent) <= set(ids)
        assert list(outbox.glob("*.json")) == []
    finally:
        faultbox_sdk.close(timeout=1)
        assert restarted.stop() in GRACEFUL


class _Stub(http.server.BaseHTTPRequestHandler):
    """Answers the native batch API: 429 with Retry-After first, then 200."""

    answers: list[tuple[int, dict[str, str]]] = []
    seen: list[float] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        assert self.path == "/api/v1/errors/batch"
        assert self.headers["X-Faultbox-Key"] == "0123456789abcdef0123456789abcdef"
        _Stub.seen.append(time.monotonic())
        status, headers = _Stub.answers.pop(0) if _Stub.answers else (200, {})
        body = b'{"success": true, "results": []}' if status == 200 else b"{}"
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Stub.seen = []
    yield f"http://0123456789abcdef0123456789abcdef@127.0.0.1:{server.server_address[1]}/1"
    server.shutdown()
    server.server_close()


def test_a_429_retry_after_is_honored(stub: str, tmp_path: Path) -> None:
    _Stub.answers = [(429, {"Retry-After": "1"}), (200, {})]
    faultbox_sdk.init(stub, buffer_dir=str(tmp_path))
    faultbox_sdk.capture_message("rate limited", "error")
    assert faultbox_sdk.flush(0.5) is False  # backing off as asked
    wait_for(lambda: len(_Stub.seen) == 2, timeout=10)
    assert _Stub.seen[1] - _Stub.seen[0] >= 1.0  # not sooner than the server asked
    assert faultbox_sdk.flush(5)
    assert len(_Stub.seen) == 2  # and delivered once


def test_a_server_that_never_answers_does_not_slow_the_app(tmp_path: Path) -> None:
    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(100)  # accepts connections, never answers
        dsn = f"http://0123456789abcdef0123456789abcdef@127.0.0.1:{hole.getsockname()[1]}/1"
        with connecting_threads() as connecting:
            faultbox_sdk.init(dsn, buffer_dir=str(tmp_path), timeout=5, max_queue=50)
            for i in range(200):
                faultbox_sdk.capture_message(f"m{i}", "error")
            # flush gives up while the server still says nothing (a hang would meet
            # the test's timeout instead).
            assert faultbox_sdk.flush(0.3) is False
            client = faultbox_sdk.get_client()
            assert client is not None
            stats = client.transport.stats
            assert stats.queued + stats.dropped_queue_full == 200
            wait_for(lambda: connecting)
        faultbox_sdk.close(timeout=0.3)
    # Only the SDK's thread waits on the silent server; the app's never connects.
    assert connecting and threading.current_thread() not in connecting
