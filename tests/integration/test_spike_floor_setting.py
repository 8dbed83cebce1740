"""FAULTBOX_SPIKE_FLOOR_PER_MINUTE sets the cap of a project without history; the cap's
hourly read of the project's history stays off ingest's event loop."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from faultbox.config import load_settings
from faultbox.ingest import spike
from faultbox.ingest.outcomes import OutcomeCounter
from faultbox.ingest.protection import Protection
from faultbox.queue.base import IngestMeta, Kind, NewMessage
from faultbox.store.projects import KeyInfo
from tests.support import seed


def test_the_floor_setting_is_a_new_projects_spike_cap(engine: Engine, tmp_path: Path) -> None:
    project, _ = seed(engine, "http://127.0.0.1:8000")
    key = KeyInfo(project.id, "0" * 32, True)
    caps = []
    for floor in ("1000", "25"):
        settings = load_settings(
            {"data_dir": str(tmp_path)}, environ={"FAULTBOX_SPIKE_FLOOR_PER_MINUTE": floor}
        )
        protection = Protection(settings, engine, OutcomeCounter())
        (spike,) = [
            q for q in protection.quotas(key, time.time()) if q.reason == "spike_protection"
        ]
        caps.append(spike.limit)
        asyncio.run(protection.aclose())
    assert caps == [1000, 25]


def test_the_hourly_history_read_runs_off_the_event_loop(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, _ = seed(engine, "http://127.0.0.1:8000")
    key = KeyInfo(project.id, "0" * 32, True)
    settings = load_settings({"data_dir": str(tmp_path)}, environ={})
    protection = Protection(settings, engine, OutcomeCounter())
    readers: list[threading.Thread] = []
    real = spike.accepted_events

    def recording(*args: Any, **kwargs: Any) -> int:
        readers.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(spike, "accepted_events", recording)
    event = NewMessage(project.id, Kind.SENTRY_EVENT, "a" * 32, time.time(), b"{}", IngestMeta())

    async def two_requests() -> threading.Thread:
        for _ in range(2):
            admission = await protection.admit(key, [event])
            assert admission.kept == [event] and admission.limited is None
        await protection.aclose()
        return threading.current_thread()

    loop_thread = asyncio.run(two_requests())
    assert len(readers) == 1  # once per hour, not per request
    assert readers[0] is not loop_thread
