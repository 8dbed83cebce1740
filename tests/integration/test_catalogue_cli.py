"""faultbox export / import: the catalogue as files, and back without loss.

The fields hold what hand-kept runbooks hold: headings, fenced code (with "## " lines
inside), lists, tables, unicode, CR LF line ends, surrounding blank lines, and even
lines that look like the export's own markers.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import delete, select, update

from faultbox.model import Event, Grouping, event_to_dict
from faultbox.store.accounts import ensure_team
from faultbox.store.batch import ProcessedEvent, store_batch
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.payload import pack
from faultbox.store.schema import issue_activity, issues, pattern_issues, patterns
from tests.integration.test_cli_admin import cli, cli_json
from tests.support import LiveServer

T0 = 1_736_000_000.0  # 2025-01-04
FIELDS = ("symptoms", "diagnosis", "resolution", "prevention", "references", "runbook")
POOL = {
    "symptoms": (
        "## What users see\n\nCheckout answers **500**.\n\n```python\n## not a heading\n"
        "print('## still code')\n```\n\n- list item\n  - nested\n\ncafé ☕ 日本語 🚀\n"
    ),
    "diagnosis": (
        "Pool of 5, 40 workers.\r\nA CR LF line.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "<!-- faultbox:end diagnosis 0123456789ab -->\n---\ntrailing spaces  "
    ),
    "resolution": "1. Raise `pool_size`\n2. Restart\n\n~~~\nkubectl rollout restart\n~~~",
    "prevention": "\n\nLeading and trailing blank lines.\n\n",
    "references": "- [ADR-012](../../architecture/adr/012.md)\n- <https://example.com/x>",
    "runbook": (
        '# Runbook\n<!-- faultbox {"format": 1, "kind": "error"} -->\n````\n```\nnested\n```\n````'
    ),
}
PATTERN = {
    "title": "Pool *exhaustion* #1 \\ [db] & co\nsecond line",
    "description": "## Shape\n\nMany workers, few connections.\n",
    "prevention": "Connection pooling best practices\nand more",
    "code_example": "```python\nengine = create_engine(url, pool_size=20)\n```\n",
}


def _seed(server: LiveServer) -> dict[str, int]:
    batch = []
    for digest, title, n in (
        ("a" * 32, "Database connection pool exhaustion", 3),
        ("b" * 32, "../../etc/passwd <script>alert(1)</script>", 1),
        ("c" * 32, "Virtuozzo API timeout spike", 2),
    ):
        for i in range(n):
            ts = T0 + i * 60
            event = Event(uuid.uuid4().hex, server.project.id, ts, ts, message=title)
            grouping = Grouping(digest, "v2", title, "app.db", (digest,))
            batch.append(ProcessedEvent(event, grouping, pack(event_to_dict(event))))
    with write_transaction(server.engine) as conn:
        store_batch(conn, batch)
        ids = {
            title[:3]: int(i)
            for i, title in conn.execute(
                select(issues.c.id, issues.c.title).where(issues.c.project_id == server.project.id)
            )
        }
        pool, virtuozzo = ids["Dat"], ids["Vir"]
        conn.execute(update(issues).where(issues.c.id == pool).values(severity="P1", **POOL))
        conn.execute(
            update(issues)
            .where(issues.c.id == virtuozzo)
            .values(
                status="verified",
                severity="P1",
                resolved_at=T0 + 9000,
                symptoms="Timeouts ✓",
                resolution="Raised the client timeout.",
            )
        )
        pattern_id = conn.execute(
            patterns.insert()
            .values(
                team_id=ensure_team(conn, "default"),
                number=1,
                created_at=T0,
                updated_at=T0,
                **PATTERN,
            )
            .returning(patterns.c.id)
        ).scalar_one()
        conn.execute(pattern_issues.insert().values(pattern_id=pattern_id, issue_id=pool))
    return {"pool": pool, "virtuozzo": virtuozzo, "hostile": ids["../"]}


def _catalogue(server: LiveServer) -> dict[int, dict[str, Any]]:
    with read_connection(server.engine) as conn:
        rows = conn.execute(select(issues.c.id, *(issues.c[f] for f in FIELDS)))
        return {int(r.id): {f: getattr(r, f) for f in FIELDS} for r in rows}


def _pattern(server: LiveServer) -> tuple[dict[str, Any], list[int]]:
    with read_connection(server.engine) as conn:
        row = conn.execute(select(patterns).where(patterns.c.number == 1)).one()
        links = conn.execute(select(pattern_issues.c.issue_id)).scalars().all()
    return {k: getattr(row, k) for k in PATTERN}, sorted(links)


def _wipe(server: LiveServer) -> None:
    with write_transaction(server.engine) as conn:
        conn.execute(update(issues).values(**dict.fromkeys(FIELDS)))
        conn.execute(
            update(patterns).values(title="x", description=None, prevention=None, code_example=None)
        )
        conn.execute(delete(pattern_issues))


def test_export_wipe_import_round_trip(live_server: LiveServer, tmp_path: Path) -> None:
    server = live_server
    ids = _seed(server)
    before, pattern_before = _catalogue(server), _pattern(server)
    out = tmp_path / "errors"
    exported = cli_json(server, "export", "--out", str(out), "--project", server.project.slug)
    assert exported["projects"][0]["active"] == 2 and exported["projects"][0]["resolved"] == 1

    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == [
        ".meta/index.json",
        "active/ERR-1-database-connection-pool-exhaustion.md",
        "active/ERR-2-etc-passwd-script-alert-1-script.md",
        "patterns/PAT-001-pool-exhaustion-1-db-co-second-line.md",
        "resolved/ERR-3-virtuozzo-api-timeout-spike.md",
    ]
    entry = (out / "active/ERR-1-database-connection-pool-exhaustion.md").read_text()
    assert "\n# ERR-1: Database connection pool exhaustion\n" in entry
    for line in ("**Severity:** P1", "**Status:** Active (detected)", "**First Seen:** 2025-01-04"):
        assert line in entry
    assert "**Occurrences:** 3 times" in entry and "**Patterns:** PAT-001" in entry
    headings = [line for line in entry.splitlines() if line.startswith("## ")]
    assert headings[:1] == ["## Symptoms"] and "## Runbook" in headings

    index = orjson.loads((out / ".meta/index.json").read_bytes())
    assert [e["id"] for e in index["active_errors"]] == ["ERR-1", "ERR-2"]
    assert index["active_errors"][0] == {
        "id": "ERR-1",
        "title": "Database connection pool exhaustion",
        "severity": "P1",
        "status": "detected",
        "first_seen": "2025-01-04",
        "last_seen": "2025-01-04",
        "occurrences": 3,
        "file": "active/ERR-1-database-connection-pool-exhaustion.md",
    }
    [resolved] = index["resolved_errors"]
    assert resolved["id"] == "ERR-3" and resolved["resolved"] == "2025-01-04"
    assert resolved["time_to_resolve"] == "2.5 hours"
    assert resolved["time_to_resolve_seconds"] == 9000
    [pattern] = index["patterns"]
    assert pattern["id"] == "PAT-001" and pattern["occurrences"] == 3
    assert pattern["prevention"] == "Connection pooling best practices"

    _wipe(server)
    assert all(v is None for fields in _catalogue(server).values() for v in fields.values())
    dry = cli_json(server, "import", str(out), "--dry-run")
    assert dry["dry_run"] is True and dry["changed_fields"] == 8
    assert all(v is None for fields in _catalogue(server).values() for v in fields.values())

    imported = cli_json(server, "import", str(out))
    assert imported["changed_fields"] == 8 and imported["patterns_updated"][0]["id"] == "PAT-001"
    after = _catalogue(server)
    for issue_id, fields in before.items():
        for name in FIELDS:
            assert after[issue_id][name] == fields[name], (issue_id, name)
    assert _pattern(server) == pattern_before

    with read_connection(server.engine) as conn:
        log = conn.execute(
            select(issue_activity).where(issue_activity.c.issue_id == ids["pool"])
        ).all()
    catalogue_log = {r.field: r for r in log if r.kind == "catalogue"}
    assert set(catalogue_log) == set(FIELDS)
    assert all(r.user_id is None and r.note == "import" for r in catalogue_log.values())
    assert catalogue_log["symptoms"].old_value is None
    assert [(r.kind, r.new_value) for r in log if r.kind == "pattern"] == [("pattern", "PAT-001")]

    again = cli_json(server, "import", str(out))
    assert again["changed_fields"] == 0 and again["links_added"] == []


def test_export_of_every_project_and_a_person_editing_a_field(
    live_server: LiveServer, tmp_path: Path
) -> None:
    server = live_server
    ids = _seed(server)
    out = tmp_path / "catalogue"
    cli_json(server, "export", "--out", str(out))
    root = out / server.project.slug
    assert (root / ".meta/index.json").is_file()
    path = root / "resolved/ERR-3-virtuozzo-api-timeout-spike.md"
    text = path.read_text()
    path.write_text(text.replace("Raised the client timeout.", "## Fix\n\nRaised it to 30 s."))
    result = cli_json(server, "import", str(out))
    assert result["issues"] == [
        {"project": server.project.slug, "short_id": "ERR-3", "fields": ["resolution"]}
    ]
    assert _catalogue(server)[ids["virtuozzo"]]["resolution"] == "## Fix\n\nRaised it to 30 s."

    # An issue that moved to resolved/ leaves no stale copy in active/ on the next export.
    with write_transaction(server.engine) as conn:
        conn.execute(update(issues).where(issues.c.id == ids["pool"]).values(status="resolved"))
    (root / "active/NOTES.md").write_text("kept: not written by faultbox\n")
    cli_json(server, "export", "--out", str(out))
    assert sorted(p.name for p in (root / "active").iterdir()) == [
        "ERR-2-etc-passwd-script-alert-1-script.md",
        "NOTES.md",
    ]


def test_bad_catalogues_get_one_line_errors_and_change_nothing(
    live_server: LiveServer, tmp_path: Path
) -> None:
    server = live_server
    ids = _seed(server)
    out = tmp_path / "errors"
    cli_json(server, "export", "--out", str(out), "--project", server.project.slug)
    pool = out / "active/ERR-1-database-connection-pool-exhaustion.md"
    pool.write_text(pool.read_text().replace("Checkout answers", "Checkout now answers"))
    hostile = out / "active/ERR-2-etc-passwd-script-alert-1-script.md"
    good = hostile.read_text()

    def fails(*args: str) -> str:
        proc = cli(server, *args, check=False)
        assert proc.returncode == 1, proc.stdout
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        return proc.stderr

    assert "no directory" in fails("import", str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    assert "not a catalogue" in fails("import", str(tmp_path / "empty"))

    hostile.write_text(good.replace("<!-- faultbox {", "<!-- faultbox {{"))
    assert "ERR-2-etc-passwd-script-alert-1-script.md: the header is not valid JSON" in fails(
        "import", str(out)
    )
    hostile.write_text("\n".join(line for line in good.splitlines() if "end runbook" not in line))
    assert "field 'runbook' has no end marker" in fails("import", str(out))
    hostile.write_text(good.replace('"short_id":"ERR-2"', '"short_id":"ERR-999"'))
    assert "no issue ERR-999 in project 'backend'" in fails("import", str(out))
    hostile.write_text(good.replace('"project":"backend"', '"project":"nope"'))
    assert "no project 'nope'" in fails("import", str(out))
    assert "no project 'nope'" in fails("export", "--out", str(tmp_path / "x"), "--project", "nope")

    # Nothing was half-imported: ERR-1's edited field is still the original.
    assert _catalogue(server)[ids["pool"]]["symptoms"] == POOL["symptoms"]
    hostile.write_text(good)
    cli_json(server, "import", str(out))
    assert _catalogue(server)[ids["pool"]]["symptoms"].startswith(
        "## What users see\n\nCheckout now"
    )
