"""Run real `faultbox` processes for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.support import wait_for

FAULTBOX = [sys.executable, "-m", "faultbox"]
# uvicorn re-raises SIGTERM after its graceful shutdown, so a clean stop exits by that signal.
GRACEFUL = (0, -signal.SIGTERM)


def env_for(
    data_dir: Path, port: int | None = None, extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAULTBOX_")}
    env["FAULTBOX_DATA_DIR"] = str(data_dir)
    if port is not None:
        env["FAULTBOX_PORT"] = str(port)
    return env | (extra or {})


def run_cli(
    data_dir: Path,
    *args: str,
    check: bool = True,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [*FAULTBOX, *args],
        env=env_for(data_dir, extra=env),
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"faultbox {' '.join(args)} failed: {proc.stderr}")
    return proc


def cli_json(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return orjson.loads(run_cli(data_dir, *args, "--json", env=env).stdout)


class _Process:
    """A faultbox process with its log file: stopped with SIGTERM, or killed (-9)."""

    proc: subprocess.Popen[bytes]
    log: Any

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.log.close()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)
        if not self.log.closed:
            self.log.close()
        return self.proc.returncode


class ServeProcess(_Process):
    def __init__(
        self, data_dir: Path, port: int, *extra: str, env: dict[str, str] | None = None
    ) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(data_dir.parent / f"serve-{port}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [*FAULTBOX, "serve", *extra],
            env=env_for(data_dir, port, env),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_for(self._ready, timeout=60, interval=0.2)

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"faultbox serve exited with {self.proc.returncode}")
        try:
            return httpx.get(self.url + "/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


class WorkerProcess(_Process):
    """`faultbox worker`: digest (and alerts) only, as in a scale-mode deployment."""

    def __init__(self, data_dir: Path, env: dict[str, str], name: str = "worker") -> None:
        self.log_path = data_dir.parent / f"{name}.log"
        self.log = open(self.log_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [*FAULTBOX, "worker"],
            env=env_for(data_dir, extra=env),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None
