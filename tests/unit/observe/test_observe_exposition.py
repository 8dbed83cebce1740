"""The metrics registry and the worker's metrics server: format, token, failures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from faultbox.config import Settings, load_settings
from faultbox.observe.collectors import OutcomeCollector, QueueCollector
from faultbox.observe.exposition import (
    MetricsServer,
    authorized,
    build_registry,
    serve_worker_metrics,
)
from tests.support import free_port


class _Queue:
    def __init__(self, depth: int, lag: float, broken: bool = False) -> None:
        self.depth, self.lag, self.broken = depth, lag, broken

    def exact_depth(self) -> int:
        if self.broken:
            raise ConnectionError("redis down")
        return self.depth

    def oldest_age_seconds(self) -> float:
        return self.lag


class _Outcomes:
    def totals(self) -> dict[tuple[str, str, str], int]:
        return {("error", "accepted", ""): 7, ("error", "rate_limited", "key_quota"): 2}


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return load_settings({"data_dir": str(tmp_path), **overrides}, environ={})


def test_the_token_must_match_exactly(tmp_path: Path) -> None:
    guarded = _settings(tmp_path, metrics_token="t0ken")
    assert authorized(guarded, "Bearer t0ken")
    for header in (None, "", "Bearer t0ke", "Bearer t0ken ", "bearer t0ken", "t0ken"):
        assert not authorized(guarded, header)
    assert authorized(_settings(tmp_path), None)  # no token set: open


def _families(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    return {
        f.name: [(s.labels, s.value) for s in f.samples if not s.name.endswith("_created")]
        for f in text_string_to_metric_families(text)
    }


@pytest.fixture
def worker_server(tmp_path: Path) -> Iterator[MetricsServer]:
    settings = _settings(tmp_path, metrics_port=free_port(), metrics_token="t0ken")
    server = MetricsServer(settings, build_registry(QueueCollector(_Queue(12, 3.5))))
    yield server
    server.close()


def test_the_worker_server_answers_with_the_token_only(worker_server: MetricsServer) -> None:
    url = f"http://127.0.0.1:{worker_server.port}"
    assert httpx.get(url + "/metrics", timeout=5).status_code == 401
    wrong = httpx.get(url + "/metrics", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert wrong.status_code == 401
    assert httpx.get(url + "/elsewhere", timeout=5).status_code == 404
    right = httpx.get(url + "/metrics", headers={"Authorization": "Bearer t0ken"}, timeout=5)
    assert right.status_code == 200
    assert right.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = _families(right.text)
    assert families["faultbox_queue_depth"] == [({}, 12.0)]
    assert families["faultbox_queue_lag_seconds"] == [({}, 3.5)]
    assert families["process_resident_memory_bytes"][0][1] > 0


def test_a_busy_port_is_logged_not_fatal(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    first = serve_worker_metrics(_settings(tmp_path, metrics_port=port))
    assert first is not None
    try:
        assert serve_worker_metrics(_settings(tmp_path, metrics_port=port)) is None
        assert "cannot serve metrics" in caplog.text
    finally:
        first.close()
    assert serve_worker_metrics(_settings(tmp_path)) is None  # port 0: none


def test_an_unreadable_queue_leaves_only_its_metrics_out() -> None:
    from prometheus_client import generate_latest

    registry = build_registry(
        QueueCollector(_Queue(0, 0, broken=True)), OutcomeCollector(_Outcomes())
    )
    families = _families(generate_latest(registry).decode())
    assert "faultbox_queue_depth" not in families
    assert families["faultbox_ingest_items"] == [
        ({"category": "error", "outcome": "accepted", "reason": ""}, 7.0),
        ({"category": "error", "outcome": "rate_limited", "reason": "key_quota"}, 2.0),
    ]


def test_two_registries_in_one_process_do_not_collide() -> None:
    build_registry(QueueCollector(_Queue(1, 0)))
    build_registry(QueueCollector(_Queue(2, 0)))  # would raise on a duplicate name
