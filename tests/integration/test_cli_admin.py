"""CLI commands against a running server's data: dead letters and scrubbing settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from tests.support import LiveServer, wait_for


def cli(server: LiveServer, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "faultbox",
            *args,
            "--data-dir",
            str(server.settings.data_dir),
            "--database-url",
            server.settings.database_url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def cli_json(server: LiveServer, *args: str) -> Any:
    return orjson.loads(cli(server, *args, "--json").stdout)


def test_dead_letters_are_listed_with_their_reason_and_can_be_retried(
    sqlite_server: LiveServer,
) -> None:
    server = sqlite_server
    report = orjson.dumps({"event_id": "ab" * 16, "name": "Jane"})  # no comments: unusable
    body = b"{}\n" + orjson.dumps({"type": "user_report"}) + b"\n" + report
    response = server.post(f"/api/{server.project.id}/envelope/", body, server.auth_header())
    assert response.status_code == 200

    letters = wait_for(lambda: cli_json(server, "deadletter", "list"))
    assert letters[0]["event_id"] == "ab" * 16
    assert "comments" in letters[0]["reason"] and letters[0]["kind"] == "user_report"
    table = cli(server, "deadletter", "list").stdout
    assert "ab" * 16 in table and "comments" in table

    assert cli_json(server, "deadletter", "retry", str(letters[0]["id"])) == {
        "requeued": letters[0]["id"]
    }
    # Still unusable, so it comes back as a new dead letter after the retry.
    again = wait_for(
        lambda: [
            d
            for d in cli_json(server, "deadletter", "list")
            if d["created_at"] > letters[0]["created_at"]
        ]
    )
    assert again[0]["event_id"] == "ab" * 16
    missing = cli(server, "deadletter", "retry", "99999", check=False)
    assert missing.returncode == 1 and "no dead letter 99999" in missing.stderr


def test_scrubbing_settings_from_the_cli(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    slug = server.project.slug
    shown = cli_json(server, "project", "scrubbing", slug)
    assert shown["extra_fields"] == [] and shown["scrub_credit_cards"] is True
    changed = cli_json(
        server, "project", "scrubbing", slug, "--extra-field", "iban", "--no-credit-cards"
    )
    assert changed["extra_fields"] == ["iban"] and changed["scrub_credit_cards"] is False
    kept = cli_json(server, "project", "scrubbing", slug, "--safe-field", "order_id")
    assert kept["extra_fields"] == ["iban"] and kept["safe_fields"] == ["order_id"]
    reset = cli_json(server, "project", "scrubbing", slug, "--reset")
    assert reset["extra_fields"] == [] and reset["scrub_credit_cards"] is True
    auth = {"Authorization": f"Bearer {server.token}"}
    import httpx

    api_view = httpx.get(f"{server.url}/api/v1/projects/{slug}/scrubbing", headers=auth).json()
    assert api_view == reset
    bad = cli(server, "project", "scrubbing", slug, "--extra-field", " ", check=False)
    assert bad.returncode == 1 and "extra_fields" in bad.stderr


def test_fingerprint_rules_from_the_cli(sqlite_server: LiveServer, tmp_path: Path) -> None:
    server = sqlite_server
    slug = server.project.slug
    for n, module in ((1, "app.db.pool"), (2, "app.db.replica")):
        item = {
            "exception": {
                "values": [
                    {
                        "type": "ConnectionError",
                        "value": "x",
                        "stacktrace": {
                            "frames": [{"module": module, "function": f"f{n}", "in_app": True}]
                        },
                    }
                ]
            }
        }
        server.send_event(f"{n:032x}", item)
    server.wait_events(2)
    rules = tmp_path / "rules.txt"
    rules.write_text("# databases\nerror.type:ConnectionError module:app.db.* -> db\n")

    assert cli_json(server, "project", "fingerprint-rules", slug) == {"rules": ""}
    preview = cli_json(
        server, "project", "fingerprint-rules", slug, "--file", str(rules), "--dry-run"
    )
    assert preview["issues_checked"] == 2 and len(preview["would_change"]) == 2
    assert cli_json(server, "project", "fingerprint-rules", slug) == {"rules": ""}  # unchanged
    saved = cli_json(server, "project", "fingerprint-rules", slug, "--file", str(rules))
    assert saved == {"rules": rules.read_text()}
    assert "module:app.db.*" in cli(server, "project", "fingerprint-rules", slug).stdout

    rules.write_text("modle:app.* -> x\n")
    bad = cli(server, "project", "fingerprint-rules", slug, "--file", str(rules), check=False)
    assert bad.returncode == 1 and "line 1" in bad.stderr and "unknown matcher" in bad.stderr
    assert cli_json(server, "project", "fingerprint-rules", slug, "--clear") == {"rules": ""}
    lonely = cli(server, "project", "fingerprint-rules", slug, "--dry-run", check=False)
    assert lonely.returncode == 1 and "--file" in lonely.stderr
