"""Real processes: JSON log lines on stderr from `serve` and its worker child, and the
worker's own /metrics port (of serve's child and of `faultbox worker`)."""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.procs import FAULTBOX, GRACEFUL, env_for
from tests.support import free_port, wait_for

FIELDS = {"time", "level", "logger", "message", "role", "pid"}


class Proc:
    """A faultbox process with stdout and stderr kept apart (the log is stderr)."""

    def __init__(self, tmp_path: Path, args: list[str], env: dict[str, str]) -> None:
        name = args[0]
        self.stdout_path, self.stderr_path = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.proc = subprocess.Popen([*FAULTBOX, *args], env=env, stdout=out, stderr=err)

    def alive(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"exited {self.proc.returncode}: {self.stderr_path.read_text()}")
        return True

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)
        return self.proc.returncode

    def log_lines(self) -> list[dict[str, Any]]:
        text = self.stderr_path.read_text()
        lines = [line for line in text.splitlines() if line.strip()]
        assert lines, "no log lines"
        parsed = []
        for line in lines:
            value = orjson.loads(line)  # every line is one JSON object
            assert isinstance(value, dict), line
            assert FIELDS <= set(value), line
            parsed.append(value)
        return parsed


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for proc in started:
        proc.stop()


def _get(url: str, token: str | None = None) -> httpx.Response | None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        return httpx.get(url, headers=headers, timeout=2)
    except httpx.HTTPError:
        return None


def _samples(text: str) -> dict[str, float]:
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if not sample.labels
    }


def _post_event(url: str, dsn: str) -> None:
    key, project_id = re.fullmatch(r"http://(\w+)@[^/]+/(\d+)", dsn).groups()  # type: ignore[union-attr]
    body = b"\n".join([b"{}", b'{"type":"event"}', b'{"message":"json logs e2e"}'])
    auth = {"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7"}
    response = httpx.post(f"{url}/api/{project_id}/envelope/", content=body, headers=auth)
    assert response.status_code == 200, response.text


@pytest.mark.e2e
def test_serve_logs_json_and_its_worker_child_serves_metrics(
    tmp_path: Path, procs: list[Proc]
) -> None:
    port, metrics_port = free_port(), free_port()
    env = env_for(tmp_path / "data", port)
    env |= {"FAULTBOX_LOG_FORMAT": "json", "FAULTBOX_METRICS_PORT": str(metrics_port)}
    serve = Proc(tmp_path, ["serve"], env)
    procs.append(serve)
    url, worker_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{metrics_port}/metrics"
    wait_for(lambda: serve.alive() and (r := _get(url + "/readyz")) and r.status_code == 200, 60)
    wait_for(lambda: serve.alive() and (r := _get(worker_url)) and r.status_code == 200, 30)

    dsn = re.search(r"DSN for project 'demo': (\S+)", serve.stdout_path.read_text())
    assert dsn is not None
    _post_event(url, dsn.group(1))

    def digested() -> dict[str, float] | None:
        response = _get(worker_url)
        samples = _samples(response.text) if response else {}
        return samples if samples.get("faultbox_digest_events_stored_total") == 1 else None

    worker = wait_for(digested, 30)
    assert worker["faultbox_digest_latency_seconds_count"] == 1
    assert worker["process_resident_memory_bytes"] > 0
    served = httpx.get(url + "/metrics", timeout=5)
    assert served.status_code == 200
    assert "faultbox_ingest_items_total{" in served.text

    assert serve.stop() in GRACEFUL
    lines = serve.log_lines()
    assert {line["role"] for line in lines} == {"serve", "worker"}
    assert any(line["logger"] == "uvicorn.error" for line in lines)  # uvicorn's own lines
    assert len({line["pid"] for line in lines}) == 2


@pytest.mark.e2e
def test_faultbox_worker_metrics_need_the_token(tmp_path: Path, procs: list[Proc]) -> None:
    metrics_port = free_port()
    env = env_for(tmp_path / "data")
    env |= {
        "FAULTBOX_LOG_FORMAT": "json",
        "FAULTBOX_METRICS_PORT": str(metrics_port),
        "FAULTBOX_METRICS_TOKEN": "scrape-me",
    }
    worker = Proc(tmp_path, ["worker"], env)
    procs.append(worker)
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    wait_for(lambda: worker.alive() and _get(url) is not None, 60)

    missing = _get(url)
    assert missing is not None and missing.status_code == 401
    wrong = _get(url, "scrape-you")
    assert wrong is not None and wrong.status_code == 401
    right = _get(url, "scrape-me")
    assert right is not None and right.status_code == 200
    assert _samples(right.text)["faultbox_queue_depth"] == 0

    assert worker.stop() in GRACEFUL
    assert {line["role"] for line in worker.log_lines()} == {"worker"}
