"""Settings: precedence, validation with the setting's name, generated secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from faultbox.config import SETTINGS, ConfigError, Secret, load_settings


def test_defaults_put_everything_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings({"data_dir": str(tmp_path / "d")}, environ={})
    assert settings.database_url == f"sqlite:///{tmp_path / 'd' / 'faultbox.sqlite3'}"
    assert settings.queue_path == tmp_path / "d" / "queue.sqlite3"
    assert settings.public_url == "http://127.0.0.1:8000"


def test_flags_win_over_environment_which_wins_over_defaults(tmp_path: Path) -> None:
    env = {"FAULTBOX_DATA_DIR": str(tmp_path), "FAULTBOX_PORT": "9000", "FAULTBOX_HOST": "0.0.0.0"}
    assert load_settings(environ=env).port == 9000
    assert load_settings({"port": 9100}, environ=env).port == 9100
    # A wildcard listen address still gives a usable DSN host.
    assert load_settings(environ=env).public_url == "http://127.0.0.1:9000"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"FAULTBOX_PORT": "eighty"}, "FAULTBOX_PORT"),
        ({"FAULTBOX_PORT": "70000"}, "FAULTBOX_PORT"),
        ({"FAULTBOX_DATABASE_URL": "mysql://x"}, "FAULTBOX_DATABASE_URL"),
        ({"FAULTBOX_QUEUE_SYNC": "sometimes"}, "FAULTBOX_QUEUE_SYNC"),
        ({"FAULTBOX_DIGEST_BATCH_SIZE": "0"}, "FAULTBOX_DIGEST_BATCH_SIZE"),
        ({"FAULTBOX_MAX_EVENT_SIZE": "1"}, "FAULTBOX_MAX_EVENT_SIZE"),
        ({"FAULTBOX_GROUPING_TRANSITION_DAYS": "-1"}, "FAULTBOX_GROUPING_TRANSITION_DAYS"),
        ({"FAULTBOX_GROUPING_TRANSITION_DAYS": "ninety"}, "FAULTBOX_GROUPING_TRANSITION_DAYS"),
    ],
)
def test_a_wrong_value_names_the_setting(tmp_path: Path, env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"FAULTBOX_DATA_DIR": str(tmp_path), **env})
    assert str(info.value).startswith(named)


def test_contradicting_sizes_are_refused(tmp_path: Path) -> None:
    env = {
        "FAULTBOX_DATA_DIR": str(tmp_path),
        "FAULTBOX_MAX_DECODED_SIZE": "2048",
        "FAULTBOX_MAX_EVENT_SIZE": "4096",
    }
    with pytest.raises(ConfigError, match="MAX_DECODED_SIZE"):
        load_settings(environ=env)


def test_secret_key_is_generated_once_kept_private_and_never_printed(tmp_path: Path) -> None:
    first = load_settings({"data_dir": str(tmp_path)}, environ={})
    second = load_settings({"data_dir": str(tmp_path)}, environ={})
    assert isinstance(first.secret_key, Secret)
    assert first.secret_key.value == second.secret_key.value and len(first.secret_key.value) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert first.secret_key.value not in repr(first)
    explicit = load_settings({"data_dir": str(tmp_path)}, environ={"FAULTBOX_SECRET_KEY": "k" * 50})
    assert explicit.secret_key.value == "k" * 50


def test_unknown_override_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings({"data_dir": str(tmp_path), "colour": "blue"}, environ={})


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [s.env for s in SETTINGS if s.env not in readme]
    assert missing == []
