"""FAULTBOX_SPIKE_FLOOR_PER_MINUTE sets the cap of a project without history."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from sqlalchemy import Engine

from faultbox.config import load_settings
from faultbox.ingest.outcomes import OutcomeCounter
from faultbox.ingest.protection import Protection
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
