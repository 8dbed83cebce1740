"""The dashboard benchmark (benchmarks/dashboard.py) still runs: a tiny store, a few
requests per page, the table printed. The real run (1M events) is documented in
docs/benchmarks.md and never part of the suite."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "dashboard.py"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_benchmark_runs_on_a_tiny_store(tmp_path: Path) -> None:
    args = ["--events", "2000", "--issues", "40", "--runs", "1", "--requests", "2"]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args, "--port", str(_free_port())],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    table = done.stdout.split("medians of 1 runs", 1)[1]
    for page in ("stream is:unresolved", "stream htmx fragment", "issue page, busy", "similar"):
        assert f"| {page}" in table
    assert table.count("\n|") == 2 + 17
