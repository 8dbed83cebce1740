"""The faultbox command: --json output, clean one-line errors, and a full round trip."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.procs import GRACEFUL, ServeProcess, cli_json, run_cli
from tests.support import free_port, wait_for


def test_project_user_and_token_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    created = cli_json(data, "project", "create", "Billing API")
    assert set(created) == {"id", "slug", "dsn"}
    assert created["slug"] == "billing-api"
    assert created["dsn"].endswith(f"@127.0.0.1:8000/{created['id']}")
    listed = cli_json(data, "project", "list")
    assert [p["slug"] for p in listed] == ["billing-api"]
    assert cli_json(data, "project", "dsn", "billing-api")["dsn"] == created["dsn"]

    user = cli_json(
        data,
        "createuser",
        "--email",
        "Viewer@Example.com",
        "--password",
        "long-enough-pw",
        "--role",
        "viewer",
    )
    assert user["email"] == "viewer@example.com"
    token = cli_json(data, "token", "create", "--email", "viewer@example.com")
    assert token["token"].startswith("fbt_")
    assert "event:read" in token["scopes"] and "project:write" not in token["scopes"]
    # The token is printed once; only its hash is stored.
    db = (data / "faultbox.sqlite3").read_bytes()
    assert token["token"].encode() not in db


def test_bad_input_gets_one_line_errors(tmp_path: Path) -> None:
    data = tmp_path / "data"
    cases = [
        (("project", "create", "!!!"), "no letters or digits"),
        (("createuser", "--email", "x@example.com", "--password", "short"), "at least 8"),
        (("createuser", "--email", "not-an-email", "--password", "long-enough"), "not an email"),
        (("token", "create", "--email", "nobody@example.com"), "no user"),
        (("project", "dsn", "missing"), "no project"),
    ]
    for args, message in cases:
        proc = run_cli(data, *args, check=False)
        assert proc.returncode != 0, args
        assert message in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr

    run_cli(data, "createuser", "--email", "a@example.com", "--password", "long-enough")
    dup = run_cli(
        data, "createuser", "--email", "a@example.com", "--password", "long-enough", check=False
    )
    assert dup.returncode == 1 and "already exists" in dup.stderr
    bad_scope = run_cli(
        data, "token", "create", "--email", "a@example.com", "--scopes", "event:fly", check=False
    )
    assert bad_scope.returncode != 0 and "unknown scope" in bad_scope.stderr
    beyond = run_cli(
        data, "token", "create", "--email", "a@example.com", "--scopes", "org:admin", check=False
    )
    assert beyond.returncode != 0 and "beyond" in beyond.stderr


def test_wrong_setting_names_the_setting(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "FAULTBOX_DATA_DIR": str(tmp_path), "FAULTBOX_PORT": "eighty"}
    proc = subprocess.run(
        [sys.executable, "-m", "faultbox", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "FAULTBOX_PORT" in proc.stderr and "Traceback" not in proc.stderr
    env = {
        **os.environ,
        "FAULTBOX_DATA_DIR": str(tmp_path),
        "FAULTBOX_DATABASE_URL": "mysql://nope",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "faultbox", "project", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0 and "FAULTBOX_DATABASE_URL" in proc.stderr


def test_serve_bootstraps_and_send_test_event_arrives(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port()
    server = ServeProcess(data, port)
    try:
        log = (tmp_path / f"serve-{port}.log").read_text()
        assert f"http://127.0.0.1:{port}/" in log
        assert "Admin login: admin@faultbox.local" in log
        dsn = cli_json(data, "project", "dsn", "demo")["dsn"].replace(":8000/", f":{port}/")
        assert f"DSN for project 'demo': {dsn}" in log
        sent = cli_json(data, "send-test-event", "--dsn", dsn)
        token = cli_json(data, "token", "create", "--email", "admin@faultbox.local")["token"]
        headers = {"Authorization": f"Bearer {token}"}
        event = wait_for(
            lambda: (
                (
                    r := httpx.get(
                        f"{server.url}/api/v1/events/{sent['event_id']}", headers=headers, timeout=5
                    )
                ).status_code
                == 200
                and r.json()
            )
        )
        assert event["message"] == "This is a test event from faultbox send-test-event"
        bad = run_cli(data, "send-test-event", "--dsn", "not a dsn", check=False)
        assert bad.returncode != 0 and "--dsn" in bad.stderr
    finally:
        assert server.stop() in GRACEFUL


def test_separate_worker_process_digests_what_serve_no_worker_accepted(tmp_path: Path) -> None:
    import signal
    import subprocess

    from tests.e2e.procs import FAULTBOX, env_for

    data = tmp_path / "data"
    port = free_port()
    server = ServeProcess(data, port, "--no-worker")
    worker = None
    try:
        dsn = cli_json(data, "project", "dsn", "demo")["dsn"].replace(":8000/", f":{port}/")
        sent = cli_json(data, "send-test-event", "--dsn", dsn)
        token = cli_json(data, "token", "create", "--email", "admin@faultbox.local")["token"]
        headers = {"Authorization": f"Bearer {token}"}
        url = f"{server.url}/api/v1/events/{sent['event_id']}"
        assert httpx.get(url, headers=headers, timeout=5).status_code == 404  # only queued
        worker = subprocess.Popen(
            [*FAULTBOX, "worker"],
            env=env_for(data),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: httpx.get(url, headers=headers, timeout=5).status_code == 200, timeout=30)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
        assert server.stop() in GRACEFUL


def test_serve_on_a_busy_port_says_so_before_claiming_to_run(tmp_path: Path) -> None:
    import socket
    import subprocess

    from tests.e2e.procs import FAULTBOX, env_for

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [*FAULTBOX, "serve"],
            env=env_for(tmp_path / "data", port),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr
    assert "running at" not in proc.stdout and "Traceback" not in proc.stderr


def test_migrate_and_migrate_check(tmp_path: Path) -> None:
    data = tmp_path / "data"
    before = run_cli(data, "migrate", "--check", "--json", check=False)
    assert before.returncode == 1
    import orjson

    assert orjson.loads(before.stdout)["up_to_date"] is False
    assert cli_json(data, "migrate")["revision"] == "0013"
    after = cli_json(data, "migrate", "--check")
    assert after == {"current": "0013", "head": "0013", "up_to_date": True}
    shown = {row["name"]: row for row in cli_json(data, "config", "show")}
    assert shown["secret_key"]["value"] == "**********"
    assert shown["data_dir"]["source"] == "FAULTBOX_DATA_DIR"
