"""The deployment files and guide cannot rot: every faultbox command and flag they use
exists in the CLI, every setting they set exists, and the limits they repeat agree."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import click
import pytest

from faultbox.cli import cli
from faultbox.config import SETTINGS, load_settings

REPO = Path(__file__).resolve().parents[2]
SYSTEMD = REPO / "deploy" / "systemd"
NGINX = REPO / "deploy" / "nginx" / "faultbox.conf"
GUIDE = REPO / "docs" / "deployment.md"
UNITS = sorted(SYSTEMD.glob("*.service"))
ENV_NAMES = {s.env for s in SETTINGS} | {"FORWARDED_ALLOW_IPS"}  # the last one is uvicorn's


def _unit(path: Path) -> configparser.ConfigParser:
    # systemd's syntax is INI with case-sensitive keys and no interpolation.
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser


def _check_command(argv: list[str]) -> click.Command:
    """Resolve ``faultbox <group…> <command> <args>`` and parse its arguments with
    click (without running it): an unknown command or flag raises."""
    command: click.Command = cli
    args = list(argv)
    while isinstance(command, click.Group):
        assert args, f"{argv}: names a group, not a command"
        name = args.pop(0)
        found = command.get_command(click.Context(command), name)
        assert found is not None, f"{argv}: no command {name!r}"
        command = found
    command.make_context(command.name or "", args)
    return command


def _faultbox_args(words: list[str]) -> list[str] | None:
    """The words after the faultbox executable, or None when it is not run."""
    for i, word in enumerate(words):
        # "faultbox" as the command itself, not as a user or group name in its arguments.
        if (i == 0 and word == "faultbox") or word.endswith("/bin/faultbox"):
            return words[i + 1 :]
    return None


def _env_file() -> dict[str, str]:
    values = {}
    for line in (SYSTEMD / "faultbox.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


@pytest.mark.parametrize("path", UNITS, ids=[p.name for p in UNITS])
def test_each_unit_runs_an_existing_command_with_existing_flags(path: Path) -> None:
    unit = _unit(path)
    exec_start = unit["Service"]["ExecStart"]
    args = _faultbox_args(shlex.split(exec_start.replace("%i", "8001")))
    assert args is not None, exec_start
    command = _check_command(args)
    assert command.name in ("serve", "worker")
    assert unit["Service"]["EnvironmentFile"] == "/etc/faultbox/faultbox.env"
    assert unit["Install"]["WantedBy"] == "faultbox.target"
    assert (SYSTEMD / unit["Unit"]["PartOf"]).exists()
    for assignment in unit["Service"].get("Environment", "").split():
        assert assignment.split("=")[0] in ENV_NAMES, assignment


def test_the_http_units_run_no_worker_and_the_worker_units_serve_metrics() -> None:
    serve = _unit(SYSTEMD / "faultbox-serve@.service")["Service"]
    assert "--no-worker" in shlex.split(serve["ExecStart"])
    worker = _unit(SYSTEMD / "faultbox-worker@.service")["Service"]
    assert worker["Environment"] == "FAULTBOX_METRICS_PORT=%i"


def test_the_environment_file_sets_only_real_settings_with_valid_values(tmp_path: Path) -> None:
    values = _env_file()
    assert set(values) <= ENV_NAMES
    assert "FAULTBOX_METRICS_PORT" not in values  # set per worker unit
    settings = load_settings({"data_dir": str(tmp_path)}, environ=values)
    assert settings.queue_url.startswith("redis://")
    assert settings.database_url.startswith("postgresql")
    assert settings.log_format == "json"


def test_nginx_takes_the_bodies_faultbox_takes() -> None:
    conf = NGINX.read_text()
    [size] = re.findall(r"client_max_body_size\s+(\d+)m;", conf)
    assert int(size) * 1024 * 1024 == int(_env_file()["FAULTBOX_MAX_BODY_SIZE"])
    default = next(s.default for s in SETTINGS if s.name == "max_body_size")
    assert int(size) * 1024 * 1024 == default
    assert re.search(r"location \^~ /metrics \{\s*deny all;", conf)


def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    # scripts/test.sh installs nginx where it is missing: this check never skips.
    assert shutil.which("nginx"), "nginx is missing: run the suite with scripts/test.sh"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=faultbox.test", "-keyout", str(tmp_path / "privkey.pem"),
         "-out", str(tmp_path / "fullchain.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    site = NGINX.read_text().replace("/etc/ssl/faultbox", str(tmp_path))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"error_log stderr;\npid {tmp_path}/nginx.pid;\nevents {{}}\n"
        f"http {{ client_body_temp_path {tmp_path}/body; include {tmp_path}/site.conf; }}\n"
    )
    checked = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr


def _guide_commands() -> list[list[str]]:
    """Each faultbox command line in the guide's shell blocks."""
    found = []
    in_shell = False
    # A trailing backslash continues a shell line.
    for line in GUIDE.read_text().replace("\\\n", " ").splitlines():
        if line.startswith("```"):
            in_shell = line.strip() == "```sh"
            continue
        if in_shell:
            args = _faultbox_args(shlex.split(line, comments=True))
            if args is not None:
                found.append(args)
    return found


def test_every_command_in_the_guide_exists() -> None:
    commands = _guide_commands()
    assert len(commands) >= 5
    for args in commands:
        _check_command(args)
