"""The folder tree is the data path: check the allowed import directions."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "faultbox"

# stage → stages it may import (besides itself, model and config).
ALLOWED: dict[str, set[str]] = {
    "ingest": {"queue", "store", "observe"},
    "queue": set(),
    "digest": {"queue", "store", "alerts", "lifecycle", "observe"},
    # Issue workflow rules and the services applying them (write through store).
    "lifecycle": {"store"},
    "store": set(),
    "alerts": {"store", "lifecycle", "query", "observe"},
    "query": {"store", "lifecycle"},
    "accounts": set(),
    # The API previews regrouping with the digest's own grouping code (no second copy).
    # Both shells manage alert rules and channels through alerts/ (validation, sealed
    # secrets, the test notification).
    "api": {"query", "store", "accounts", "digest", "lifecycle", "alerts"},
    # The dashboard: a second shell over the same services as the API.
    "web": {"query", "store", "accounts", "digest", "lifecycle", "alerts"},
    "cli": {
        "query",
        "store",
        "accounts",
        "queue",
        "digest",
        "ingest",
        "app",
        "lifecycle",
        "observe",
    },
    # Metrics and logging: every stage records into it; it reads the store at scrape time.
    "observe": {"store"},
}
# matchers: the rule language fingerprint (digest) and severity (lifecycle) rules share.
# schedules: cron monitors' crontab/interval parser, checked at ingest and used by the
# lifecycle (next expected check-in), the API and the dashboard.
ALWAYS = {
    "model",
    "config",
    "runtime",
    "scrub_config",
    "clock",
    "matchers",
    "schedules",
    "__init__",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("faultbox."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("faultbox."):
                    found.add(alias.name.split(".")[1])
    return found


def test_stages_import_only_what_the_layout_allows() -> None:
    violations = []
    for stage, allowed in ALLOWED.items():
        for path in (SRC / stage).rglob("*.py"):
            for target in _imports(path) - allowed - ALWAYS - {stage}:
                violations.append(f"{path.relative_to(SRC)} imports faultbox.{target}")
    assert violations == []


def test_nothing_imports_the_shells() -> None:
    offenders = [
        f"{path.relative_to(SRC)} imports faultbox.{shell}"
        for path in SRC.rglob("*.py")
        for shell in ("api", "cli", "web")
        if shell in _imports(path)
        and path.relative_to(SRC).parts[0] not in (shell, "app.py", "__main__.py")
    ]
    assert offenders == []
