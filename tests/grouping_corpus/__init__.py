"""A labeled grouping corpus: events of known bugs, to score grouping against.

* Python: a small fake shop (``shop/``: orders, payments, inventory, auth, a db
  layer over sqlite3, a JSON/HTTP client, an asyncio worker, thread jobs) deployed
  as two releases, whose bugs are raised for real and reported by the real
  sentry-sdk (``capture.py``, run in a child process).
* JavaScript (V8, Firefox, Safari, Node), Java, Kotlin, .NET, Go and Ruby text
  traces posted to the native API, a few stackless native errors, and events
  shaped like @sentry/browser's.
* Front ends minified without source maps (``minified.py``), over several builds.

``corpus()`` returns ``(label, kind, payload)``: the label names the bug (what it
is, not what any grouping makes of it), ``kind`` is ``"sentry"`` or ``"native"``.
``HARD_NEGATIVES`` lists pairs of labels that look alike but are different bugs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from faultbox.digest.grouping.options import OPTIONS
from faultbox.digest.native_event import native_to_event
from faultbox.digest.normalize import normalize_sentry
from faultbox.model import Event
from faultbox.queue.base import IngestMeta
from tests.grouping_corpus import javascript, jvm, later, minified, other, python_bugs
from tests.grouping_corpus.native import Labeled

__all__ = ["HARD_NEGATIVES", "Labeled", "corpus", "events"]

ROOT = Path(__file__).resolve().parents[2]
RECEIVED_AT = 1_709_294_400.0  # a fixed clock: the same corpus normalizes the same way

HARD_NEGATIVES: tuple[tuple[str, str, str], ...] = (
    python_bugs.HARD_NEGATIVES
    + javascript.HARD_NEGATIVES
    + jvm.HARD_NEGATIVES
    + other.HARD_NEGATIVES
    + minified.HARD_NEGATIVES
)


@lru_cache(maxsize=1)
def _python_events() -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tests.grouping_corpus.capture"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"capturing the Python corpus failed:\n{done.stderr}")
    return done.stdout


def corpus() -> list[Labeled]:
    """Every labeled event, in a fixed order (fresh dicts on every call)."""
    python = [(label, "sentry", payload) for label, payload in json.loads(_python_events())]
    return [
        *python,
        *javascript.text_traces(),
        *javascript.browser_events(),
        *jvm.events(),
        *other.events(),
        *later.events(),
        *minified.events(),
    ]


def to_event(kind: str, payload: dict[str, Any], index: int, version: str | None = None) -> Event:
    """Normalize one corpus payload as the digest does; text traces are parsed for the
    grouping ``version`` (by default the current one)."""
    common: dict[str, Any] = {
        "project_id": 1,
        "event_id": f"{index:032x}",
        "received_at": RECEIVED_AT,
        "meta": IngestMeta(),
    }
    if kind == "native":
        return native_to_event(payload, options=OPTIONS[version] if version else None, **common)
    return normalize_sentry(payload, **common)


def events(version: str | None = None) -> list[tuple[str, Event]]:
    """The corpus as (label, normalized event) pairs."""
    return [
        (label, to_event(kind, payload, i, version))
        for i, (label, kind, payload) in enumerate(corpus())
    ]
