"""The SDK on the oldest Python it supports (3.9), when that interpreter is here.

The SDK is standard library only, so the check needs no install: the old interpreter
imports every module from sdk/src and sends a captured exception, with locals, to a stub
server in the same child process, in both wire formats.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

SDK_SRC = Path(__file__).resolve().parents[2] / "sdk" / "src"


def _python39() -> str | None:
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.9*/bin/python3.9")))
    candidates += [p for p in [shutil.which("python3.9")] if p]
    for python in candidates:
        try:  # a pyenv shim exists even when that version is not active
            if subprocess.run([python, "-V"], capture_output=True, timeout=30).returncode == 0:
                return python
        except OSError:
            continue
    return None


SCRIPT = textwrap.dedent(
    """
    import gzip, http.server, json, pkgutil, importlib, sys, tempfile, threading
    import faultbox_sdk
    assert sys.version_info[:2] == (3, 9), sys.version
    for mod in pkgutil.iter_modules(faultbox_sdk.__path__):
        importlib.import_module("faultbox_sdk." + mod.name)
    got = []
    class Stub(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = gzip.decompress(self.rfile.read(int(self.headers["Content-Length"])))
            got.append((self.path, body))
            answer = b'{"success": true, "results": []}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dsn = "http://0123456789abcdef0123456789abcdef@127.0.0.1:%d/1" % server.server_address[1]
    def charge(amount, password):
        return 100 / amount
    for mode in ("native", "envelope"):
        faultbox_sdk.init(dsn, mode=mode, buffer_dir=tempfile.mkdtemp())
        with faultbox_sdk.push_scope():
            faultbox_sdk.set_tag("mode", mode)
            try:
                charge(0, "hunter2")
            except ZeroDivisionError:
                assert faultbox_sdk.capture_exception()
        assert faultbox_sdk.flush(10)
        faultbox_sdk.close()
    (native_path, native), (envelope_path, envelope) = got
    assert native_path == "/api/v1/errors/batch", native_path
    item = json.loads(native)["errors"][0]
    assert item["errorType"] == "ZeroDivisionError"
    assert item["exception"]["frames"][-1]["vars"] == {
        "amount": 0, "password": "[Filtered]"}
    assert envelope_path == "/api/1/envelope/", envelope_path
    event = json.loads(envelope.split(b"\\n")[2])
    assert event["tags"] == {"mode": "envelope"}
    assert event["exception"]["values"][0]["stacktrace"]["frames"][-1]["function"] == "charge"
    print("ok")
    """
)


def test_the_sdk_runs_on_python_3_9(tmp_path: Path) -> None:
    python = _python39()
    if python is None:
        pytest.skip("no Python 3.9 interpreter on this machine")
    env = {**os.environ, "PYTHONPATH": str(SDK_SRC), "XDG_CACHE_HOME": str(tmp_path)}
    done = subprocess.run(
        [python, "-s", "-c", SCRIPT], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
