"""/projects/{slug}/monitors end to end: monitors with status, schedule, last and next
check-in; a monitor's runs (missed ones included), hostile text escaped, pagination,
and who may see them."""

from __future__ import annotations

import re
import time

from faultbox.lifecycle.monitors import CheckIn, mark_overdue, record_check_in
from faultbox.store.db import write_transaction
from faultbox.store.monitors import get_monitor, update_monitor
from tests.support import LiveServer
from tests.web._signin import PASSWORD, add_user, other_team_project, sign_in

HOSTILE = "<img src=x onerror=alert(1)>"
EVERY_10 = {
    "schedule_type": "interval",
    "schedule": "10 minute",
    "timezone": "UTC",
    "checkin_margin_minutes": 1,
    "max_runtime_minutes": 5,
}


def _check_in(
    server: LiveServer,
    project_id: int,
    slug: str,
    n: int,
    at: float,
    config: dict[str, object] = EVERY_10,
    **kw: object,
) -> None:
    with write_transaction(server.engine) as conn:
        refused = record_check_in(
            conn,
            CheckIn(project_id, slug, f"{n:032x}", received_at=at, config=config, **kw),  # type: ignore[arg-type]
        )
    assert refused is None


def test_monitors_list_and_runs(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    pid = server.project.id
    now = time.time()
    _check_in(server, pid, "backup", 1, now - 3600, status="ok", release=HOSTILE, duration=3.25)
    _check_in(server, pid, "reports", 2, now - 60, status="in_progress", environment=HOSTILE)
    with write_transaction(server.engine) as conn:
        mark_overdue(conn, now)  # backup: expected 50 min ago, so several runs missed
        backup = get_monitor(conn, pid, "backup")
        assert backup is not None
        update_monitor(conn, backup.id, now=now, name=HOSTILE)
    slug = server.project.slug
    with sign_in(server) as client:
        page = client.get(f"/projects/{slug}/monitors")
        assert page.status_code == 200, page.text
        text = page.text
        assert text.count("data-monitor-row") == 2
        assert "<img src=x" not in text and "&lt;img src=x" in text
        backup_row = text[text.index('data-monitor-row="backup"') :]
        assert re.search(r'data-status><span class="badge lvl-error">missed<', backup_row)
        assert "every 10 minutes" in text and "max runtime 5 min" in text
        assert 'class="active">Crons' in re.sub(r'href="[^"]*" ', "", text)

        detail = client.get(f"/projects/{slug}/monitors/backup")
        assert detail.status_code == 200, detail.text
        runs = re.findall(r'data-run="([^"]+)">\s*<td><span class="badge[^"]*">(\w+)<', detail.text)
        assert runs[-1] == (f"{1:032x}", "ok")
        assert {status for _, status in runs[:-1]} == {"missed"} and len(runs) >= 5
        assert "3.2 s" in detail.text or "3.3 s" in detail.text
        assert "<img src=x" not in detail.text and "&lt;img src=x" in detail.text

        reports = client.get(f"/projects/{slug}/monitors/reports")
        assert "in_progress" in reports.text and "&lt;img src=x" in reports.text

        assert client.get(f"/projects/{slug}/monitors/nope").status_code == 404
        assert client.get(f"/projects/{slug}/monitors/backup?cursor=garbage").status_code == 400


def test_runs_pagination(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    # Every two hours: whenever the server's own overdue sweep runs while these 60 runs
    # of the last hour are written, none is overdue, so it adds no missed run to count.
    every_2h = {**EVERY_10, "schedule": "2 hour"}
    start = time.time() - 59 * 60 - 30
    for n in range(60):
        _check_in(server, server.project.id, "tick", n, start + n * 60, every_2h, status="ok")
        if n == 0:  # the sweep at its worst moment (with a 10-minute schedule: 5 missed)
            with write_transaction(server.engine) as conn:
                mark_overdue(conn, time.time())
    with sign_in(server) as client:
        first = client.get(f"/projects/{server.project.slug}/monitors/tick")
        assert first.text.count("data-run=") == 50
        assert f'data-run="{59:032x}"' in first.text and f'data-run="{9:032x}"' not in first.text
        older = re.search(r'href="([^"]+\?cursor=[^"]+)">Older', first.text)
        assert older
        second = client.get(older.group(1).replace("&amp;", "&"))
        assert second.status_code == 200 and second.text.count("data-run=") == 10
        assert f'data-run="{0:032x}"' in second.text and "Older" not in second.text


def test_access(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    hidden = other_team_project(server)
    _check_in(server, hidden.id, "secret-job", 1, time.time(), status="ok")
    add_user(server, "viewer@example.com", "viewer")
    with sign_in(server, "viewer@example.com", PASSWORD) as client:
        empty = client.get(f"/projects/{server.project.slug}/monitors")
        assert empty.status_code == 200 and "No monitors yet" in empty.text
        assert client.get(f"/projects/{hidden.slug}/monitors").status_code == 404
        assert client.get(f"/projects/{hidden.slug}/monitors/secret-job").status_code == 404
